import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { modelIdOf } from '../../ml/manifest.ts';
import { writeGeneratedModel } from '../../ml/model-generator/index.ts';
import { fetchPretrainedModel } from '../../ml/model-fetch.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { UsageError } from '../errors.ts';
import { noArguments } from './shared.ts';

/** `model fetch` and `model generate` write files only: they never open the catalog, so they always run here. */
export const modelFetchCommand: CommandSpec<Record<string, never>> = {
  name: 'model fetch', scope: 'local', requestSchema: noArguments, execute: (context) => fetchModel(context),
};

const generateRequest = z.object({ arch: z.enum(['resnet50', 'tiny']), seed: z.number().int(), out: z.string() });

type GenerateRequest = z.infer<typeof generateRequest>;

export const modelGenerateCommand: CommandSpec<GenerateRequest> = { name: 'model generate', scope: 'local', requestSchema: generateRequest, execute: generate };

/** `model …`: get a backbone. Returns the `model` command so other features can add subcommands. */
export function registerModel(program: Command, runner: CommandRunner): Command {
  const model = program.command('model').description('get or make the backbone model');
  model
    .command('fetch')
    .description('download the pretrained ImageNet ResNet-50 to MODEL_PATH, verifying its sha256')
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { json: boolean }) => {
      await runner.run(modelFetchCommand, options, () => ({}));
    });
  model
    .command('generate')
    .description('write a ResNet-50-topology (or tiny) ONNX model with seeded random weights, for tests and benchmarks')
    .option('--arch <arch>', 'resnet50 or tiny', 'resnet50')
    .option('--seed <n>', 'random seed', '42')
    .requiredOption('--out <file>', 'where to write the .onnx file')
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { arch: string; seed: string; out: string; json: boolean }) => {
      await runner.run(modelGenerateCommand, options, () => parseGenerate(options));
    });
  return model;
}

async function fetchModel(context: CommandContext): Promise<number> {
  const progress = context.output.progress('download (MB)');
  const result = await fetchPretrainedModel({
    modelsDir: path.dirname(context.config.model.path),
    onProgress: (done, total) => progress.update(Math.round(done / 1e6), Math.round((total ?? done) / 1e6)),
  }).finally(() => progress.stop());
  context.output.record({ path: result.modelPath, backboneModelId: modelIdOf(result.manifest), sha256: result.manifest.sha256, status: result.status, bytes: result.bytes });
  context.output.line(`${result.status === 'already-present' ? 'already present' : 'downloaded'}: ${result.modelPath} (sha256 ${result.manifest.sha256})`);
  if (path.resolve(result.modelPath) !== path.resolve(context.config.model.path)) {
    context.output.warn(`MODEL_PATH is ${context.config.model.path}; set MODEL_PATH=${result.modelPath} to use the pretrained model.`);
  }
  return 0;
}

function parseGenerate(options: { arch: string; seed: string; out: string }): GenerateRequest {
  if (options.arch !== 'resnet50' && options.arch !== 'tiny') throw new UsageError(`--arch must be resnet50 or tiny, got "${options.arch}"`);
  const seed = Number(options.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got "${options.seed}"`);
  const out = path.resolve(options.out);
  if (!out.endsWith('.onnx')) throw new UsageError(`--out must end with .onnx, got "${options.out}"`);
  return { arch: options.arch, seed, out };
}

async function generate(context: CommandContext, request: GenerateRequest): Promise<number> {
  const written = await writeGeneratedModel(request);
  const backboneModelId = modelIdOf({ id: String(written.manifest.id), sha256: String(written.manifest.sha256) });
  context.output.record({ path: written.modelPath, manifest: written.manifestPath, backboneModelId, sha256: written.manifest.sha256 });
  context.output.line(`wrote ${written.modelPath} (${backboneModelId}, generated weights: for tests and benchmarks only)`);
  return 0;
}
