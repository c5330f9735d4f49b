/**
 * `npx shoplens model import <file.onnx>`: turns any standard ResNet-50 ONNX export into a
 * backbone. The file is inspected (one float32 [N, 3, 224, 224] input, a 2,048-channel global
 * average pool), cut at the pooled features when it is a classifier, run in ONNX Runtime on test
 * pictures, and written with its manifest into the models directory. It becomes the active
 * backbone (`MODEL_PATH`) only when asked to.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeFsError } from '../preprocess.ts';
import { IMAGENET_MEAN, IMAGENET_STD, modelIdOf, type ModelManifest } from '../manifest.ts';
import { ActiveBackboneProtectedError, contentsOf, keepBeforeReplacing, placeModelFile } from '../model-library.ts';
import { PRODUCER_NAME } from '../model-generator/generate.ts';
import { cutAtPool, hasFixedBatch, withDynamicBatch, withExtraOutputs } from './cut.ts';
import { ModelImportError } from './errors.ts';
import {
  FEATURE_CHANNELS, IMAGE_SIZE, assertSelfContained, decodeModel, describeArch, findImageInput, outputsCarrying, poolCandidates, producerOf,
} from './onnx-graph.ts';
import { findFeaturePool, verifyBackbone, type VerificationReport } from './probe.ts';

export { ModelImportError } from './errors.ts';

type Rgb = readonly [number, number, number];

export interface ImportBackboneOptions {
  /** The `.onnx` file to import. */
  file: string;
  /** Where backbones are kept: the directory of `MODEL_PATH`. */
  modelsDir: string;
  /** `MODEL_PATH`, the active backbone. */
  activePath: string;
  /** Manifest id and file name; default: the file's name. Letters, digits, `.`, `_`, `-`. */
  id?: string;
  /**
   * The owner's word that these are ImageNet-trained (or fine-tuned) weights. `unless-generated`
   * (downloads): true, except for files made by `model generate`, which are random by definition.
   */
  pretrained: boolean | 'unless-generated';
  /** RGB mean/std on pixels scaled to [0, 1]; default ImageNet's. */
  mean?: Rgb;
  std?: Rgb;
  /** Also make it the active backbone, keeping the one it replaces in the models directory. */
  activate: boolean;
  /** Where the file came from, when not from the owner's disk (`model fetch --from`). */
  origin?: { source: 'download'; url: string };
  /** Progress for people: one short sentence per step. */
  onStep?: (step: string) => void;
}

