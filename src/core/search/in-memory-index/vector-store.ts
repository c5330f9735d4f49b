/**
 * The index's data and its one query: every image embedding of the active model, twice — as an
 * int8 row for a fast scan and as the half floats the database stores for exact ranking — plus
 * which product each image belongs to and which products customers may see. A query scans all
 * int8 rows with USearch's SIMD kernels (cosine), keeps the best few searchable products, and
 * ranks those exactly by pgvector's halfvec cosine distance over all their images.
 * Synchronous and CPU-bound: the index runs it on a worker thread.
 */
import { createRequire } from 'node:module';
import type * as Usearch from 'usearch';
import { halfCosineDistance, halvesToFloats, quantizeInto, toHalves } from './quantize.ts';

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

/** A product's closest image and its exact cosine distance. */
export interface Candidate {
  readonly productId: number;
  readonly imageId: number;
  /** pgvector's `<=>` between the query and the image, both as halfvec. */
  readonly distance: number;
}

/** Candidates, closest first (ties by product id). */
export interface Candidates {
  readonly hits: Candidate[];
  /** True when every searchable product was considered, so asking for more cannot find more. */
  readonly exhausted: boolean;
}

// USearch 2.26's ES module build finds its native binary through a stack-trace trick that never
// returns inside a worker thread; its CommonJS build loads the same binary directly.
const usearch = createRequire(import.meta.url)('usearch') as typeof Usearch;

const INITIAL_CAPACITY = 1024;

export class VectorStore {
  private matrix: Int8Array;
  private halves: Uint16Array;
  private rowImage: Int32Array;
  private rowProduct: Int32Array;
  private rows = 0;
  private readonly imageRow = new Map<number, number>();
  private readonly productImages = new Map<number, Set<number>>();
  private readonly products = new Map<number, IndexedProduct>();

  constructor(readonly dimension: number) {
    this.matrix = new Int8Array(INITIAL_CAPACITY * dimension);
    this.halves = new Uint16Array(INITIAL_CAPACITY * dimension);
    this.rowImage = new Int32Array(INITIAL_CAPACITY);
    this.rowProduct = new Int32Array(INITIAL_CAPACITY);
  }

  /** Number of image rows held. */
  get size(): number {
    return this.rows;
  }

  /** Bytes held by the rows (vectors and row metadata). */
  get bytes(): number {
    return this.matrix.byteLength + this.halves.byteLength + this.rowImage.byteLength + this.rowProduct.byteLength;
  }

  clear(): void {
    this.rows = 0;
    this.imageRow.clear();
    this.productImages.clear();
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
    const d = this.dimension;
    if (halves.length !== imageIds.length * d) {
      throw new RangeError(`${halves.length} values for ${imageIds.length} images of dimension ${d}`);
    }
    const floats = halvesToFloats(halves);
    for (let i = 0; i < imageIds.length; i += 1) {
      const imageId = imageIds[i]!;
      let row = this.imageRow.get(imageId);
      if (row === undefined) {
        row = this.appendRow();
        this.imageRow.set(imageId, row);
        this.rowImage[row] = imageId;
      } else {
        this.productImages.get(this.rowProduct[row]!)?.delete(imageId);
      }
      const productId = productIds[i]!;
      this.rowProduct[row] = productId;
      this.imagesOf(productId).add(imageId);
      this.halves.set(halves.subarray(i * d, (i + 1) * d), row * d);
      quantizeInto(floats.subarray(i * d, (i + 1) * d), this.matrix, row * d);
    }
  }

  /** Removes image rows (unknown ids are ignored); the last row moves into each hole. */
  removeImages(imageIds: ArrayLike<number>): void {
    const d = this.dimension;
    for (let i = 0; i < imageIds.length; i += 1) {
      const imageId = imageIds[i]!;
      const row = this.imageRow.get(imageId);
      if (row === undefined) continue;
      this.imageRow.delete(imageId);
      this.productImages.get(this.rowProduct[row]!)?.delete(imageId);
      const last = this.rows - 1;
      if (row !== last) {
        this.matrix.copyWithin(row * d, last * d, (last + 1) * d);
        this.halves.copyWithin(row * d, last * d, (last + 1) * d);
        this.rowImage[row] = this.rowImage[last]!;
        this.rowProduct[row] = this.rowProduct[last]!;
        this.imageRow.set(this.rowImage[row], row);
      }
      this.rows = last;
    }
  }

