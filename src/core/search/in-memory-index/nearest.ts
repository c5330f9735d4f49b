/**
 * Nearest in-stock products through the in-memory index: the index proposes more products than
 * asked for, the database ranks them exactly. The answer is the one ImageRepository.nearest gives
 * (same distance, same tie-break, stock as it is right now) as long as the index's int8 ranking
 * keeps every true top product among the candidates; `margin` extra candidates make that hold in
 * practice (recall@10 is printed by bench/vector-index.bench.ts against the exact scan).
 */
import type { ImageRepository, NearestQuery } from '../../../db/repositories/images.ts';
import type { SearchHit } from '../../../domain/catalog.ts';
import type { EmbeddingIndex } from './embedding-index.ts';

/** Fewest extra candidates beyond the products asked for. */
const MIN_MARGIN = 20;

/**
 * The `query.limit` products after `query.offset` closest to the query, best first.
 * @throws whatever the index or the database throws; callers may fall back to ImageRepository.nearest.
 */
export async function nearestThroughIndex(index: EmbeddingIndex, images: ImageRepository, query: NearestQuery): Promise<SearchHit[]> {
  await index.sync();
  const offset = query.offset ?? 0;
  const wanted = offset + query.limit;
  const filter = { categories: query.categories, excludeProductId: query.excludeProductId };
  let margin = Math.max(wanted, MIN_MARGIN);
  for (;;) {
    const candidates = await index.candidates(query.near, wanted + margin, filter);
    const hits = await images.nearestAmong(query, candidates.productIds);
    // Fewer hits than candidates means the database knows of stock changes the index has not
    // seen yet (another process); asking for more candidates makes up for them.
    if (hits.length >= wanted || candidates.exhausted) return hits.slice(offset, wanted);
    margin *= 4;
  }
}
