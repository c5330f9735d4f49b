import type { ProductImage, SearchHit } from '../../domain/catalog.ts';
import type { Queryable } from '../database.ts';
import { toVectorLiteral } from '../vector.ts';
import { IMAGE_COLUMNS, PRODUCT_COLUMNS, toImage, toProduct, type ImageRow, type ProductRow } from './rows.ts';

export interface NewProductImage {
  readonly productId: number;
  readonly source: string;
  readonly filePath: string;
  readonly sha256: string;
  readonly width: number;
  readonly height: number;
  readonly modelId: string;
  /** L2-normalized embedding, length 2048. */
  readonly embedding: Float32Array;
}

/** Rows customers may see, by image id, and the catalog revision they were read at. */
export interface SearchableRows {
  readonly hits: ReadonlyMap<number, Omit<SearchHit, 'score'>>;
  readonly catalogRevision: number;
}

export interface NearestQuery {
  /** The query embedding (L2-normalized), or the id of a stored image to search from. */
  readonly near: { readonly embedding: Float32Array } | { readonly imageId: number };
  readonly modelId: string;
  readonly limit: number;
  readonly offset?: number;
  /** Restrict to these categories (the classifier's guess); omit for all. */
  readonly categories?: readonly string[];
  /** Leave out this product (e.g. "more like #n" should not return #n itself). */
  readonly excludeProductId?: number;
}

/** Product images and their embeddings; nearest-neighbour search over in-stock products. */
export class ImageRepository {
  constructor(private readonly db: Queryable) {}

  within(tx: Queryable): ImageRepository {
    return new ImageRepository(tx);
  }

  /** Adds an image; returns undefined when this product already has an image with that hash. */
  async add(image: NewProductImage): Promise<ProductImage | undefined> {
    const { rows } = await this.db.query<ImageRow>(
      `INSERT INTO product_images AS pi (product_id, source, file_path, sha256, width, height, model_id, embedding)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::halfvec)
       ON CONFLICT (product_id, sha256) DO NOTHING
       RETURNING ${IMAGE_COLUMNS}`,
      [image.productId, image.source, image.filePath, image.sha256, image.width, image.height, image.modelId, toVectorLiteral(image.embedding)],
    );
    return rows[0] ? toImage(rows[0]) : undefined;
  }

  /** Images with this content hash, whichever product they belong to. */
  async findBySha256(sha256: string): Promise<ProductImage[]> {
    const { rows } = await this.db.query<ImageRow>(
      `SELECT ${IMAGE_COLUMNS} FROM product_images pi WHERE pi.sha256 = $1 ORDER BY pi.id`,
      [sha256],
    );
    return rows.map(toImage);
  }

