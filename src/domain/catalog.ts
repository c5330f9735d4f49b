/**
 * Catalog vocabulary shared by the database layer, the assistant core and every channel.
 * Prices stay decimal strings ("12.50") end to end so no float ever rounds a price.
 */

export interface Product {
  readonly id: number;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  /** Exact decimal with two fraction digits, e.g. `"1299.00"`. */
  readonly price: string;
  /** ISO 4217 code, upper case. */
  readonly currency: string;
  readonly category: string;
  /** Units on hand; 0 hides the product from customers. */
  readonly stock: number;
  readonly url: string | null;
  readonly active: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What the owner supplies to create or update a product (matched by `sku`). */
export interface ProductInput {
  readonly sku: string;
  readonly name: string;
  readonly description?: string;
  readonly price: string;
  readonly currency: string;
  readonly category: string;
  readonly stock: number;
  readonly url?: string | null;
}

export interface ProductImage {
  readonly id: number;
  readonly productId: number;
  readonly source: string;
  /** Path of our stored copy, relative to `DATA_DIR`. */
  readonly filePath: string;
  readonly sha256: string;
  readonly width: number;
  readonly height: number;
  readonly modelId: string;
}

/** One product in a search answer. `score` is cosine similarity in [-1, 1], higher is closer. */
export interface SearchHit {
  readonly product: Product;
  /** The product's image that matched best (several images of one product collapse to it). */
  readonly image: ProductImage;
  readonly score: number;
}

export interface CatalogCounts {
  readonly products: number;
  readonly activeProducts: number;
  readonly inStock: number;
  readonly images: number;
  readonly categories: number;
}
