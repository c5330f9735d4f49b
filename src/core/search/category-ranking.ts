/**
 * Category-aware ranking of search hits. The rule (also in docs/training.md):
 *
 * When the classifier's confidence is at least `threshold`, let `bestIn` be the highest
 * similarity among hits of the predicted category. Every hit of that category moves ahead of
 * every other hit, except that a hit of another category whose similarity exceeds `bestIn` by
 * more than `margin` is "clearly better" and stays ahead of the category. Within each group the
 * order is by similarity (descending), ties by input order. No hit is ever dropped. Below the
 * threshold, with no prediction, or with no hit of the category, the order is unchanged.
 */

export interface RankingPrediction {
  readonly category: string;
  /** In [0, 1]. */
  readonly confidence: number;
}

export interface RankingOptions {
  /** Minimum confidence for the category to matter, in [0, 1]. */
  readonly threshold: number;
  /** Cosine-similarity lead that keeps an off-category hit ahead, e.g. 0.05. */
  readonly margin: number;
}

export const DEFAULT_CATEGORY_MARGIN = 0.05;

/** Reorders `hits` (any objects with a category and a similarity score); returns a new array. */
export function rankByCategory<T>(
  hits: readonly T[],
  prediction: RankingPrediction | undefined,
  options: RankingOptions,
  accessors: { category: (hit: T) => string; score: (hit: T) => number },
): T[] {
  if (!prediction || prediction.confidence < options.threshold) return [...hits];
  const inCategory = hits.filter((hit) => accessors.category(hit) === prediction.category);
  if (inCategory.length === 0) return [...hits];
  const bestIn = Math.max(...inCategory.map(accessors.score));
  const group = (hit: T) => (accessors.category(hit) === prediction.category ? 1 : accessors.score(hit) > bestIn + options.margin ? 0 : 2);
  return hits
    .map((hit, index) => ({ hit, index, group: group(hit) }))
    .sort((a, b) => a.group - b.group || accessors.score(b.hit) - accessors.score(a.hit) || a.index - b.index)
    .map((entry) => entry.hit);
}
