import path from 'node:path';
import type { Command } from 'commander';
import { writeGeneratedClassifier, writeGeneratedModel } from '../../ml/model-generator/index.ts';
import { fetchFrom, fetchPretrainedModel, type FetchPretrainedOptions, type FetchPretrainedResult } from '../../ml/model-fetch.ts';
import { importBackbone, type ImportBackboneResult } from '../../ml/model-import/index.ts';
import { activateStored } from '../../ml/model-library.ts';
import { quantizeBackbone, type QuantizeBackboneResult } from '../../ml/model-quantize/index.ts';
import { localCommand, type CommandContext, type CommandRunner } from '../context.ts';
import { UsageError } from '../errors.ts';

interface FetchOptions {
  from?: string;
  sha256?: string;
  id?: string;
  activate: boolean;
  json: boolean;
}

interface ImportOptions {
  id?: string;
  pretrained: boolean;
  mean?: string;
  std?: string;
  activate: boolean;
  json: boolean;
}

/** `model …`: get a backbone. Returns the `model` command so other features can add subcommands. */
/** `model …` commands write files under the models directory only: they never open the catalog, so they always run here. */
export function registerModel(program: Command, runner: CommandRunner): Command {
  const model = program.command('model').description('get, import or make the backbone model; list backbones and category heads');
  model
    .command('fetch')
    .description('download the pretrained ImageNet ResNet-50 into the models directory, verifying its sha256')
    .option('--from <url>', 'download from this URL instead (a mirror; with another --sha256, any ResNet-50 export, imported like `model import`)')
    .option('--sha256 <hex>', 'SHA-256 the file from --from must have (default: the pinned ResNet-50\'s)')
    .option('--id <name>', 'name for a --from file that is not the pinned one (default: from the URL)')
    .option('--activate', 'make it the active backbone (MODEL_PATH) even if another one is active; the old one is kept', false)
    .option('--json', 'print a JSON summary', false)
    .action(async (options: FetchOptions) => {
      await runner.run(localCommand('model fetch', (context) => fetchModel(context, options)), options, () => ({}));
    });
  model
    .command('import')
    .description('make any ResNet-50 ONNX export a backbone: checks it, cuts a classifier at the pooled 2,048-d features, verifies it, writes its manifest')
    .argument('<file>', 'the .onnx file (torchvision export, ONNX model zoo resnet50-v1-12 / resnet50-v2-7, your fine-tuned network…)')
    .option('--id <name>', 'name of the backbone and its file in the models directory (default: the file name)')
    .option('--pretrained', 'the weights are ImageNet-trained or fine-tuned from them (otherwise matches are flagged as not meaningful)', false)
    .option('--mean <r,g,b>', 'per-channel mean on pixels scaled to [0, 1] (default ImageNet: 0.485,0.456,0.406)')
    .option('--std <r,g,b>', 'per-channel std on pixels scaled to [0, 1] (default ImageNet: 0.229,0.224,0.225)')
    .option('--activate', 'make it the active backbone (MODEL_PATH); the one it replaces is kept in the models directory', false)
    .option('--json', 'print a JSON summary', false)
    .action(async (file: string, options: ImportOptions) => {
      await runner.run(localCommand('model import', (context) => importModel(context, file, options)), options, () => ({}));
    });
  model
    .command('quantize')
    .description('make an int8 copy of the active backbone, calibrated on the shop\'s product photos and checked against it (about 2.5× faster on CPUs with int8 instructions)')
    .option('--photos <dir>', 'photos to calibrate on, like the ones customers send (default: the catalog\'s stored photos, DATA_DIR/images)')
    .option('--id <name>', 'name of the int8 backbone (default: <active id>-int8)')
    .option('--activate', 'make it the active backbone (MODEL_PATH); the float one is kept and the catalog is re-embedded', false)
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { photos?: string; id?: string; activate: boolean; json: boolean }) => {
      await runner.run(localCommand('model quantize', (context) => quantizeModel(context, options)), options, () => ({}));
    });
  model
    .command('activate')
    .description('make a backbone from `model list` the active one (MODEL_PATH); the one it replaces is kept')
    .argument('<id>', 'backbone id or <id>@<hash> from `model list`')
    .option('--json', 'print a JSON summary', false)
    .action(async (id: string, options: { json: boolean }) => {
      await runner.run(localCommand('model activate', (context) => activateModel(context, id)), options, () => ({}));
    });
  model
    .command('generate')
    .description('write a ResNet-50-topology (or tiny) ONNX model with seeded random weights, for tests and benchmarks')
    .option('--arch <arch>', 'resnet50 or tiny', 'resnet50')
    .option('--seed <n>', 'random seed', '42')
    .option('--classifier', 'end in a 1,000-way Gemm + Softmax like an ImageNet classifier export (no manifest: `model import` it)', false)
    .requiredOption('--out <file>', 'where to write the .onnx file')
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { arch: string; seed: string; out: string; classifier: boolean; json: boolean }) => {
      await runner.run(localCommand('model generate', (context) => generate(context, options)), options, () => ({}));
    });
  return model;
}

