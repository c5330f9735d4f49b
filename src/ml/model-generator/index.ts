/**
 * Generates randomly initialised (not pretrained) embedding models in ONNX format, so ShopLens can
 * run end to end, and tests can run, without downloading pretrained weights.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EMBEDDING_DIMENSION, IMAGENET_MEAN, IMAGENET_STD, INPUT_NAME, INPUT_SIZE, OUTPUT_NAME } from './contract.ts';
import { buildModel, type GeneratorArch, type GeneratorHead } from './generate.ts';

export { GENERATOR_ARCHS, type GeneratorArch, type GeneratorHead } from './generate.ts';

export interface GenerateModelOptions {
  arch: GeneratorArch;
  /** Any safe integer; the same (arch, seed, head) always yields byte-identical output. */
  seed: number;
  /** `features` (default): a backbone. `classifier`: the same network ending in a 1,000-way Gemm + Softmax. */
  head?: GeneratorHead;
}

export interface WriteGeneratedModelOptions extends GenerateModelOptions {
  /** Destination .onnx path; the manifest goes next to it as `<name>.manifest.json`. */
  out: string;
}

export interface WrittenGeneratedModel {
  modelPath: string;
  manifestPath: string;
  manifest: Record<string, unknown>;
}

/**
 * Builds a serialized ONNX model (opset 13, IR 7) with random He-initialised weights, shaped
 * so that the features still rank images sensibly (see layers.ts for the initialisation choices).
 *
 * Input `input`: float32 [N, 3, 224, 224], RGB, ImageNet-normalised ((x/255 - mean) / std).
 * Output `embedding`: float32 [N, 2048], the ReLU'd, globally average-pooled final feature map
 * (non-negative; compare with cosine similarity).
 *
 * `resnet50` is the torchvision ResNet-50 v1.5 topology (~23.5M parameters, ~94 MB, a few seconds
 * to generate); `tiny` is a small residual net (~0.15M parameters, ~0.6 MB, ~1 ms per image) for
 * fast tests.
 *
 * With `head: 'classifier'` the pooled features feed `fc` (Gemm, 2048 → 1000) and a Softmax, and
 * the output is `probabilities` float32 [N, 1000]: the layout of torchvision and ONNX model zoo
 * ImageNet classifiers, for testing `model import`. Its backbone weights equal the `features`
 * model's with the same arch and seed.
 * @throws RangeError for an unknown arch or a seed that is not a safe integer
 */
export function generateModel(options: GenerateModelOptions): Uint8Array {
  return buildModel(options.arch, options.seed, options.head).bytes;
}

/** Manifest path for a model path: `x.onnx` → `x.manifest.json`. */
export function manifestPathFor(modelPath: string): string {
  return `${modelPath.replace(/\.onnx$/, '')}.manifest.json`;
}

function buildManifest(arch: GeneratorArch, seed: number, bytes: Uint8Array): Record<string, unknown> {
  return {
    id: `generated-${arch}-seed${seed}`,
    pretrained: false,
    arch,
    source: 'generated',
    url: null,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    inputName: INPUT_NAME,
    outputName: OUTPUT_NAME,
    inputSize: INPUT_SIZE,
    mean: [...IMAGENET_MEAN],
    std: [...IMAGENET_STD],
    dimension: EMBEDDING_DIMENSION,
    createdAt: new Date().toISOString(),
  };
}

/** Writes via a temporary file and rename, so a concurrent reader never sees a half-written file. */
async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Generates a model (see {@link generateModel}) and writes it to `out`, plus a sidecar manifest
 * JSON (id, sha256 of the .onnx bytes, input/output names, input size 224 px, normalisation,
 * dimension 2048). The model is written first, so a manifest never points at a missing file.
 */
export async function writeGeneratedModel(options: WriteGeneratedModelOptions): Promise<WrittenGeneratedModel> {
  if (options.head === 'classifier') throw new RangeError('a classifier is not a backbone: write it with writeGeneratedClassifier');
  const bytes = generateModel(options);
  const manifest = buildManifest(options.arch, options.seed, bytes);
  const modelPath = options.out;
  const manifestPath = manifestPathFor(modelPath);
  await mkdir(dirname(modelPath), { recursive: true });
  await writeFileAtomic(modelPath, bytes);
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { modelPath, manifestPath, manifest };
}

/**
 * Writes the classifier variant (see {@link generateModel}) to `out`, without a manifest: it is
 * not a backbone until `npx shoplens model import` cuts it at the pooled features.
 */
export async function writeGeneratedClassifier(options: Omit<WriteGeneratedModelOptions, 'head'>): Promise<{ modelPath: string }> {
  const bytes = generateModel({ ...options, head: 'classifier' });
  await mkdir(dirname(options.out), { recursive: true });
  await writeFileAtomic(options.out, bytes);
  return { modelPath: options.out };
}
