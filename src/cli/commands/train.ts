/**
 * `npx shoplens train [--data <folder>] [--recipe thesis|best] [--epochs N] [--batch N] [--lr X] [--seed N] [--json]`
 */
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { trainingRecord } from '../../core/records.ts';
import { RECIPE_NAMES, type RecipeName, type TrainingSuccess } from '../../core/training/index.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { EXIT, UsageError } from '../errors.ts';
import { numberFlag, warnIfNotPretrained } from './shared.ts';

/** `data`: absolute path of an ImageFolder to train on instead of the catalog. */
const trainRequest = z.object({
  data: z.string().refine((folder) => path.isAbsolute(folder), 'must be an absolute path').optional(),
  recipe: z.enum(RECIPE_NAMES as [RecipeName, ...RecipeName[]]),
  overrides: z.object({ epochs: z.number(), batchSize: z.number(), learningRate: z.number(), seed: z.number() }).partial(),
});

export type TrainRequest = z.infer<typeof trainRequest>;

export const trainCommand: CommandSpec<TrainRequest> = {
  name: 'train',
  scope: 'catalog',
  requestSchema: trainRequest,
  execute: runTrain,
};

export interface TrainFlags {
  data?: string;
  recipe: string;
  epochs?: string;
  batch?: string;
  lr?: string;
  seed?: string;
  json: boolean;
}

export function registerTrain(program: Command, runner: CommandRunner): void {
  program
    .command('train')
    .description('train the category classifier head on the catalog (or an ImageFolder) and promote it if it is not worse')
    .option('--data <folder>', 'train on <folder>/<category>/<image> instead of the catalog')
    .option('--recipe <name>', 'thesis (the thesis exactly) or best', 'best')
    .option('--epochs <n>', 'epochs (maximum with early stopping)')
    .option('--batch <n>', 'mini-batch size')
    .option('--lr <x>', 'learning rate')
    .option('--seed <n>', 'seed for the split, shuffles and augmentations')
    .option('--json', 'print one JSON object at the end', false)
    .action(async (flags: TrainFlags) => {
      await runner.run(trainCommand, flags, () => parseTrain(flags));
    });
}

function parseTrain(flags: TrainFlags): TrainRequest {
  if (!(RECIPE_NAMES as readonly string[]).includes(flags.recipe)) throw new UsageError(`--recipe must be ${RECIPE_NAMES.join(' or ')}, got "${flags.recipe}"`);
  const overrides = {
    epochs: numberFlag(flags.epochs, '--epochs'),
    batchSize: numberFlag(flags.batch, '--batch'),
    learningRate: numberFlag(flags.lr, '--lr'),
    seed: numberFlag(flags.seed, '--seed'),
  };
  return {
    recipe: flags.recipe as RecipeName,
    overrides: Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)),
    ...(flags.data ? { data: path.resolve(flags.data) } : {}),
  };
}

/** Runs one training; returns the exit code (0 when a head was trained, promoted or not; 1 when skipped). */
export async function runTrain(context: CommandContext, request: TrainRequest): Promise<number> {
  const assistant = await context.assistant();
  warnIfNotPretrained(context.output, await assistant.model());
  const training = assistant.training;
  const features = context.output.progress('features');
  const epochs = context.output.json ? context.output.progress('epochs') : undefined;
  try {
    const result = await training.service.startTraining({
      recipe: request.recipe, overrides: request.overrides, trigger: 'cli', signal: context.signal, onWarning: (message) => context.output.warn(message), ...(request.data ? { data: request.data } : {}),
      onFeatures: (done, total) => features.update(done, total),
      onEpoch: (m) => {
        features.stop();
        epochs?.update(m.epoch, m.epochs);
        context.output.line(`epoch ${m.epoch}/${m.epochs}  train loss ${m.trainLoss.toFixed(4)} acc ${percent(m.trainAccuracy)}  val loss ${m.valLoss.toFixed(4)} acc ${percent(m.valAccuracy)}`);
      },
    });
    context.output.record(trainingRecord(result));
    if (result.status === 'skipped') {
      context.output.warn(result.reason);
      return EXIT.partial;
    }
    report(context, result);
    return EXIT.ok;
  } finally {
    features.stop();
    epochs?.stop();
  }
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function report(context: CommandContext, r: TrainingSuccess): void {
  context.output.line(`final validation accuracy ${percent(r.valAccuracy)} (loss ${r.valLoss.toFixed(4)}, ${r.valSize} images; kept epoch ${r.bestEpoch})`);
  context.output.line(`${r.promoted ? 'promoted' : 'not promoted'} ${r.headId}: ${r.promotionReason}`);
  context.output.line(`charts: ${r.files.curves}, ${r.files.confusion}`);
}