async function fetchModel(context: CommandContext, options: FetchOptions): Promise<number> {
  if (options.from === undefined && (options.sha256 !== undefined || options.id !== undefined)) {
    throw new UsageError('--sha256 and --id go with --from <url>; without --from, `model fetch` downloads the pinned ResNet-50');
  }
  const progress = context.output.progress('download (MB)');
  const common: FetchPretrainedOptions = {
    modelsDir: path.dirname(context.config.model.path),
    activePath: context.config.model.path,
    activate: options.activate,
    onProgress: (done, total) => progress.update(Math.round(done / 1e6), Math.round((total ?? done) / 1e6)),
  };
  if (options.from === undefined) {
    const result = await fetchPretrainedModel(common).finally(() => progress.stop());
    reportFetched(context, result);
    return 0;
  }
  const fetched = await fetchFrom({
    ...common,
    activePath: context.config.model.path,
    url: options.from,
    ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
    ...(options.id === undefined ? {} : { id: options.id }),
    onStep: (step) => context.output.warn(`${step}…`),
  }).finally(() => progress.stop());
  if (fetched.kind === 'pinned') reportFetched(context, fetched.result);
  else reportImported(context, fetched.result);
  return 0;
}

function reportFetched(context: CommandContext, result: FetchPretrainedResult): void {
  context.output.record({
    path: result.modelPath, sha256: result.manifest.sha256, status: result.status, bytes: result.bytes,
    id: result.manifest.id, url: result.manifest.url, active: result.active, activated: result.activated, previousKeptAt: result.previousKeptAt ?? null,
  });
  context.output.line(`${result.status === 'already-present' ? 'already present' : 'downloaded'}: ${result.modelPath} (sha256 ${result.manifest.sha256})`);
  reportActivation(context, result.modelPath, result);
}

async function importModel(context: CommandContext, file: string, options: ImportOptions): Promise<number> {
  const mean = options.mean === undefined ? undefined : parseRgb(options.mean, '--mean', false);
  const std = options.std === undefined ? undefined : parseRgb(options.std, '--std', true);
  const result = await importBackbone({
    file,
    modelsDir: path.dirname(context.config.model.path),
    activePath: context.config.model.path,
    pretrained: options.pretrained,
    activate: options.activate,
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(mean === undefined ? {} : { mean }),
    ...(std === undefined ? {} : { std }),
    onStep: (step) => context.output.warn(`${step}…`),
  });
  reportImported(context, result);
  return 0;
}

function reportImported(context: CommandContext, result: ImportBackboneResult): void {
  const { manifest } = result;
  context.output.record({
    id: manifest.id, backboneModelId: result.modelId, path: result.modelPath, status: result.status, sha256: manifest.sha256, pretrained: manifest.pretrained,
    inputName: manifest.inputName, outputName: manifest.outputName, inputSize: manifest.inputSize, dimension: manifest.dimension,
    mean: manifest.mean, std: manifest.std, change: result.change, verification: result.verification,
    active: result.active, activated: result.activated, previousKeptAt: result.previousKeptAt ?? null,
  });
  const how = result.change ?? 'used as is';
  context.output.line(
    `${result.status === 'unchanged' ? 'already imported' : 'imported'} ${result.modelId} → ${result.modelPath} ` +
      `(${how}; ${result.verification.images} test pictures gave [${result.verification.outputShape.join(', ')}], finite and distinct)`,
  );
  if (!manifest.pretrained) {
    context.output.warn('Marked as NOT pretrained: searches will say its matches are not meaningful. Import again with --pretrained if these are ImageNet-trained weights.');
  }
  reportActivation(context, result.modelPath, result);
}

/** Says whether the backbone is active and what the owner must do next; nothing on stdout in JSON mode. */
function reportActivation(context: CommandContext, modelPath: string, result: { active: boolean; activated: boolean; previousKeptAt?: string }): void {
  if (result.previousKeptAt !== undefined) context.output.line(`the previous backbone is kept at ${result.previousKeptAt}`);
  if (result.activated) {
    context.output.line(`${context.config.model.path} is now the active backbone: run \`npx shoplens reindex\` (or restart \`npm start\`) to re-embed the catalog with it.`);
  } else if (!result.active) {
    context.output.line(`not active (MODEL_PATH is ${context.config.model.path}): add --activate to use it, or set MODEL_PATH=${modelPath}.`);
  }
}

