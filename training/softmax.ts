/**
 * A single dense layer + softmax over backbone features, trained with mini-batch Adam — the
 * thesis's "new fully connected layer". Written by hand (no tfjs) because the model is one
 * matrix: the gradient is exact and small enough to check by finite differences in a unit test,
 * and plain typed-array loops run several times faster than tfjs's pure-JS CPU backend here.
 */
import { seededRandom, shuffleInPlace, type Random } from './random.ts';

/** Row-major features with integer labels. */
export interface FeatureSet {
  /** `count × dimension` float32 values, row i = sample i. */
  readonly x: Float32Array;
  /** `count` labels in [0, classes). */
  readonly y: Int32Array;
  readonly count: number;
  readonly dimension: number;
}

/** Weights of the dense layer. */
export interface DenseParameters {
  readonly classes: number;
  readonly dimension: number;
  /** `classes × dimension`, row c = weights of class c. */
  readonly weights: Float32Array;
  /** `classes`. */
  readonly bias: Float32Array;
}

/** What the loss adds to plain cross-entropy. */
export interface LossOptions {
  /** ε in [0, 1): targets become (1 − ε)·onehot + ε/C. */
  readonly labelSmoothing: number;
  /** Per-class weights (length C) for a class-balanced loss, or undefined for uniform. */
  readonly classWeights?: Float64Array | undefined;
}

/** Sums over one batch. */
export interface BatchStats {
  /** Objective (weighted, smoothed), averaged over the batch's weight. */
  readonly objective: number;
  /** Plain cross-entropy summed over the batch (for curves comparable across recipes). */
  readonly crossEntropySum: number;
  readonly correct: number;
}

/** PyTorch's `nn.Linear` default initialisation: U(−1/√D, 1/√D) for weights and bias. */
export function initDense(classes: number, dimension: number, random: Random): DenseParameters {
  const bound = 1 / Math.sqrt(dimension);
  const weights = new Float32Array(classes * dimension);
  const bias = new Float32Array(classes);
  for (let i = 0; i < weights.length; i++) weights[i] = (random() * 2 - 1) * bound;
  for (let i = 0; i < classes; i++) bias[i] = (random() * 2 - 1) * bound;
  return { classes, dimension, weights, bias };
}

/** Writes the softmax probabilities of sample `row` of `x` into `out` (length C). */
export function predictRow(params: DenseParameters, x: Float32Array, row: number, out: Float64Array): void {
  const { classes, dimension, weights, bias } = params;
  const offset = row * dimension;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    const sum = bias[c]! + dot(weights, c * dimension, x, offset, dimension);
    out[c] = sum;
    if (sum > max) max = sum;
  }
  let total = 0;
  for (let c = 0; c < classes; c++) {
    const e = Math.exp(out[c]! - max);
    out[c] = e;
    total += e;
  }
  for (let c = 0; c < classes; c++) out[c] = out[c]! / total;
}

/** Σ a[i + j]·b[k + j] for j < n, four accumulators (≈2× faster than one in V8). */
function dot(a: Float32Array, i: number, b: Float32Array, k: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[i + j]! * b[k + j]!;
    s1 += a[i + j + 1]! * b[k + j + 1]!;
    s2 += a[i + j + 2]! * b[k + j + 2]!;
    s3 += a[i + j + 3]! * b[k + j + 3]!;
  }
  for (; j < n; j++) s0 += a[i + j]! * b[k + j]!;
  return s0 + s1 + s2 + s3;
}

/**
 * Loss over the samples `rows` of `set`, and (when `grad` is given) its gradient with respect to
 * the weights and bias, *overwriting* `grad`. The objective is Σᵢ wᵢ·CE(qᵢ, pᵢ) / Σᵢ wᵢ, like
 * PyTorch's `CrossEntropyLoss(weight, label_smoothing)` with mean reduction.
 */
