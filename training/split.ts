/**
 * The stratified, seeded 80/20 split. Each image's side is decided by ranking images of its
 * category on `hash(seed, sha256)`, so the split does not depend on listing order, and adding a
 * few images to a catalog moves few existing images across the boundary.
 */
import { hashUnit } from './random.ts';

/** One labelled image, identified by the SHA-256 of its bytes. */
export interface LabelledItem {
  readonly sha256: string;
  /** Index into the category list. */
  readonly label: number;
}

export interface SplitIndices {
  /** Indices into the input list. */
  readonly train: number[];
  readonly validation: number[];
}

/**
 * Splits per category: `round(n · validationFraction)` images (at least 1 when n ≥ 2) go to
 * validation, the rest to training.
 * @param validationFraction in (0, 1); 0.2 for the thesis's 80/20.
 */
export function stratifiedSplit(items: readonly LabelledItem[], validationFraction: number, seed: number): SplitIndices {
  if (!(validationFraction > 0 && validationFraction < 1)) throw new RangeError(`validation fraction must be in (0, 1), got ${validationFraction}`);
  const byLabel = new Map<number, number[]>();
  items.forEach((item, index) => {
    const list = byLabel.get(item.label) ?? [];
    list.push(index);
    byLabel.set(item.label, list);
  });
  const train: number[] = [];
  const validation: number[] = [];
  for (const indices of byLabel.values()) {
    const ranked = indices
      .map((index) => ({ index, key: hashUnit(seed, items[index]!.sha256) }))
      .sort((a, b) => a.key - b.key || a.index - b.index);
    const count = ranked.length < 2 ? 0 : Math.max(1, Math.round(ranked.length * validationFraction));
    ranked.forEach((entry, rank) => (rank < count ? validation : train).push(entry.index));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}
