import path from 'node:path';
import type { Command } from 'commander';
import { writeGeneratedModel } from '../../ml/model-generator/index.ts';
import { fetchPretrainedModel } from '../../ml/model-fetch.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from './search.ts';

type Run = (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>;

/** `model …`: get a backbone. Returns the `model` command so other features can add subcommands. */
export function registerModel(program: Command, run: Run): Command {
  const model = program.command('model').description('get or make the backbone model');
  model
    .command('fetch')
    .description('download the pretrained ImageNet ResNet-50 to MODEL_PATH, verifying its sha256')
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { json: boolean }) => {
      await run(options.json, async (context) => fetchModel(context));
    });
  model
    .command('generate')
    .description('write a ResNet-50-topology (or tiny) ONNX model with seeded random weights, for tests and benchmarks')
    .option('--arch <arch>', 'resnet50 or tiny', 'resnet50')
    .option('--seed <n>', 'random seed', '42')
    .requiredOption('--out <file>', 'where to write the .onnx file')
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { arch: string; seed: string; out: string; json: boolean }) => {
      await run(options.json, async (context) => generate(context, options));
    });
  return model;
}

async function fetchModel(context: CliContext): Promise<number> {
  const progress = context.output.progress('download (MB)');
  const result = await fetchPretrainedModel({
    modelsDir: path.dirname(context.config.model.path),
    onProgress: (done, total) => progress.update(Math.round(done / 1e6), Math.round((total ?? done) / 1e6)),
  }).finally(() => progress.stop());
  context.output.record({ path: result.modelPath, sha256: result.manifest.sha256, status: result.status, bytes: result.bytes });
  context.output.line(`${result.status === 'already-present' ? 'already present' : 'downloaded'}: ${result.modelPath} (sha256 ${result.manifest.sha256})`);
  if (path.resolve(result.modelPath) !== path.resolve(context.config.model.path)) {
    context.output.warn(`MODEL_PATH is ${context.config.model.path}; set MODEL_PATH=${result.modelPath} to use the pretrained model.`);
  }
  return 0;
}

async function generate(context: CliContext, options: { arch: string; seed: string; out: string }): Promise<number> {
  if (options.arch !== 'resnet50' && options.arch !== 'tiny') throw new UsageError(`--arch must be resnet50 or tiny, got "${options.arch}"`);
  const seed = Number(options.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${options.seed}"`);
  const out = path.resolve(options.out);
  if (!out.endsWith('.onnx')) throw new UsageError(`--out must end with .onnx, got "${options.out}"`);
  const written = await writeGeneratedModel({ arch: options.arch, seed, out });
  context.output.record({ path: written.modelPath, manifest: written.manifestPath, id: written.manifest.id, sha256: written.manifest.sha256 });
  context.output.line(`wrote ${written.modelPath} (${String(written.manifest.id)}, generated weights: for tests and benchmarks only)`);
  return 0;
}
