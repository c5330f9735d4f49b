/**
 * The display rows (product and image) of the products the index proposes, kept for the catalog
 * revision the index reflects. Reading them was the costliest database step of a photo answer
 * (2.5–3.5 ms of the event loop on the embedded database, measured with a 1,000-product catalog).
 * A row is only served from memory when the caller read the catalog revision during this search
 * (the per-answer catalog check does) and the index reflects that same revision: then the index
 * has already applied that revision's stock and category filters, so no filtering is repeated here.
 *
 * The cache follows the index's syncs: a catalog change drops only the rows of the products and
 * images it touched (a sale does not cost every other product its row), and a reload empties it.
 * Before the first customer it is filled with the whole searchable catalog, up to its capacity, so
 * a product's first appearance costs no database read either.
 */
import type { ImageRepository, NearestQuery, SearchableRows } from '../../../db/repositories/images.ts';
import type { SearchHit } from '../../../domain/catalog.ts';
import type { EmbeddingIndex, IndexUpdate } from './embedding-index.ts';

export type DisplayRow = Omit<SearchHit, 'score'>;

/** Rows kept; beyond it the least recently stored go first (a few hundred bytes each). */
const DEFAULT_CAPACITY = 5_000;

/**
 * Rows read per statement while filling the cache, which keeps each statement short: on the
 * embedded database one holds the event loop for 10–15 ms at 100,000 products (all 5,000 rows
 * took 0.22–0.44 s there).
 */
const FILL_CHUNK = 250;

export class DisplayRowCache {
  private revision: number | undefined;
  private readonly rows = new Map<number, DisplayRow>();
  private followed: Pick<EmbeddingIndex, 'onUpdate'> | undefined;

  constructor(
    private readonly images: Pick<ImageRepository, 'searchableImages' | 'searchableImagesAfter'>,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /** Rows held now. */
  get size(): number {
    return this.rows.size;
  }

  /**
   * Keeps the rows in step with `index` from now on (see the module comment). Following the same
   * index again changes nothing; following another one (the index was reopened) empties the cache.
   */
  follow(index: Pick<EmbeddingIndex, 'onUpdate' | 'catalogRevision'>): void {
    if (this.followed === index) return;
    this.followed = index;
    this.rows.clear();
    this.revision = index.catalogRevision;
    index.onUpdate((update) => {
      if (this.followed === index) this.apply(update);
    });
  }

  /**
   * Reads the rows of the whole searchable catalog of `modelId`, a chunk at a time, until the
   * cache is full. Stops early, keeping what it has, when the catalog moves away from the revision
   * the cache holds (those rows are then read when a search needs them).
   * @returns rows held afterwards.
   */
  async fill(modelId: string): Promise<number> {
    let after = 0;
    while (this.rows.size < this.capacity) {
      const asked = Math.min(FILL_CHUNK, this.capacity - this.rows.size);
      const chunk = await this.images.searchableImagesAfter(modelId, after, asked);
      if (chunk.catalogRevision !== this.revision) break;
      this.remember(chunk);
      const ids = [...chunk.hits.keys()];
      if (ids.length < asked) break;
      after = ids[ids.length - 1]!;
    }
    return this.rows.size;
  }

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

  /** Moves the cache along with a sync of the followed index. */
  private apply(update: IndexUpdate): void {
    if (update.kind === 'reloaded' || update.from !== this.revision) {
      this.rows.clear();
      this.revision = update.kind === 'reloaded' ? update.revision : update.to;
      return;
    }
    const products = new Set(update.productIds);
    const images = new Set(update.imageIds);
    for (const [id, row] of this.rows) {
      if (images.has(id) || products.has(row.product.id)) this.rows.delete(id);
    }
    this.revision = update.to;
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
