/**
 * A trained category head as plain data: the dense layer plus the feature standardization it was
 * trained with. Predicting is a pure function of it and one raw feature vector.
 */
import { predictRow, type DenseParameters } from './softmax.ts';

export interface ClassifierHead extends DenseParameters {
  /** Category names; index = class. */
  readonly categories: readonly string[];
  /** Per-feature training mean (length D), subtracted before the layer; absent = raw features. */
  readonly mean?: Float32Array | undefined;
  /** Per-feature 1 / (std + 1e-6) (length D), multiplied after subtracting the mean. */
  readonly scale?: Float32Array | undefined;
}

/** One prediction: the best category, its probability, and the three most probable. */
export interface CategoryPrediction {
  readonly category: string;
  /** Softmax probability of `category`, in [0, 1]. */
  readonly confidence: number;
  /** Up to three `{ category, probability }`, most probable first. */
  readonly top3: ReadonlyArray<{ readonly category: string; readonly probability: number }>;
}

/** Applies the head's standardization to `count` rows of `x` (row-major, D columns), returning a new array. */
export function standardizeRows(head: Pick<ClassifierHead, 'mean' | 'scale' | 'dimension'>, x: Float32Array): Float32Array {
  const { mean, scale, dimension } = head;
  if (!mean || !scale) return x;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = i % dimension;
    out[i] = (x[i]! - mean[d]!) * scale[d]!;
  }
  return out;
}

/** Softmax probabilities (length C) for one raw feature vector (length D). */
export function headProbabilities(head: ClassifierHead, features: Float32Array): Float64Array {
  if (features.length !== head.dimension) throw new RangeError(`expected ${head.dimension} features, got ${features.length}`);
  const out = new Float64Array(head.classes);
  predictRow(head, standardizeRows(head, features), 0, out);
  return out;
}

/** Category, confidence and top-3 for one raw feature vector (length D, not normalized). */
export function predictCategory(head: ClassifierHead, features: Float32Array): CategoryPrediction {
  const probabilities = headProbabilities(head, features);
  const ranked = [...probabilities].map((probability, index) => ({ category: head.categories[index]!, probability })).sort((a, b) => b.probability - a.probability);
  const top = ranked[0]!;
  return { category: top.category, confidence: top.probability, top3: ranked.slice(0, 3) };
}

/** Fraction of rows of `x` (raw features, row-major) whose most probable class is `y`. */
export function headAccuracy(head: ClassifierHead, x: Float32Array, y: Int32Array): number {
  if (y.length === 0) return 0;
  const standardized = standardizeRows(head, x);
  const probabilities = new Float64Array(head.classes);
  let correct = 0;
  for (let row = 0; row < y.length; row++) {
    predictRow(head, standardized, row, probabilities);
    let best = 0;
    for (let c = 1; c < head.classes; c++) if (probabilities[c]! > probabilities[best]!) best = c;
    if (best === y[row]) correct++;
  }
  return correct / y.length;
}

/** JSON form of a head: typed arrays become number arrays. */
export interface SerializedHead {
  readonly categories: readonly string[];
  readonly dimension: number;
  readonly weights: number[];
  readonly bias: number[];
  readonly mean: number[] | null;
  readonly scale: number[] | null;
}

export function serializeHead(head: ClassifierHead): SerializedHead {
  return {
    categories: [...head.categories],
    dimension: head.dimension,
    weights: Array.from(head.weights),
    bias: Array.from(head.bias),
    mean: head.mean ? Array.from(head.mean) : null,
    scale: head.scale ? Array.from(head.scale) : null,
  };
}

/** @throws {Error} when the arrays' lengths disagree with the category count and dimension. */
export function deserializeHead(data: SerializedHead): ClassifierHead {
  const classes = data.categories.length;
  if (data.weights.length !== classes * data.dimension || data.bias.length !== classes) {
    throw new Error(`head has ${data.weights.length} weights and ${data.bias.length} biases for ${classes} classes × ${data.dimension} features`);
  }
  return {
    categories: data.categories,
    classes,
    dimension: data.dimension,
    weights: Float32Array.from(data.weights),
    bias: Float32Array.from(data.bias),
    mean: data.mean ? Float32Array.from(data.mean) : undefined,
    scale: data.scale ? Float32Array.from(data.scale) : undefined,
  };
}