async function quantizeModel(context: CommandContext, options: { photos?: string; id?: string; activate: boolean }): Promise<number> {
  const { config } = context;
  const result = await quantizeBackbone({
    modelPath: config.model.path,
    modelsDir: path.dirname(config.model.path),
    activePath: config.model.path,
    photosDir: path.resolve(options.photos ?? path.join(config.dataDir, 'images')),
    preprocessMode: config.model.preprocessMode,
    maxBytes: config.images.maxBytes,
    maxPixels: config.images.maxPixels,
    threads: config.model.threads,
    activate: options.activate,
    ...(options.id === undefined ? {} : { id: options.id }),
    onStep: (step) => context.output.warn(`${step}…`),
  });
  reportQuantized(context, result);
  return 0;
}

function reportQuantized(context: CommandContext, result: QuantizeBackboneResult): void {
  context.output.record({
    id: result.manifest.id, backboneModelId: result.modelId, path: result.modelPath, status: result.status, sha256: result.manifest.sha256,
    pretrained: result.manifest.pretrained, sourceBackboneModelId: result.sourceModelId,
    calibrationPhotos: result.calibrationPhotos, checkPhotos: result.checkPhotos, skippedPhotos: result.skippedPhotos,
    cosineMin: result.cosineMin, cosineMedian: result.cosineMedian, floatMs: result.floatMs, int8Ms: result.int8Ms,
    active: result.active, activated: result.activated, previousKeptAt: result.previousKeptAt ?? null,
  });
  const speedup = result.floatMs / result.int8Ms;
  context.output.line(
    `${result.status === 'unchanged' ? 'already quantized' : 'quantized'} ${result.sourceModelId} → ${result.modelId} at ${result.modelPath} ` +
      `(scales from ${result.calibrationPhotos} photos; on ${result.checkPhotos} held-out photos, cosine to the float embeddings ≥ ${result.cosineMin.toFixed(4)}, median ${result.cosineMedian.toFixed(4)})`,
  );
  context.output.line(`one image here: ${result.int8Ms.toFixed(1)} ms int8 against ${result.floatMs.toFixed(1)} ms float (${speedup.toFixed(2)}×)`);
  if (result.skippedPhotos > 0) context.output.warn(`${result.skippedPhotos} file(s) in the photo folder were not readable images and were skipped`);
  if (speedup < 1.2) context.output.warn('The int8 copy is not clearly faster on this machine (no int8 dot-product instructions?): keep the float backbone.');
  reportActivation(context, result.modelPath, result);
}

async function activateModel(context: CommandContext, id: string): Promise<number> {
  const result = await activateStored(path.dirname(context.config.model.path), context.config.model.path, id);
  const { backbone } = result;
  context.output.record({ id: backbone.manifest.id, backboneModelId: backbone.modelId, pretrained: backbone.manifest.pretrained, activated: result.activated, previousKeptAt: result.previousKeptAt ?? null });
  if (!result.activated) context.output.line(`${backbone.modelId} already is the active backbone`);
  reportActivation(context, context.config.model.path, { ...result, active: true });
  return 0;
}

/** `0.5,0.5,0.5` (or space-separated) → three finite numbers; std values must be positive. */
function parseRgb(text: string, flag: string, positive: boolean): [number, number, number] {
  const parts = text.split(/[\s,]+/).filter(Boolean).map(Number);
  const ok = parts.length === 3 && parts.every((value) => Number.isFinite(value) && (!positive || value > 0));
  if (!ok) throw new UsageError(`${flag} needs three ${positive ? 'positive ' : ''}numbers for R,G,B on pixels scaled to [0, 1], e.g. ${flag} 0.485,0.456,0.406; got "${text}"`);
  return [parts[0]!, parts[1]!, parts[2]!];
}

async function generate(context: CommandContext, options: { arch: string; seed: string; out: string; classifier: boolean }): Promise<number> {
  if (options.arch !== 'resnet50' && options.arch !== 'tiny') throw new UsageError(`--arch must be resnet50 or tiny, got "${options.arch}"`);
  const seed = Number(options.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${options.seed}"`);
  const out = path.resolve(options.out);
  if (!out.endsWith('.onnx')) throw new UsageError(`--out must end with .onnx, got "${options.out}"`);
  if (options.classifier) {
    const written = await writeGeneratedClassifier({ arch: options.arch, seed, out });
    context.output.record({ path: written.modelPath, manifest: null, id: null, classifier: true });
    context.output.line(`wrote ${written.modelPath} (generated ${options.arch} classifier, random weights: make it a backbone with \`npx shoplens model import ${written.modelPath}\`)`);
    return 0;
  }
  const written = await writeGeneratedModel({ arch: options.arch, seed, out });
  context.output.record({ path: written.modelPath, manifest: written.manifestPath, id: written.manifest.id, sha256: written.manifest.sha256 });
  context.output.line(`wrote ${written.modelPath} (${String(written.manifest.id)}, generated weights: for tests and benchmarks only)`);
  return 0;
}