export interface ImportBackboneResult {
  manifest: ModelManifest;
  /** `<id>@<sha256 prefix>`, the stamp embeddings made with it carry. */
  modelId: string;
  /** Where it was written: `<modelsDir>/<id>.onnx`. */
  modelPath: string;
  /** `unchanged` when the models directory already held exactly this backbone under this name. */
  status: 'imported' | 'unchanged';
  /** What was changed in the graph, or null when the file was used as is. */
  change: string | null;
  verification: VerificationReport;
  /** True when `MODEL_PATH` now holds it (whether or not this import put it there). */
  active: boolean;
  /** True when this import changed the active backbone: the catalog must be re-embedded. */
  activated: boolean;
  /** Where the backbone that was active before is kept, when this import replaced it. */
  previousKeptAt?: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/**
 * Imports a backbone; see the module comment for the steps.
 * @throws {ModelImportError} for every problem with the file or the options, one line each.
 */
export async function importBackbone(options: ImportBackboneOptions): Promise<ImportBackboneResult> {
  const label = options.origin?.url ?? options.file;
  const id = chooseId(options);
  const step = options.onStep ?? (() => undefined);
  const original = await readModelFile(options.file);
  const model = decodeModel(original, label);
  assertSelfContained(model, label);
  const graph = model.graph!;
  const producer = producerOf(model);
  const generated = model.producerName === PRODUCER_NAME;
  if (options.pretrained === true && generated) {
    throw new ModelImportError(`${label} was made by \`npx shoplens model generate\` and has random weights; import it without --pretrained`);
  }
  const pretrained = options.pretrained === 'unless-generated' ? !generated : options.pretrained;
  const input = findImageInput(graph, label);

  step('looking for the 2,048-channel global average pool');
  const candidates = poolCandidates(graph);
  const probe = candidates.length === 0 ? new Uint8Array() : withExtraOutputs(model, candidates.map((candidate) => candidate.output));
  const pool = await findFeaturePool(probe, input.name, candidates, label);

  const [existingOutput] = outputsCarrying(graph, pool.output);
  const alreadyFeatures = existingOutput !== undefined && (graph.output ?? []).length === 1;
  let bytes: Uint8Array = original;
  let outputName: string;
  let change: string | null = null;
  if (alreadyFeatures) {
    outputName = existingOutput;
    if (hasFixedBatch(input)) {
      bytes = withDynamicBatch(model, input);
      change = `batch axis of input "${input.name}" made dynamic`;
    }
  } else {
    step(`cutting the classifier off after ${pool.op} "${pool.nodeName}"`);
    const cut = cutAtPool(model, pool, input);
    ({ bytes, outputName, change } = cut);
  }

  const mean = options.mean ?? IMAGENET_MEAN;
  const std = options.std ?? IMAGENET_STD;
  step('checking it in ONNX Runtime on test pictures');
  const verification = await verifyBackbone(bytes, { inputName: input.name, outputName, mean, std }, label);

  const manifest: ModelManifest = {
    id,
    pretrained,
    arch: describeArch(graph),
    source: options.origin?.source ?? 'import',
    url: options.origin?.url ?? null,
    sha256: sha256(bytes),
    inputName: input.name,
    outputName,
    inputSize: IMAGE_SIZE,
    mean: [...mean],
    std: [...std],
    dimension: FEATURE_CHANNELS,
    createdAt: new Date().toISOString(),
    importedFrom: { file: options.origin?.url ?? path.resolve(options.file), sha256: sha256(original), change, producer },
  };
  return { ...(await storeBackbone(bytes, manifest, options)), manifest, modelId: modelIdOf(manifest), change, verification };
}

export type StoreResult = Pick<ImportBackboneResult, 'modelPath' | 'status' | 'active' | 'activated' | 'previousKeptAt'>;

/**
 * Writes the backbone as `<modelsDir>/<id>.onnx`, then (with `activate`) at `MODEL_PATH`. Refuses
 * to overwrite another complete backbone under the same name, and the active one without `activate`.
 * Shared with `model quantize`, which stores its int8 copy the same way.
 */
export async function storeBackbone(
  bytes: Uint8Array,
  manifest: ModelManifest,
  options: Pick<ImportBackboneOptions, 'modelsDir' | 'activePath' | 'activate'>,
): Promise<StoreResult> {
  const activePath = path.resolve(options.activePath);
  const modelPath = path.resolve(options.modelsDir, `${manifest.id}.onnx`);
  await mkdir(options.modelsDir, { recursive: true });
  const atTarget = await contentsOf(modelPath);
  const sameBackbone = atTarget.kind === 'backbone' && atTarget.manifest.sha256 === manifest.sha256;
  if (atTarget.kind === 'backbone' && !sameBackbone) {
    if (modelPath !== activePath) {
      throw new ModelImportError(`${modelPath} already holds the backbone ${modelIdOf(atTarget.manifest)}; choose another --id for this one`);
    }
    if (!options.activate) throw new ActiveBackboneProtectedError(modelPath, modelIdOf(atTarget.manifest), `importing as --id ${manifest.id}`);
  }
  const active = await contentsOf(activePath);
  const wasActive = active.kind === 'backbone' && active.manifest.sha256 === manifest.sha256;
  let previousKeptAt: string | undefined;
  if (modelPath === activePath && !wasActive) previousKeptAt = await keepBeforeReplacing(activePath);
  await placeModelFile(bytes, modelPath, manifest);

  if (!options.activate || modelPath === activePath) {
    const isActive = modelPath === activePath || wasActive;
    return { modelPath, status: sameBackbone ? 'unchanged' : 'imported', active: isActive, activated: isActive && !wasActive, ...kept(previousKeptAt) };
  }
  if (!wasActive) previousKeptAt = await keepBeforeReplacing(activePath);
  await placeModelFile(modelPath, activePath, manifest);
  return { modelPath, status: sameBackbone ? 'unchanged' : 'imported', active: true, activated: !wasActive, ...kept(previousKeptAt) };
}

function kept(previousKeptAt: string | undefined): { previousKeptAt?: string } {
  return previousKeptAt === undefined ? {} : { previousKeptAt };
}

function chooseId(options: ImportBackboneOptions): string {
  if (options.id !== undefined) {
    if (!ID_PATTERN.test(options.id) || options.id.endsWith('.onnx')) {
      throw new ModelImportError(`--id "${options.id}" is not usable as a name; use letters, digits, ".", "_" and "-" (up to 80), without ".onnx"`);
    }
    return options.id;
  }
  const base = path.basename(options.origin?.url ?? options.file).replace(/[?#].*$/, '').replace(/\.onnx$/i, '');
  const slug = base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 80);
  if (!ID_PATTERN.test(slug)) throw new ModelImportError(`cannot make a name from "${base}"; pass --id NAME`);
  return slug;
}

async function readModelFile(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ModelImportError(`${file}: ${describeFsError(error)}; give the path of an .onnx file`);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

