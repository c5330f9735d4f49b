/**
 * One training run over features already extracted: prepare (standardize, class weights,
 * early-stopping hold-out), fit, evaluate. Pure and synchronous; the worker thread runs it.
 */
import { standardizeRows, type ClassifierHead } from './head.ts';
import { accuracyOf, confusionMatrix } from './metrics.ts';
import type { Hyperparameters } from './recipes.ts';
import { evaluate, fitSoftmax, predictRow, type EpochMetrics, type FeatureSet } from './softmax.ts';
import { stratifiedSplit } from './split.ts';

/** Features of the training split: originals and their augmented copies. */
export interface TrainingSamples extends FeatureSet {
  /** `count` ids of the original image each row came from (augmented copies share it). */
  readonly group: Int32Array;
}

/**
 * Continue from a trained head instead of random weights: its layer and its feature
 * standardization are kept, and a short, gentler run adapts them to the changed catalog.
 */
export interface WarmStart {
  readonly head: ClassifierHead;
  /** Most epochs of the warm run. */
  readonly epochs: number;
  /** Learning rate of the warm run (a fraction of the recipe's). */
  readonly learningRate: number;
  /** Early-stopping patience of the warm run. */
  readonly patience: number;
}

/** Warm-run settings relative to a recipe: measured with bench:train (README, "Benchmarks"). */
export function warmStartFor(head: ClassifierHead, h: Hyperparameters): WarmStart {
  return { head, epochs: Math.min(h.epochs, 12), learningRate: h.learningRate * 0.3, patience: Math.min(Math.max(h.patience, 1), 3) };
}

export interface TrainingJob {
  readonly categories: readonly string[];
  readonly hyperparameters: Hyperparameters;
  /** Present when the active head can be continued (same backbone, categories and recipe). */
  readonly warmStart?: WarmStart;
  readonly train: TrainingSamples;
  /** Original (un-augmented) validation images. */
  readonly validation: FeatureSet;
}

export interface TrainingOutput {
  readonly head: ClassifierHead;
  readonly history: EpochMetrics[];
  readonly bestEpoch: number;
  readonly valLoss: number;
  /** In [0, 1]. */
  readonly valAccuracy: number;
  /** `confusion[actual][predicted]` over the validation set. */
  readonly confusion: number[][];
}

/** Trains a head for `job`; `onEpoch` sees every epoch's train/validation loss and accuracy. */
export function trainHead(job: TrainingJob, onEpoch?: (metrics: EpochMetrics) => void): TrainingOutput {
  const warm = job.warmStart;
  const h: Hyperparameters = warm ? { ...job.hyperparameters, epochs: warm.epochs, learningRate: warm.learningRate, patience: warm.patience } : job.hyperparameters;
  const classes = job.categories.length;
  // A warm start keeps the head's own standardization: its weights only make sense on it.
  const warmStats = warm?.head.mean && warm.head.scale ? { mean: warm.head.mean, scale: warm.head.scale } : undefined;
  const stats = h.standardize ? (warmStats ?? featureStatistics(job.train)) : undefined;
  const transform = (set: FeatureSet): FeatureSet => (stats ? { ...set, x: standardizeRows({ ...stats, dimension: set.dimension }, set.x) } : set);
  const { fitSet, monitor } = holdOut(transform(job.train), job.train.group, h);
  const validation = transform(job.validation);
  const classWeights = h.classBalanced ? balancedWeights(fitSet.y, classes) : undefined;
  const fit = fitSoftmax(fitSet, validation, classes, { ...h, classWeights }, {
    ...(onEpoch ? { onEpoch } : {}),
    ...(monitor ? { monitor } : {}),
    ...(warm ? { initial: warm.head } : {}),
  });
  const head: ClassifierHead = { ...fit.params, categories: job.categories, mean: stats?.mean, scale: stats?.scale };
  const final = evaluate(fit.params, validation);
  const confusion = confusionMatrix(validation.y, predictAll(fit.params, validation), classes);
  return { head, history: fit.history, bestEpoch: fit.bestEpoch, valLoss: final.loss, valAccuracy: accuracyOf(confusion), confusion };
}

/** Predicted class of every row of `set`. */
export function predictAll(params: Parameters<typeof predictRow>[0], set: FeatureSet): Int32Array {
  const out = new Int32Array(set.count);
  const probabilities = new Float64Array(params.classes);
  for (let row = 0; row < set.count; row++) {
    predictRow(params, set.x, row, probabilities);
    let best = 0;
    for (let c = 1; c < params.classes; c++) if (probabilities[c]! > probabilities[best]!) best = c;
    out[row] = best;
  }
  return out;
}

/** Per-feature mean and 1/(std + 1e-6) over the rows of `set`. */
export function featureStatistics(set: FeatureSet): { mean: Float32Array; scale: Float32Array } {
  const { dimension, count, x } = set;
  const sum = new Float64Array(dimension);
  const squares = new Float64Array(dimension);
  for (let i = 0; i < count * dimension; i++) {
    const d = i % dimension;
    sum[d] = sum[d]! + x[i]!;
    squares[d] = squares[d]! + x[i]! * x[i]!;
  }
  const mean = new Float32Array(dimension);
  const scale = new Float32Array(dimension);
  for (let d = 0; d < dimension; d++) {
    const m = sum[d]! / count;
    mean[d] = m;
    scale[d] = 1 / (Math.sqrt(Math.max(squares[d]! / count - m * m, 0)) + 1e-6);
  }
  return { mean, scale };
}

/** N / (C · n_c) per class (0 for a class absent from training). */
export function balancedWeights(labels: Int32Array, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (const label of labels) counts[label] = counts[label]! + 1;
  return counts.map((n) => (n === 0 ? 0 : labels.length / (classes * n)));
}

/** Splits off whole original images (with their augmented copies) for early stopping. */
function holdOut(set: FeatureSet, group: Int32Array, h: Hyperparameters): { fitSet: FeatureSet; monitor?: FeatureSet } {
  if (h.patience === 0 || h.monitorFraction === 0) return { fitSet: set };
  const groups = new Map<number, number>();
  for (let i = 0; i < set.count; i++) if (!groups.has(group[i]!)) groups.set(group[i]!, set.y[i]!);
  const ids = [...groups.keys()];
  const split = stratifiedSplit(ids.map((id) => ({ sha256: `group-${id}`, label: groups.get(id)! })), h.monitorFraction, h.seed + 1);
  const monitorGroups = new Set(split.validation.map((index) => ids[index]!));
  const fitRows: number[] = [];
  const monitorRows: number[] = [];
  for (let i = 0; i < set.count; i++) (monitorGroups.has(group[i]!) ? monitorRows : fitRows).push(i);
  if (monitorRows.length === 0 || fitRows.length === 0) return { fitSet: set };
  return { fitSet: selectRows(set, fitRows), monitor: selectRows(set, monitorRows) };
}

/** A new set holding `rows` of `set`, in that order. */
export function selectRows(set: FeatureSet, rows: readonly number[]): FeatureSet {
  const { dimension } = set;
  const x = new Float32Array(rows.length * dimension);
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    x.set(set.x.subarray(row * dimension, (row + 1) * dimension), i * dimension);
    y[i] = set.y[row]!;
  });
  return { x, y, count: rows.length, dimension };
}