export function batchLoss(params: DenseParameters, set: FeatureSet, rows: ArrayLike<number>, options: LossOptions, grad?: DenseParameters): BatchStats {
  const { classes, dimension } = params;
  const probabilities = new Float64Array(classes);
  const delta = new Float64Array(classes);
  const smoothing = options.labelSmoothing;
  let weightSum = 0;
  for (let i = 0; i < rows.length; i++) weightSum += options.classWeights?.[set.y[rows[i]!]!] ?? 1;
  if (grad) {
    grad.weights.fill(0);
    grad.bias.fill(0);
  }
  let objective = 0;
  let crossEntropySum = 0;
  let correct = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const label = set.y[row]!;
    predictRow(params, set.x, row, probabilities);
    const weight = (options.classWeights?.[label] ?? 1) / weightSum;
    let best = 0;
    let sampleLoss = 0;
    for (let c = 0; c < classes; c++) {
      const target = (c === label ? 1 - smoothing : 0) + smoothing / classes;
      const p = Math.max(probabilities[c]!, 1e-12);
      if (target > 0) sampleLoss -= target * Math.log(p);
      delta[c] = weight * (probabilities[c]! - target);
      if (probabilities[c]! > probabilities[best]!) best = c;
    }
    objective += weight * sampleLoss;
    crossEntropySum -= Math.log(Math.max(probabilities[label]!, 1e-12));
    if (best === label) correct++;
    if (grad) accumulate(grad, delta, set.x, row * dimension);
  }
  return { objective, crossEntropySum, correct };
}

function accumulate(grad: DenseParameters, delta: Float64Array, x: Float32Array, offset: number): void {
  const { classes, dimension, weights, bias } = grad;
  for (let c = 0; c < classes; c++) {
    const g = delta[c]!;
    bias[c] = bias[c]! + g;
    if (g === 0) continue;
    const w = c * dimension;
    let d = 0;
    for (; d + 3 < dimension; d += 4) {
      weights[w + d] = weights[w + d]! + g * x[offset + d]!;
      weights[w + d + 1] = weights[w + d + 1]! + g * x[offset + d + 1]!;
      weights[w + d + 2] = weights[w + d + 2]! + g * x[offset + d + 2]!;
      weights[w + d + 3] = weights[w + d + 3]! + g * x[offset + d + 3]!;
    }
    for (; d < dimension; d++) weights[w + d] = weights[w + d]! + g * x[offset + d]!;
  }
}

/** Adam (Kingma & Ba) with PyTorch's defaults β₁ 0.9, β₂ 0.999, ε 1e-8; optional decoupled weight decay (AdamW). */
export class Adam {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private step = 0;

  constructor(
    private readonly tensors: readonly Float32Array[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.m = tensors.map((t) => new Float64Array(t.length));
    this.v = tensors.map((t) => new Float64Array(t.length));
  }

  /** One update of every tensor from its gradient; `decay[i]` is tensor i's decoupled weight decay. */
  update(grads: readonly Float32Array[], learningRate: number, decay: readonly number[]): void {
    this.step++;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    this.tensors.forEach((tensor, t) => {
      const g = grads[t]!;
      const m = this.m[t]!;
      const v = this.v[t]!;
      const shrink = 1 - learningRate * (decay[t] ?? 0);
      for (let i = 0; i < tensor.length; i++) {
        const gi = g[i]!;
        m[i] = this.beta1 * m[i]! + (1 - this.beta1) * gi;
        v[i] = this.beta2 * v[i]! + (1 - this.beta2) * gi * gi;
        const mHat = m[i]! / correction1;
        const vHat = v[i]! / correction2;
        tensor[i] = tensor[i]! * shrink - (learningRate * mHat) / (Math.sqrt(vHat) + this.epsilon);
      }
    });
  }
}

/** Everything the optimisation loop needs; validated by {@link validateHyperparameters} upstream. */
export interface OptimiserSettings extends LossOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** `cosine`: lr·½(1 + cos(π·epoch/epochs)), per epoch. */
  readonly schedule: 'constant' | 'cosine';
  /** Decoupled (AdamW) weight decay on the weights, not the bias. */
  readonly weightDecay: number;
  /** Stop after this many epochs without a lower monitor loss and restore the best weights; 0 = off. */
  readonly patience: number;
  readonly seed: number;
}

