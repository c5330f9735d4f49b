/**
 * The index's data and its one query: every image embedding of the active model as an int8 row,
 * which product each row belongs to, and which products customers may see. A query scans all
 * rows with USearch's SIMD kernels (exact cosine over the int8 rows) and keeps each searchable
 * product's best row. Synchronous and CPU-bound: the index runs it on a worker thread.
 */
import { createRequire } from 'node:module';
import type * as Usearch from 'usearch';
import { halvesToFloats, quantizeInto } from './quantize.ts';

/** A product as the index sees it. */
export interface IndexedProduct {
  readonly id: number;
  readonly searchable: boolean;
  readonly category: string;
}

/** Which products a query may return. */
export interface CandidateFilter {
  /** Only these categories; undefined = all. */
  readonly categories?: readonly string[] | undefined;
  readonly excludeProductId?: number | undefined;
}

/** The best `wanted` products (closest row each), closest first. */
export interface Candidates {
  readonly productIds: number[];
  /** Approximate cosine similarity of each product's closest row (int8), for diagnostics. */
  readonly scores: number[];
  /** True when every searchable product was considered, so asking for more cannot find more. */
  readonly exhausted: boolean;
}

// USearch 2.26's ES module build finds its native binary through a stack-trace trick that never
// returns inside a worker thread; its CommonJS build loads the same binary directly.
const usearch = createRequire(import.meta.url)('usearch') as typeof Usearch;

const INITIAL_CAPACITY = 1024;

export class VectorStore {
  private matrix: Int8Array;
  private rowImage: Int32Array;
  private rowProduct: Int32Array;
  private rows = 0;
  private readonly imageRow = new Map<number, number>();
  private readonly products = new Map<number, IndexedProduct>();

  constructor(readonly dimension: number) {
    this.matrix = new Int8Array(INITIAL_CAPACITY * dimension);
    this.rowImage = new Int32Array(INITIAL_CAPACITY);
    this.rowProduct = new Int32Array(INITIAL_CAPACITY);
  }

  /** Number of image rows held. */
  get size(): number {
    return this.rows;
  }

  /** Bytes held by the rows (vectors and row metadata). */
  get bytes(): number {
    return this.matrix.byteLength + this.rowImage.byteLength + this.rowProduct.byteLength;
  }

  clear(): void {
    this.rows = 0;
    this.imageRow.clear();
    this.products.clear();
  }

  setProducts(products: readonly IndexedProduct[]): void {
    for (const product of products) this.products.set(product.id, product);
  }

  removeProducts(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i += 1) this.products.delete(ids[i]!);
  }

  /**
   * Adds or replaces image rows.
   * @param halves `imageIds.length × dimension` half floats, row-major (see EmbeddingRows).
   */
  upsertImages(imageIds: Int32Array, productIds: Int32Array, halves: Uint16Array): void {
    if (halves.length !== imageIds.length * this.dimension) {
      throw new RangeError(`${halves.length} values for ${imageIds.length} images of dimension ${this.dimension}`);
    }
    const floats = halvesToFloats(halves);
    for (let i = 0; i < imageIds.length; i += 1) {
      const imageId = imageIds[i]!;
      let row = this.imageRow.get(imageId);
      if (row === undefined) {
        row = this.appendRow();
        this.imageRow.set(imageId, row);
        this.rowImage[row] = imageId;
      }
      this.rowProduct[row] = productIds[i]!;
      quantizeInto(floats.subarray(i * this.dimension, (i + 1) * this.dimension), this.matrix, row * this.dimension);
    }
  }

  /** Removes image rows (unknown ids are ignored); the last row moves into each hole. */
  removeImages(imageIds: ArrayLike<number>): void {
    for (let i = 0; i < imageIds.length; i += 1) {
      const imageId = imageIds[i]!;
      const row = this.imageRow.get(imageId);
      if (row === undefined) continue;
      this.imageRow.delete(imageId);
      const last = this.rows - 1;
      if (row !== last) {
        const d = this.dimension;
        this.matrix.copyWithin(row * d, last * d, (last + 1) * d);
        this.rowImage[row] = this.rowImage[last]!;
        this.rowProduct[row] = this.rowProduct[last]!;
        this.imageRow.set(this.rowImage[row], row);
      }
      this.rows = last;
    }
  }

  /** The int8 row of a stored image (a fresh copy), or undefined when the index does not hold it. */
  rowOf(imageId: number): Int8Array | undefined {
    const row = this.imageRow.get(imageId);
    if (row === undefined) return undefined;
    return this.matrix.slice(row * this.dimension, (row + 1) * this.dimension);
  }

  /**
   * The `wanted` searchable products closest to `query` (one row per product), closest first.
   * The scan covers every row; its result list grows until enough distinct searchable products
   * are found or every row has been ranked.
   * @param query a float vector of length `dimension` (any scale), or an int8 row from {@link rowOf}.
   */
  nearestProducts(query: Float32Array | Int8Array, wanted: number, filter: CandidateFilter = {}): Candidates {
    if (query.length !== this.dimension) throw new RangeError(`query has ${query.length} values, the index ${this.dimension}`);
    // USearch reads the typed arrays from the start of their buffers, so both must not be views.
    const int8Query = new Int8Array(this.dimension);
    if (query instanceof Int8Array) int8Query.set(query);
    else quantizeInto(query, int8Query, 0);
    const dataset = this.rows * this.dimension === this.matrix.length ? this.matrix : this.matrix.subarray(0, this.rows * this.dimension);
    const allowed = this.filterFor(filter);
    let ranked = Math.min(this.rows, Math.max(64, wanted * 4));
    for (;;) {
      const found: Candidates = { productIds: [], scores: [], exhausted: ranked >= this.rows };
      if (ranked === 0) return found;
      const matches = usearch.exactSearch(dataset, int8Query, this.dimension, ranked, usearch.MetricKind.Cos, 1);
      const seen = new Set<number>();
      for (let i = 0; i < matches.keys.length && found.productIds.length < wanted; i += 1) {
        const productId = this.rowProduct[Number(matches.keys[i])]!;
        if (seen.has(productId) || !allowed(productId)) continue;
        seen.add(productId);
        found.productIds.push(productId);
        found.scores.push(1 - matches.distances[i]!);
      }
      if (found.productIds.length >= wanted || found.exhausted) return found;
      ranked = Math.min(this.rows, ranked * 4);
    }
  }

  private filterFor(filter: CandidateFilter): (productId: number) => boolean {
    const categories = filter.categories ? new Set(filter.categories) : undefined;
    return (productId) => {
      const product = this.products.get(productId);
      return product !== undefined && product.searchable && productId !== filter.excludeProductId && (!categories || categories.has(product.category));
    };
  }

  private appendRow(): number {
    if (this.rows === this.rowImage.length) this.grow();
    return this.rows++;
  }

  private grow(): void {
    const capacity = this.rowImage.length * 2;
    const matrix = new Int8Array(capacity * this.dimension);
    matrix.set(this.matrix);
    this.matrix = matrix;
    const rowImage = new Int32Array(capacity);
    rowImage.set(this.rowImage);
    this.rowImage = rowImage;
    const rowProduct = new Int32Array(capacity);
    rowProduct.set(this.rowProduct);
    this.rowProduct = rowProduct;
  }
}
