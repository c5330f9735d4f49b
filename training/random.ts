/**
 * Seeded randomness for training: every shuffle, split and augmentation is a pure function of a
 * seed, so two runs with the same seed (and data) produce the same head.
 */
import { createHash } from 'node:crypto';

/** A uniform generator over [0, 1). */
export type Random = () => number;

/** Mulberry32: tiny, fast, good enough for shuffles and augmentation parameters. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed derived from any list of parts (e.g. run seed, image sha256, copy index). */
export function deriveSeed(...parts: ReadonlyArray<string | number>): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

/** A number in [0, 1) fixed by `parts`; used to place images in the split independently of order. */
export function hashUnit(...parts: ReadonlyArray<string | number>): number {
  return deriveSeed(...parts) / 4294967296;
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array, random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const held = items[i]!;
    items[i] = items[j]!;
    items[j] = held;
  }
}

/** A uniform value in [low, high). */
export function uniform(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}
