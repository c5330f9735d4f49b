/**
 * The one place that converts embeddings to pgvector literals, for both engines.
 */
import pgvector from 'pgvector';

/** `[0.1,0.2,…]` literal for a `halfvec`/`vector` parameter; cast it in SQL (`$1::halfvec`). */
export function toVectorLiteral(values: Float32Array | readonly number[]): string {
  return pgvector.toSql(Array.from(values)) as string;
}
