/**
 * What the in-memory search index reads to mirror the catalog: a consistent snapshot of which
 * products are searchable and which images the active model embedded, the rows changed since a
 * catalog revision (migration 006 stamps every row with the revision that last changed it), and
 * the embeddings themselves in pgvector's binary form, which is 4× smaller than text and needs
 * no parsing.
 */
import type { Database, Queryable } from '../database.ts';
import { decodeHalfvecInto, halfvecDimension } from '../vector.ts';

/** Whether customers may see a product, and its category (for category-restricted searches). */
export interface ProductState {
  readonly id: number;
  /** `active AND stock > 0`. */
  readonly searchable: boolean;
  readonly category: string;
}

/** An image's place in the catalog, without its vector. */
export interface ImageState {
  readonly id: number;
  readonly productId: number;
  /** False when the image's embedding comes from another model than the one asked about. */
  readonly current: boolean;
}

/** Everything needed to rebuild an index from nothing, as of `revision`. */
export interface CatalogSnapshot {
  readonly revision: number;
  readonly products: ProductState[];
  /** Ids of the images embedded by the asked model. */
  readonly imageIds: number[];
}

/** What changed after a revision, as of `revision`. */
export interface CatalogChanges {
  readonly revision: number;
  readonly products: ProductState[];
  readonly images: ImageState[];
  readonly deletedProductIds: number[];
  readonly deletedImageIds: number[];
}

/**
 * Embeddings of several images, packed: row i belongs to image `imageIds[i]` of product
 * `productIds[i]`; `halves` holds `count × dimension` IEEE-754 half floats (as stored in
 * `halfvec`), row-major.
 */
export interface EmbeddingRows {
  readonly imageIds: Int32Array;
  readonly productIds: Int32Array;
  readonly halves: Uint16Array;
  readonly count: number;
  readonly dimension: number;
}

export class EmbeddingFeedRepository {
  constructor(private readonly db: Database) {}

  /** The catalog revision now (bumped by every change to products or their images). */
  async revision(): Promise<number> {
    const { rows } = await this.db.query<{ revision: string | number }>('SELECT revision FROM catalog_state');
    return Number(rows[0]!.revision);
  }

  /** Every product's state and the ids of `modelId`'s images, read in one snapshot. */
  async snapshot(modelId: string): Promise<CatalogSnapshot> {
    return this.inSnapshot(async (tx) => {
      const revision = await currentRevision(tx);
      const products = await productStates(tx, 'TRUE', []);
      const { rows } = await tx.query<{ id: number }>('SELECT id FROM product_images WHERE model_id = $1 ORDER BY id', [modelId]);
      return { revision, products, imageIds: rows.map((row) => Number(row.id)) };
    });
  }

  /** Products and images changed, and rows deleted, after catalog revision `after`; read in one snapshot. */
  async changesSince(after: number, modelId: string): Promise<CatalogChanges> {
    return this.inSnapshot(async (tx) => {
      const revision = await currentRevision(tx);
      const products = await productStates(tx, 'p.revision > $1', [after]);
      const images = await tx.query<{ id: number; product_id: number; current: boolean }>(
        'SELECT id, product_id, model_id = $2 AS current FROM product_images WHERE revision > $1',
        [after, modelId],
      );
      const deletions = await tx.query<{ kind: 'product' | 'image'; id: number }>('SELECT kind, id FROM catalog_deletions WHERE revision > $1', [after]);
      const deleted = (kind: 'product' | 'image') => deletions.rows.filter((row) => row.kind === kind).map((row) => Number(row.id));
      return {
        revision,
        products,
        images: images.rows.map((row) => ({ id: Number(row.id), productId: Number(row.product_id), current: row.current })),
        deletedProductIds: deleted('product'),
        deletedImageIds: deleted('image'),
      };
    });
  }

  /**
   * The stored embeddings of `imageIds` that `modelId` made (others are left out), decoded from
   * pgvector's `halfvec_send` format: int16 dimension, int16 unused, then big-endian halves.
   */
  async embeddings(imageIds: readonly number[], modelId: string): Promise<EmbeddingRows> {
    const { rows } = await this.db.query<{ id: number; product_id: number; vector: Uint8Array }>(
      'SELECT id, product_id, halfvec_send(embedding) AS vector FROM product_images WHERE id = ANY($1::int[]) AND model_id = $2 ORDER BY id',
      [imageIds, modelId],
    );
    const dimension = rows[0] ? halfvecDimension(rows[0].vector) : 0;
    const halves = new Uint16Array(rows.length * dimension);
    rows.forEach((row, i) => decodeHalfvecInto(row.vector, halves, i * dimension));
    return {
      imageIds: Int32Array.from(rows, (row) => Number(row.id)),
      productIds: Int32Array.from(rows, (row) => Number(row.product_id)),
      halves,
      count: rows.length,
      dimension,
    };
  }

  /** Runs `read` in a read-only REPEATABLE READ transaction, so the revision and the rows agree. */
  private inSnapshot<T>(read: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return read(tx);
    });
  }
}

async function currentRevision(tx: Queryable): Promise<number> {
  const { rows } = await tx.query<{ revision: string | number }>('SELECT revision FROM catalog_state');
  return Number(rows[0]!.revision);
}

async function productStates(tx: Queryable, where: string, params: unknown[]): Promise<ProductState[]> {
  const { rows } = await tx.query<{ id: number; searchable: boolean; category: string }>(
    `SELECT p.id, (p.active AND p.stock > 0) AS searchable, p.category FROM products p WHERE ${where}`,
    params,
  );
  return rows.map((row) => ({ id: Number(row.id), searchable: row.searchable, category: row.category }));
}