  async findById(id: number): Promise<ProductImage | undefined> {
    const { rows } = await this.db.query<ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM product_images pi WHERE pi.id = $1`, [id]);
    return rows[0] ? toImage(rows[0]) : undefined;
  }

  async listForProduct(productId: number): Promise<ProductImage[]> {
    const { rows } = await this.db.query<ImageRow>(
      `SELECT ${IMAGE_COLUMNS} FROM product_images pi WHERE pi.product_id = $1 ORDER BY pi.id`,
      [productId],
    );
    return rows.map(toImage);
  }

  /** Every image, optionally only those not yet embedded by `exceptModelId` (for re-indexing). */
  async listAll(options: { exceptModelId?: string } = {}): Promise<ProductImage[]> {
    const { rows } = await this.db.query<ImageRow>(
      `SELECT ${IMAGE_COLUMNS} FROM product_images pi WHERE $1::text IS NULL OR pi.model_id <> $1 ORDER BY pi.id`,
      [options.exceptModelId ?? null],
    );
    return rows.map(toImage);
  }

  /** Number of stored embeddings per backbone model id. */
  async countByModel(): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ model_id: string; count: number }>(
      'SELECT model_id, count(*)::int AS count FROM product_images GROUP BY model_id',
    );
    return new Map(rows.map((row) => [row.model_id, Number(row.count)]));
  }

  /**
   * Whether any image was embedded by another model than `modelId`. Two range scans of the
   * model_id index that stop at the first row: constant time whatever the catalog's size.
   */
  async hasEmbeddingsOtherThan(modelId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ other: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM product_images WHERE model_id < $1) OR EXISTS (SELECT 1 FROM product_images WHERE model_id > $1) AS other`,
      [modelId],
    );
    return rows[0]!.other;
  }

  /** Replaces an image's embedding with one from another backbone. */
  async updateEmbedding(imageId: number, modelId: string, embedding: Float32Array): Promise<void> {
    await this.db.query('UPDATE product_images SET model_id = $2, embedding = $3::halfvec WHERE id = $1', [
      imageId,
      modelId,
      toVectorLiteral(embedding),
    ]);
  }

  /**
   * Nearest in-stock active products by cosine similarity, best first, one hit per product
   * (its closest image). Iterative HNSW scans (pgvector ≥ 0.8) keep the in-stock filter from
   * starving the result; without an index this is an exact scan. If a product has many images
   * the candidate window grows until enough distinct products are found or the catalog ends.
   */
  async nearest(query: NearestQuery): Promise<SearchHit[]> {
    const wanted = (query.offset ?? 0) + query.limit;
    let window = Math.max(wanted * 4, 32);
    for (;;) {
      const { hits, candidates } = await this.nearestWithin(query, window);
      if (hits.length >= wanted || candidates < window) {
        return hits.slice(query.offset ?? 0, wanted);
      }
      window *= 4;
    }
  }

  /**
   * The rows of `imageIds` that customers may see right now: images of `query.modelId` whose
   * product is active, in stock and matches the query's category and exclusion filters; plus the
   * catalog revision they were read at. The in-memory index ranks; this supplies the display
   * fields and the current stock filter, and the revision tells whether the index was current.
   */
  async searchableImages(
    query: Omit<NearestQuery, 'near' | 'limit' | 'offset'>,
    imageIds: readonly number[],
  ): Promise<SearchableRows> {
    const { rows } = await this.db.query<ProductRow & ImageRow & { revision: string | number }>(
      `SELECT ${PRODUCT_COLUMNS}, ${IMAGE_COLUMNS}, s.revision
       FROM catalog_state s
       LEFT JOIN (product_images pi
         JOIN products p ON p.id = pi.product_id AND pi.id = ANY($1::int[]) AND pi.model_id = $2 AND p.active AND p.stock > 0
           AND ($3::text[] IS NULL OR p.category = ANY($3::text[]))
           AND ($4::int IS NULL OR p.id <> $4::int)) ON true`,
      [imageIds, query.modelId, query.categories ?? null, query.excludeProductId ?? null],
    );
    return toSearchableRows(rows);
  }

  /**
   * Up to `limit` rows customers may see (images of `modelId` whose product is active and in
   * stock) with image ids above `afterImageId`, in id order, plus the catalog revision they were
   * read at — one statement, so rows and revision come from the same snapshot. Pages through the
   * whole catalog to fill the in-memory display rows before the first customer.
   */
  async searchableImagesAfter(
    modelId: string,
    afterImageId: number,
    limit: number,
  ): Promise<SearchableRows> {
    const { rows } = await this.db.query<ProductRow & ImageRow & { revision: string | number }>(
      `SELECT page.*, s.revision
       FROM catalog_state s
       LEFT JOIN LATERAL (
         SELECT ${PRODUCT_COLUMNS}, ${IMAGE_COLUMNS}
         FROM product_images pi
         JOIN products p ON p.id = pi.product_id
         WHERE pi.model_id = $1 AND pi.id > $2 AND p.active AND p.stock > 0
         ORDER BY pi.id
         LIMIT $3
       ) page ON true
       ORDER BY page.image_id`,
      [modelId, afterImageId, limit],
    );
    return toSearchableRows(rows);
  }

  private async nearestWithin(query: NearestQuery, window: number): Promise<{ hits: SearchHit[]; candidates: number }> {
    const target = queryTarget(query);
    const { rows } = await this.db.query<ProductRow & ImageRow & { distance: number; candidates: number }>(
      `WITH candidates AS (
         SELECT pi.id AS image_id, pi.product_id, pi.embedding <=> ${target.sql} AS distance
         FROM product_images pi
         JOIN products p ON p.id = pi.product_id
         WHERE pi.model_id = $2 AND p.active AND p.stock > 0
           AND ($4::text[] IS NULL OR p.category = ANY($4::text[]))
           AND ($5::int IS NULL OR p.id <> $5::int)
         ORDER BY pi.embedding <=> ${target.sql}
         LIMIT $3
       ), best AS (
         SELECT DISTINCT ON (product_id) image_id, product_id, distance FROM candidates ORDER BY product_id, distance
       )
       SELECT ${PRODUCT_COLUMNS}, ${IMAGE_COLUMNS}, b.distance, (SELECT count(*)::int FROM candidates) AS candidates
       FROM best b
       JOIN products p ON p.id = b.product_id
       JOIN product_images pi ON pi.id = b.image_id
       ORDER BY b.distance, p.id`,
      [target.param, query.modelId, window, query.categories ?? null, query.excludeProductId ?? null],
    );
    return {
      hits: rows.map((row) => ({ product: toProduct(row), image: toImage(row), score: 1 - Number(row.distance) })),
      candidates: rows[0] ? Number(rows[0].candidates) : 0,
    };
  }
}

/** The SQL expression (parameter $1) for the vector a query searches from. */
function queryTarget(query: Pick<NearestQuery, 'near'>): { sql: string; param: string | number } {
  return 'embedding' in query.near
    ? { sql: '$1::halfvec', param: toVectorLiteral(query.near.embedding) }
    : { sql: '(SELECT embedding FROM product_images WHERE id = $1)', param: query.near.imageId };
}

/**
 * Rows of a `catalog_state LEFT JOIN (…) ON true` read: the revision always comes back, image
 * columns are null when no row matched.
 */
function toSearchableRows(rows: readonly (ProductRow & ImageRow & { revision: string | number })[]): SearchableRows {
  const found = rows.filter((row) => row.image_id !== null);
  return {
    hits: new Map(found.map((row) => [Number(row.image_id), { product: toProduct(row), image: toImage(row) }])),
    catalogRevision: Number(rows[0]!.revision),
  };
}
