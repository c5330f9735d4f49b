/**
 * Number formats of the in-memory index. Stored embeddings arrive as IEEE-754 half floats (what
 * pgvector's `halfvec` holds); the index keeps each as 8-bit integers scaled so that its largest
 * component is ±127. Cosine similarity ignores a vector's length, so the per-vector scale never
 * has to be stored, and 1 byte per dimension makes a scan 4× cheaper than float32.
 */

/** Float value of every 16-bit pattern: a 256 KB table turns decoding into one lookup. */
let halfTable: Float32Array | undefined;

function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits += 1) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    if (exponent === 0) table[bits] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[bits] = mantissa === 0 ? sign * Infinity : Number.NaN;
    else table[bits] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  halfTable = table;
  return table;
}

/** Decodes `halves` (IEEE-754 binary16 bit patterns) into a new Float32Array of the same length. */
export function halvesToFloats(halves: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i += 1) out[i] = table[halves[i]!]!;
  return out;
}

/**
 * Writes `vector` as int8 into `out` at `offset`, scaled so its largest |component| is 127
 * (rounded to nearest). An all-zero or non-finite vector is written as zeros.
 */
export function quantizeInto(vector: ArrayLike<number>, out: Int8Array, offset: number): void {
  let largest = 0;
  for (let i = 0; i < vector.length; i += 1) largest = Math.max(largest, Math.abs(vector[i]!));
  const scale = largest > 0 && Number.isFinite(largest) ? 127 / largest : 0;
  for (let i = 0; i < vector.length; i += 1) out[offset + i] = Math.round(vector[i]! * scale);
}
