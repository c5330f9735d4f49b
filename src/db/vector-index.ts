/**
 * Whether product embeddings get an HNSW index, and how it is built and searched. On a PostgreSQL
 * server the index is cheap to keep and makes queries ~80× faster than an exact scan at 100k
 * images. In embedded PGlite, building it is very slow (minutes for a few thousand images) and the
 * in-memory search index (src/core/search/in-memory-index) answers faster anyway, so `auto` leaves
 * PGlite unindexed.
 */
import type { Database } from './database.ts';

export type VectorIndexPolicy = 'auto' | 'hnsw' | 'none';

const INDEX_NAME = 'product_images_embedding_hnsw_idx';

/**
 * HNSW settings, chosen with `npm run bench:index -- --engine postgres --size 100000` on 125,000
 * clustered synthetic images, top-10 with 30% of products out of stock, recall@10 against the
 * exact scan (30 queries; 2 shared cores). With m 16 / ef_construction 64 (pgvector's defaults)
 * recall@10 was already 0.94–0.99 at every ef_search from 40 to 160, so a larger graph would
 * only lengthen the build (~2 min idle, ~10 min on a busy machine; 977 MB index).
 */
export const HNSW_BUILD = Object.freeze({
  /** Graph degree (pgvector's default). */
  m: 16,
  /** Candidate list while building (pgvector's default). */
  efConstruction: 64,
  /**
   * Candidate list while searching (`hnsw.ef_search`, per session). 64 was the fastest setting
   * with recall@10 ≥ 0.95: on 2026-11-26, with the index in shared_buffers (2 GB), p50 8.1 ms at
   * recall 0.963 (0.016× the exact scan's 520 ms); 40 gave 9.4 ms, 100 gave 9.6 ms at 0.983 — the
   * graph walk is not what costs most at these sizes. Not higher: at 240 the planner prices the
   * index scan above the exact scan and stops using it.
   */
  efSearch: 64,
  /** The graph must fit in memory while building, or the build slows down several times. */
  maintenanceWorkMem: '1GB',
  /** Workers besides the leader for a build (`max_parallel_maintenance_workers`). */
  parallelWorkers: 1,
});

/**
 * `-c` options for every PostgreSQL connection. Iterative scans keep the in-stock filter from
 * starving a top-K; `relaxed_order` was faster than `strict_order` at equal recall (the query
 * re-sorts its candidates anyway).
 */
export const HNSW_SESSION_OPTIONS: readonly string[] = ['-c hnsw.iterative_scan=relaxed_order', `-c hnsw.ef_search=${HNSW_BUILD.efSearch}`];

export function wantsHnswIndex(engine: Database['engine'], policy: VectorIndexPolicy): boolean {
  return policy === 'hnsw' || (policy === 'auto' && engine === 'postgres');
}

/** Creates or drops the HNSW cosine index to match the policy; returns whether it exists after. */
export async function applyVectorIndexPolicy(db: Database, policy: VectorIndexPolicy): Promise<boolean> {
  if (wantsHnswIndex(db.engine, policy)) {
    const exists = await db.query(`SELECT 1 FROM pg_class WHERE relname = '${INDEX_NAME}' AND relkind = 'i' AND pg_table_is_visible(oid)`);
    if (exists.rows.length > 0) return true;
    await db.transaction(async (tx) => {
      if (db.engine === 'postgres') {
        await tx.exec(`SET LOCAL maintenance_work_mem = '${HNSW_BUILD.maintenanceWorkMem}'; SET LOCAL max_parallel_maintenance_workers = ${HNSW_BUILD.parallelWorkers}`);
      }
      await tx.exec(
        `CREATE INDEX IF NOT EXISTS ${INDEX_NAME} ON product_images USING hnsw (embedding halfvec_cosine_ops) ` +
          `WITH (m = ${HNSW_BUILD.m}, ef_construction = ${HNSW_BUILD.efConstruction})`,
      );
    });
    return true;
  }
  await db.exec(`DROP INDEX IF EXISTS ${INDEX_NAME}`);
  return false;
}
