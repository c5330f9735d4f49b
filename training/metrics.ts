/** Classification metrics: confusion matrix, per-class precision/recall, accuracy. */

export interface ClassMetrics {
  /** Of the images predicted as this class, the fraction that are; NaN-free (0 when none predicted). */
  readonly precision: number;
  /** Of the images of this class, the fraction predicted as it. */
  readonly recall: number;
  readonly support: number;
}

/** `confusion[actual][predicted]` counts. */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) matrix[actual[i]!]![predicted[i]!]!++;
  return matrix;
}

/** Precision, recall and support per class name. */
export function perClassMetrics(confusion: readonly (readonly number[])[], names: readonly string[]): Record<string, ClassMetrics> {
  const result: Record<string, ClassMetrics> = {};
  names.forEach((name, c) => {
    const row = confusion[c] ?? [];
    const support = row.reduce((a, b) => a + b, 0);
    const predictedAs = confusion.reduce((sum, r) => sum + (r[c] ?? 0), 0);
    const hits = row[c] ?? 0;
    result[name] = { precision: predictedAs === 0 ? 0 : hits / predictedAs, recall: support === 0 ? 0 : hits / support, support };
  });
  return result;
}

/** Trace over total, in [0, 1]. */
export function accuracyOf(confusion: readonly (readonly number[])[]): number {
  let hits = 0;
  let total = 0;
  confusion.forEach((row, c) => row.forEach((count, p) => {
    total += count;
    if (c === p) hits += count;
  }));
  return total === 0 ? 0 : hits / total;
}