/** One epoch's numbers; losses are plain cross-entropy, accuracies in [0, 1]. */
export interface EpochMetrics {
  /** 1-based. */
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
}

export interface FitResult {
  readonly params: DenseParameters;
  readonly history: EpochMetrics[];
  /** Epoch whose weights were kept (the last unless early stopping restored an earlier one). */
  readonly bestEpoch: number;
}

/** Mean plain cross-entropy and accuracy of `params` over a whole set. */
export function evaluate(params: DenseParameters, set: FeatureSet): { loss: number; accuracy: number } {
  if (set.count === 0) return { loss: Number.NaN, accuracy: Number.NaN };
  const rows = Int32Array.from({ length: set.count }, (_, i) => i);
  const stats = batchLoss(params, set, rows, { labelSmoothing: 0 });
  return { loss: stats.crossEntropySum / set.count, accuracy: stats.correct / set.count };
}

/**
 * Mini-batch training with per-epoch shuffling. `validation` is only measured (curves);
 * `monitor` (default: `validation`) drives early stopping; `initial` starts from given weights.
 */
export function fitSoftmax(
  train: FeatureSet,
  validation: FeatureSet,
  classes: number,
  settings: OptimiserSettings,
  hooks: { onEpoch?: (metrics: EpochMetrics) => void; monitor?: FeatureSet; initial?: DenseParameters } = {},
): FitResult {
  const random = seededRandom(settings.seed);
  const params = initDense(classes, train.dimension, random);
  if (hooks.initial) {
    // Warm start: continue from a trained layer of the same shape instead of random weights.
    if (hooks.initial.classes !== classes || hooks.initial.dimension !== train.dimension) {
      throw new RangeError(`initial weights are ${hooks.initial.classes}×${hooks.initial.dimension}, the task ${classes}×${train.dimension}`);
    }
    params.weights.set(hooks.initial.weights);
    params.bias.set(hooks.initial.bias);
  }
  const grad: DenseParameters = { classes, dimension: train.dimension, weights: new Float32Array(params.weights.length), bias: new Float32Array(classes) };
  const adam = new Adam([params.weights, params.bias]);
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const history: EpochMetrics[] = [];
  let best = { loss: Infinity, epoch: 0, weights: params.weights.slice(), bias: params.bias.slice() };
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    const lr = learningRateAt(settings, epoch - 1);
    shuffleInPlace(order, random);
    let crossEntropy = 0;
    let correct = 0;
    for (let start = 0; start < train.count; start += settings.batchSize) {
      const rows = order.subarray(start, Math.min(start + settings.batchSize, train.count));
      const stats = batchLoss(params, train, rows, settings, grad);
      crossEntropy += stats.crossEntropySum;
      correct += stats.correct;
      adam.update([grad.weights, grad.bias], lr, [settings.weightDecay, 0]);
    }
    const val = evaluate(params, validation);
    const metrics = { epoch, epochs: settings.epochs, trainLoss: crossEntropy / train.count, trainAccuracy: correct / train.count, valLoss: val.loss, valAccuracy: val.accuracy };
    history.push(metrics);
    hooks.onEpoch?.(metrics);
    if (settings.patience > 0) {
      const monitored = hooks.monitor ? evaluate(params, hooks.monitor).loss : val.loss;
      if (monitored < best.loss) best = { loss: monitored, epoch, weights: params.weights.slice(), bias: params.bias.slice() };
      else if (epoch - best.epoch >= settings.patience) break;
    }
  }
  if (settings.patience > 0 && best.epoch > 0) {
    params.weights.set(best.weights);
    params.bias.set(best.bias);
    return { params, history, bestEpoch: best.epoch };
  }
  return { params, history, bestEpoch: history.length };
}

function learningRateAt(settings: OptimiserSettings, epochIndex: number): number {
  if (settings.schedule === 'constant') return settings.learningRate;
  return settings.learningRate * 0.5 * (1 + Math.cos((Math.PI * epochIndex) / settings.epochs));
}
