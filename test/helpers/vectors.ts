/** Deterministic unit vectors for database tests that don't need a real model. */

export { seededRandom } from '../../training/random.ts';
import { seededRandom } from '../../training/random.ts';

export function unitVector(seed: number, dimension = 2048): Float32Array {
  const random = seededRandom(seed);
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i += 1) vector[i] = random() * 2 - 1;
  return normalize(vector);
}

/** `base` nudged by `amount` of noise, renormalised: a "transformed copy" in vector space. */
export function near(base: Float32Array, seed: number, amount: number): Float32Array {
  const noise = unitVector(seed, base.length);
  return normalize(base.map((value, i) => value + amount * noise[i]!));
}

export function normalize(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}
