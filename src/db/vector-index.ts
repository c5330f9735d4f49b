/**
 * Whether product embeddings get an HNSW index. On a PostgreSQL server the index is cheap to
 * keep and makes queries ~80× faster than an exact scan at 100k images. In embedded PGlite,
 * building it is very slow (minutes for a few thousand images) while an exact scan over a small
 * shop's catalog takes tens of milliseconds, so `auto` leaves PGlite unindexed.
 */
import type { Database } from './database.ts';

export type VectorIndexPolicy = 'auto' | 'hnsw' | 'none';

const INDEX_NAME = 'product_images_embedding_hnsw_idx';

export function wantsHnswIndex(engine: Database['engine'], policy: VectorIndexPolicy): boolean {
  return policy === 'hnsw' || (policy === 'auto' && engine === 'postgres');
}

/** Creates or drops the HNSW cosine index to match the policy; returns whether it exists after. */
export async function applyVectorIndexPolicy(db: Database, policy: VectorIndexPolicy): Promise<boolean> {
  if (wantsHnswIndex(db.engine, policy)) {
    await db.exec(`CREATE INDEX IF NOT EXISTS ${INDEX_NAME} ON product_images USING hnsw (embedding halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)`);
    return true;
  }
  await db.exec(`DROP INDEX IF EXISTS ${INDEX_NAME}`);
  return false;
}
