/** Deterministic unit vectors for database tests that don't need a real model. */

/** mulberry32: tiny seeded PRNG, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