  /** The half-float embedding of a stored image (a copy), or undefined when the index does not hold it. */
  embeddingOf(imageId: number): Uint16Array | undefined {
    const row = this.imageRow.get(imageId);
    if (row === undefined) return undefined;
    return this.halves.slice(row * this.dimension, (row + 1) * this.dimension);
  }

  /**
   * The `wanted` searchable products closest to `query`, closest first, each with its closest
   * image, ranked exactly. The int8 scan proposes `wanted + margin` products (growing its list
   * until that many distinct searchable products are found or every row is ranked); the exact
   * ranking of those over all their images decides.
   * @param query a float vector of length `dimension` (rounded to half precision first, as the
   *   database would), or a stored embedding from {@link embeddingOf}.
   */
  nearestProducts(query: Float32Array | Uint16Array, wanted: number, margin: number, filter: CandidateFilter = {}): Candidates {
    if (query.length !== this.dimension) throw new RangeError(`query has ${query.length} values, the index ${this.dimension}`);
    const target = query instanceof Uint16Array ? query : toHalves(query);
    const proposed = this.scan(halvesToFloats(target), wanted + margin, this.filterFor(filter));
    const hits = proposed.productIds.map((productId) => this.closestImage(productId, target));
    hits.sort((a, b) => a.distance - b.distance || a.productId - b.productId);
    return { hits: hits.slice(0, wanted), exhausted: proposed.exhausted };
  }

  /** Searchable products in int8-cosine order; see {@link nearestProducts}. */
  private scan(query: Float32Array, count: number, allowed: (productId: number) => boolean): { productIds: number[]; exhausted: boolean } {
    // USearch reads typed arrays from the start of their buffers, so neither may be a view at an offset.
    const int8Query = new Int8Array(this.dimension);
    quantizeInto(query, int8Query, 0);
    const dataset = this.matrix.subarray(0, this.rows * this.dimension);
    let ranked = Math.min(this.rows, Math.max(64, count * 4));
    for (;;) {
      const exhausted = ranked >= this.rows;
      if (ranked === 0) return { productIds: [], exhausted };
      const matches = usearch.exactSearch(dataset, int8Query, this.dimension, ranked, usearch.MetricKind.Cos, 1);
      const seen = new Set<number>();
      const productIds: number[] = [];
      for (let i = 0; i < matches.keys.length && productIds.length < count; i += 1) {
        const productId = this.rowProduct[Number(matches.keys[i])]!;
        if (seen.has(productId) || !allowed(productId)) continue;
        seen.add(productId);
        productIds.push(productId);
      }
      if (productIds.length >= count || exhausted) return { productIds, exhausted };
      ranked = Math.min(this.rows, ranked * 4);
    }
  }

  private closestImage(productId: number, target: Uint16Array): Candidate {
    const d = this.dimension;
    let best: Candidate = { productId, imageId: -1, distance: Infinity };
    for (const imageId of this.productImages.get(productId) ?? []) {
      const row = this.imageRow.get(imageId)!;
      const distance = halfCosineDistance(target, this.halves.subarray(row * d, (row + 1) * d));
      if (distance < best.distance) best = { productId, imageId, distance };
    }
    return best;
  }

  private imagesOf(productId: number): Set<number> {
    let images = this.productImages.get(productId);
    if (images === undefined) {
      images = new Set();
      this.productImages.set(productId, images);
    }
    return images;
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
    const halves = new Uint16Array(capacity * this.dimension);
    halves.set(this.halves);
    this.halves = halves;
    const rowImage = new Int32Array(capacity);
    rowImage.set(this.rowImage);
    this.rowImage = rowImage;
    const rowProduct = new Int32Array(capacity);
    rowProduct.set(this.rowProduct);
    this.rowProduct = rowProduct;
  }
}
