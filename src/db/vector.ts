/**
 * The one place that converts embeddings to and from pgvector formats, for both engines.
 */
import pgvector from 'pgvector';

/** `[0.1,0.2,…]` literal for a `halfvec`/`vector` parameter; cast it in SQL (`$1::halfvec`). */
export function toVectorLiteral(values: Float32Array | readonly number[]): string {
  return pgvector.toSql(Array.from(values)) as string;
}

/**
 * Decodes one value of pgvector's `halfvec_send(halfvec)` (binary wire format: int16 dimension,
 * int16 unused, then one big-endian IEEE-754 half per dimension) into `out` at `offset`.
 * @returns the dimension.
 */
export function decodeHalfvecInto(bytes: Uint8Array, out: Uint16Array, offset: number): number {
  const dimension = (bytes[0]! << 8) | bytes[1]!;
  for (let d = 0; d < dimension; d += 1) out[offset + d] = (bytes[4 + 2 * d]! << 8) | bytes[5 + 2 * d]!;
  return dimension;
}

/** Dimension of a `halfvec_send` value. */
export function halfvecDimension(bytes: Uint8Array): number {
  return (bytes[0]! << 8) | bytes[1]!;
}
