/**
 * Nearest in-stock products through the in-memory index. The index ranks exactly (pgvector's
 * halfvec cosine distance, each product's closest image, ties by product id — the definition of
 * ImageRepository.nearest) among the products its int8 scan proposes; the products' rows come
 * from the display-row cache when the catalog is known to be at the index's revision, otherwise
 * from the database, which then drops any that stopped being searchable since the index's last
 * sync. The answer is the exact scan's as long as the scan keeps every true top product among its
 * `margin` extra proposals (recall@10 is printed by bench/vector-index.bench.ts).
 */
import type { NearestQuery } from '../../../db/repositories/images.ts';
import type { SearchHit } from '../../../domain/catalog.ts';
import type { EmbeddingIndex } from './embedding-index.ts';
import type { DisplayRowCache } from './row-cache.ts';

/** Fewest extra products the int8 scan proposes beyond those asked for. */
const MIN_MARGIN = 20;

/**
 * Runs one top-10 search through the index and the database and discards it, so that the first
 * customer after start does not pay the one-time costs of the path: planning the rows' statement
 * and reading cold index and table pages, all on the event loop. At 100,000 products the first
 * search blocked the event loop for 43 ms and the later ones for under 10 (bench:index).
 * @param dimension length of the model's embeddings (2048 for ResNet-50)
 */
export async function warmUpNearest(index: EmbeddingIndex, rows: DisplayRowCache, modelId: string, dimension: number): Promise<void> {
  const neutral = new Float32Array(dimension).fill(1 / Math.sqrt(dimension));
  await nearestThroughIndex(index, rows, { near: { embedding: neutral }, modelId, limit: 10 });
}

/**
 * The `query.limit` products after `query.offset` closest to the query, best first.
 * @param seenRevision the catalog revision the caller read during this search (the catalog check), if any.
 * @throws whatever the index or the database throws; callers may fall back to ImageRepository.nearest.
 */
export async function nearestThroughIndex(index: EmbeddingIndex, rows: DisplayRowCache, query: NearestQuery, seenRevision?: number): Promise<SearchHit[]> {
  const offset = query.offset ?? 0;
  const asked = offset + query.limit;
  const filter = { categories: query.categories, excludeProductId: query.excludeProductId };
  let wanted = asked;
  // A revision the caller saw but the index does not reflect yet: catch up first. Otherwise search
  // the index as it is; rows come from the cache when the caller saw this very revision, or are read
  // together with the revision, and only when that moved is the index brought up to date and
  // searched again. Either way no database round trip is spent on the revision alone.
  await index.settled();
  if (index.catalogRevision === undefined || (seenRevision !== undefined && seenRevision !== index.catalogRevision)) await index.sync();
  for (let attempt = 0; ; attempt += 1) {
    const revision = index.catalogRevision;
    const found = await index.nearest(query.near, wanted, Math.max(wanted, MIN_MARGIN), filter);
    const read = await rows.read(query, found.hits.map((hit) => hit.imageId), revision, seenRevision);
    if (read.catalogRevision !== revision && attempt < 3) {
      await index.sync();
      continue;
    }
    const hits = found.hits.flatMap((hit) => {
      const row = read.hits.get(hit.imageId);
      return row ? [{ product: row.product, image: row.image, score: 1 - hit.distance }] : [];
    });
    // Missing rows: stock changed after the revision was read (a concurrent writer); ask for more.
    if (hits.length >= asked || found.exhausted || found.hits.length < wanted) return hits.slice(offset, asked);
    wanted += (asked - hits.length) * 2;
  }
}
