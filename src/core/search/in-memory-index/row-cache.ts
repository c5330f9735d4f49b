/**
 * The display rows (product and image) of the products the index proposes, kept for one catalog
 * revision. Reading them was the costliest database step of a photo answer (2.5–3.5 ms of the
 * event loop on the embedded database, measured with a 1,000-product catalog), and customers
 * keep asking about the same popular products. A row is only served from memory when the caller
 * read the catalog revision during this search (the per-answer catalog check does) and the index
 * reflects that same revision: then the index has already applied that revision's stock and
 * category filters, so no filtering is repeated here. Any catalog change moves the revision and
 * empties the cache.
 */
import type { ImageRepository, NearestQuery } from '../../../db/repositories/images.ts';
import type { SearchHit } from '../../../domain/catalog.ts';

export type DisplayRow = Omit<SearchHit, 'score'>;

/** Rows of the asked images that customers may see, and the catalog revision they are valid at. */
export interface SearchableRows {
  readonly hits: ReadonlyMap<number, DisplayRow>;
  readonly catalogRevision: number;
}

/** Rows kept; beyond it the least recently stored go first (a few hundred bytes each). */
const DEFAULT_CAPACITY = 5_000;

export class DisplayRowCache {
  private revision: number | undefined;
  private readonly rows = new Map<number, DisplayRow>();

  constructor(
    private readonly images: Pick<ImageRepository, 'searchableImages'>,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /**
   * The rows of `imageIds` as of catalog revision `indexRevision`, the one the index that proposed
   * them reflects. `seenRevision` is the revision the caller read from the database during this
   * search, if any: only when both agree are remembered rows used, and the database is asked for
   * the rest. Otherwise every row comes from the database, with the revision it was read at.
   */
  async read(query: Omit<NearestQuery, 'near' | 'limit' | 'offset'>, imageIds: readonly number[], indexRevision: number | undefined, seenRevision?: number): Promise<SearchableRows> {
    if (this.revision !== indexRevision) {
      this.rows.clear();
      this.revision = indexRevision;
    }
    if (seenRevision === undefined || seenRevision !== indexRevision) {
      const read = await this.images.searchableImages(query, imageIds);
      this.remember(read);
      return read;
    }
    const hits = new Map<number, DisplayRow>();
    const missing: number[] = [];
    for (const id of imageIds) {
      const row = this.rows.get(id);
      if (row) hits.set(id, row);
      else missing.push(id);
    }
    if (missing.length === 0) return { hits, catalogRevision: indexRevision };
    const read = await this.images.searchableImages(query, missing);
    if (read.catalogRevision !== indexRevision) return read;
    this.remember(read);
    for (const [id, row] of read.hits) hits.set(id, row);
    return { hits, catalogRevision: indexRevision };
  }

  /** Keeps rows read at the revision the cache holds (another search may have moved it meanwhile). */
  private remember(read: SearchableRows): void {
    if (read.catalogRevision !== this.revision) return;
    for (const [id, row] of read.hits) {
      this.rows.delete(id);
      this.rows.set(id, row);
    }
    // A Map iterates in insertion order, so the first keys are the least recently stored.
    for (const id of this.rows.keys()) {
      if (this.rows.size <= this.capacity) break;
      this.rows.delete(id);
    }
  }
}
