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

const float32 = new Float32Array(1);
const float32Bits = new Uint32Array(float32.buffer);

/**
 * The IEEE-754 binary16 bit pattern nearest to `value` (ties to even), as pgvector's cast of a
 * float to `halfvec` rounds; out-of-range values become ±Infinity.
 */
export function floatToHalfBits(value: number): number {
  float32[0] = value;
  const bits = float32Bits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - exponent;
    return sign | roundedShift(full, shift);
  }
  // A carry out of the mantissa correctly bumps the exponent (and 65520+ becomes Infinity).
  return sign | ((exponent << 10) + roundedShift(mantissa, 13));
}

/** `value >> shift` rounded to nearest, ties to even. */
function roundedShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** `vector` rounded to half precision, as `$1::halfvec` would store it. */
export function toHalves(vector: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(vector.length);
  for (let i = 0; i < vector.length; i += 1) out[i] = floatToHalfBits(vector[i]!);
  return out;
}

/**
 * Cosine distance between two half-float vectors, as pgvector's `<=>` on `halfvec` defines it:
 * 1 − a·b / √(|a|²·|b|²), the similarity clamped to [−1, 1] (accumulated in float64 here).
 */
export function halfCosineDistance(a: Uint16Array, b: Uint16Array): number {
  const table = halfToFloatTable();
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i += 1) {
    const x = table[a[i]!]!;
    const y = table[b[i]!]!;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  const similarity = dot / Math.sqrt(normA * normB);
  return 1 - Math.min(1, Math.max(-1, similarity));
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
