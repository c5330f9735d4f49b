/**
 * `npx shoplens train [--data <folder>] [--recipe thesis|best] [--epochs N] [--batch N] [--lr X] [--seed N] [--json]`
 */
import type { Command } from 'commander';
import { RECIPE_NAMES, type RecipeName, type TrainingSuccess } from '../../core/training/index.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from './search.ts';
import { warnIfNotPretrained } from './shared.ts';

type Run = (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>;

export interface TrainOptions {
  data?: string;
  recipe: string;
  epochs?: string;
  batch?: string;
  lr?: string;
  seed?: string;
  json: boolean;
}

export function registerTrain(program: Command, run: Run): void {
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
    .action(async (options: TrainOptions) => {
      await run(options.json, async (context) => runTrain(context, options));
    });
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new UsageError(`${flag} must be a number, got "${value}"`);
  return parsed;
}

function recipeOf(value: string): RecipeName {
  if (!(RECIPE_NAMES as readonly string[]).includes(value)) throw new UsageError(`--recipe must be ${RECIPE_NAMES.join(' or ')}, got "${value}"`);
  return value as RecipeName;
}

/** Runs one training; returns the exit code (0 when a head was trained, promoted or not). */
export async function runTrain(context: CliContext, options: TrainOptions): Promise<number> {
  const recipe = recipeOf(options.recipe);
  const overrides = { epochs: number(options.epochs, '--epochs'), batchSize: number(options.batch, '--batch'), learningRate: number(options.lr, '--lr'), seed: number(options.seed, '--seed') };
  const assistant = await context.assistant();
  warnIfNotPretrained(context, await assistant.model());
  const training = assistant.training;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const features = context.output.progress('features');
  const epochs = context.output.json ? context.output.progress('epochs') : undefined;
  try {
    const result = await training.service.startTraining({
      recipe, overrides, trigger: 'cli', signal: controller.signal, onWarning: (message) => context.output.warn(message), ...(options.data ? { data: options.data } : {}),
      onFeatures: (done, total) => features.update(done, total),
      onEpoch: (m) => {
        features.stop();
        epochs?.update(m.epoch, m.epochs);
        context.output.line(`epoch ${m.epoch}/${m.epochs}  train loss ${m.trainLoss.toFixed(4)} acc ${percent(m.trainAccuracy)}  val loss ${m.valLoss.toFixed(4)} acc ${percent(m.valAccuracy)}`);
      },
    });
    features.stop();
    epochs?.stop();
    if (result.status === 'skipped') {
      context.output.warn(result.reason);
      context.output.record({ runId: result.runId, skipped: true, reason: result.reason });
      return 1;
    }
    report(context, result);
    return 0;
  } finally {
    features.stop();
    epochs?.stop();
    process.off('SIGINT', onSignal);
  }
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function report(context: CliContext, r: TrainingSuccess): void {
  context.output.record({
    runId: r.runId, headId: r.headId, recipe: r.recipe, classes: r.classes, trainSize: r.trainSize, valSize: r.valSize,
    valAccuracy: r.valAccuracy, valLoss: r.valLoss, perClass: r.perClass, confusion: r.confusion, promoted: r.promoted,
    promotionReason: r.promotionReason, bestEpoch: r.bestEpoch, files: r.files,
  });
  context.output.line(`final validation accuracy ${percent(r.valAccuracy)} (loss ${r.valLoss.toFixed(4)}, ${r.valSize} images; kept epoch ${r.bestEpoch})`);
  context.output.line(`${r.promoted ? 'promoted' : 'not promoted'} ${r.headId}: ${r.promotionReason}`);
  context.output.line(`charts: ${r.files.curves}, ${r.files.confusion}`);
}
