import type { CatalogCounts, Product, ProductInput } from '../../domain/catalog.ts';
import type { Queryable } from '../database.ts';
import { PRODUCT_COLUMNS, toProduct, type ProductRow } from './rows.ts';

/** Sortable columns of the owner's product list. */
export const PRODUCT_SORTS = ['name', 'sku', 'category', 'price', 'stock', 'updated'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/** A page of the owner's catalog: every filter is optional. */
export interface ProductListQuery {
  /** Case-insensitive substring of the name, SKU or category. */
  readonly search?: string;
  /** Exact category. */
  readonly category?: string;
  /** `in`: stock > 0; `out`: stock = 0. */
  readonly stock?: 'in' | 'out';
  /** Default `active`: hidden (removed) products only when asked for. */
  readonly status?: 'active' | 'inactive' | 'all';
  readonly sort?: ProductSort;
  readonly direction?: 'asc' | 'desc';
  readonly limit: number;
  readonly offset?: number;
}

/** A product as the owner's list shows it. */
export interface ProductListItem {
  readonly product: Product;
  readonly imageCount: number;
  /** The product's first photo, for a thumbnail. */
  readonly image: { readonly id: number; readonly filePath: string } | null;
  /** True for products of the one-click demo catalog. */
  readonly demo: boolean;
}

const SORT_COLUMNS: Readonly<Record<ProductSort, string>> = {
  name: 'lower(p.name)', sku: 'p.sku', category: 'lower(p.category)', price: 'p.price', stock: 'p.stock', updated: 'p.updated_at',
};

/** Products: create/update by SKU, stock and price changes, soft removal, counts. */
export class ProductRepository {
  constructor(private readonly db: Queryable) {}

  /** Uses `tx` instead of the repository's own connection (to join a caller's transaction). */
  within(tx: Queryable): ProductRepository {
    return new ProductRepository(tx);
  }

  async findBySku(sku: string): Promise<Product | undefined> {
    const { rows } = await this.db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products p WHERE p.sku = $1`, [sku]);
    return rows[0] ? toProduct(rows[0]) : undefined;
  }

  async findById(id: number): Promise<Product | undefined> {
    const { rows } = await this.db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products p WHERE p.id = $1`, [id]);
    return rows[0] ? toProduct(rows[0]) : undefined;
  }

  /**
   * Creates the product, or updates every supplied field of the existing one with the same SKU
   * (re-activating it). Returns the stored row and whether it was new.
   */
  async upsert(input: ProductInput): Promise<{ product: Product; created: boolean }> {
    const { rows } = await this.db.query<ProductRow & { created: boolean }>(
      `INSERT INTO products AS p (sku, name, description, price, currency, category, stock, url)
       VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8)
       ON CONFLICT (sku) DO UPDATE SET
         name = EXCLUDED.name, description = EXCLUDED.description, price = EXCLUDED.price,
         currency = EXCLUDED.currency, category = EXCLUDED.category, stock = EXCLUDED.stock,
         url = EXCLUDED.url, active = true
       RETURNING ${PRODUCT_COLUMNS}, (xmax = 0) AS created`,
      [input.sku, input.name, input.description ?? '', input.price, input.currency, input.category, input.stock, input.url ?? null],
    );
    const row = rows[0]!;
    return { product: toProduct(row), created: row.created };
  }

  /** Sets the units on hand; returns the updated product, or undefined for an unknown SKU. */
  async setStock(sku: string, stock: number): Promise<Product | undefined> {
    return this.updateOne('stock = $2', [sku, stock]);
  }

  async setPrice(sku: string, price: string): Promise<Product | undefined> {
    return this.updateOne('price = $2::numeric', [sku, price]);
  }

  /** Hides the product from customers while keeping it and its history. */
  async deactivate(sku: string): Promise<Product | undefined> {
    return this.updateOne('active = false', [sku]);
  }

  private async updateOne(assignment: string, params: unknown[]): Promise<Product | undefined> {
    const { rows } = await this.db.query<ProductRow>(
      `UPDATE products AS p SET ${assignment} WHERE p.sku = $1 RETURNING ${PRODUCT_COLUMNS}`,
      params,
    );
    return rows[0] ? toProduct(rows[0]) : undefined;
  }

  async counts(): Promise<CatalogCounts> {
    const { rows } = await this.db.query<{ [K in keyof CatalogCounts]: number }>(
      `SELECT
         (SELECT count(*)::int FROM products) AS products,
         (SELECT count(*)::int FROM products WHERE active) AS "activeProducts",
         (SELECT count(*)::int FROM products WHERE active AND stock > 0) AS "inStock",
         (SELECT count(*)::int FROM product_images) AS images,
         (SELECT count(DISTINCT category)::int FROM products WHERE active) AS categories`,
    );
    return rows[0]!;
  }

  /** Active products whose name, category or SKU contains `text` (case-insensitive), in stock first. */
  async searchByText(text: string, limit: number): Promise<Product[]> {
    const { rows } = await this.db.query<ProductRow>(
      `SELECT ${PRODUCT_COLUMNS} FROM products p
       WHERE p.active AND p.stock > 0
         AND (p.name ILIKE '%' || $1 || '%' OR p.category ILIKE '%' || $1 || '%' OR p.sku ILIKE $1)
       ORDER BY p.name LIMIT $2`,
      [text, limit],
    );
    return rows.map(toProduct);
  }

  async listAll(): Promise<Product[]> {
    const { rows } = await this.db.query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products p ORDER BY p.id`);
    return rows.map(toProduct);
  }

  /** One page of products matching `query`, and how many match in all. */
  async list(query: ProductListQuery): Promise<{ items: ProductListItem[]; total: number }> {
    const status = query.status ?? 'active';
    const order = `${SORT_COLUMNS[query.sort ?? 'name']} ${query.direction === 'desc' ? 'DESC' : 'ASC'}, p.id`;
    const { rows } = await this.db.query<ProductRow & { image_count: number; image_id: number | null; file_path: string | null; demo: boolean; total: number }>(
      `SELECT ${PRODUCT_COLUMNS},
              (SELECT count(*)::int FROM product_images i WHERE i.product_id = p.id) AS image_count,
              first.id AS image_id, first.file_path,
              EXISTS (SELECT 1 FROM demo_products d WHERE d.product_id = p.id) AS demo,
              count(*) OVER ()::int AS total
       FROM products p
       LEFT JOIN LATERAL (SELECT i.id, i.file_path FROM product_images i WHERE i.product_id = p.id ORDER BY i.id LIMIT 1) first ON true
       WHERE ($1::text IS NULL OR p.name ILIKE '%' || $1 || '%' OR p.sku ILIKE '%' || $1 || '%' OR p.category ILIKE '%' || $1 || '%')
         AND ($2::text IS NULL OR p.category = $2)
         AND ($3::text IS NULL OR ($3 = 'in' AND p.stock > 0) OR ($3 = 'out' AND p.stock = 0))
         AND ($4 = 'all' OR ($4 = 'active' AND p.active) OR ($4 = 'inactive' AND NOT p.active))
       ORDER BY ${order}
       LIMIT $5 OFFSET $6`,
      [query.search?.trim() || null, query.category ?? null, query.stock ?? null, status, query.limit, query.offset ?? 0],
    );
    const items = rows.map((row) => ({
      product: toProduct(row),
      imageCount: Number(row.image_count),
      image: row.image_id === null || row.file_path === null ? null : { id: Number(row.image_id), filePath: row.file_path },
      demo: row.demo,
    }));
    return { items, total: rows[0] ? Number(rows[0].total) : await this.countMatching(query, status) };
  }

  /** A page past the end has no rows to carry the total; count separately then. */
  private async countMatching(query: ProductListQuery, status: string): Promise<number> {
    if ((query.offset ?? 0) === 0) return 0;
    const { total } = await this.list({ ...query, status: status as ProductListQuery['status'], offset: 0, limit: 1 });
    return total;
  }

  /** Categories of active products with how many products each has, by name. */
  async categories(): Promise<{ category: string; products: number }[]> {
    const { rows } = await this.db.query<{ category: string; products: number }>(
      'SELECT category, count(*)::int AS products FROM products WHERE active GROUP BY category ORDER BY lower(category), category',
    );
    return rows.map((row) => ({ category: row.category, products: Number(row.products) }));
  }

  /** Replaces the editable fields of an existing product; undefined for an unknown SKU. */
  async update(input: ProductInput): Promise<Product | undefined> {
    const { rows } = await this.db.query<ProductRow>(
      `UPDATE products AS p SET name = $2, description = $3, price = $4::numeric, currency = $5, category = $6, stock = $7, url = $8
       WHERE p.sku = $1 RETURNING ${PRODUCT_COLUMNS}`,
      [input.sku, input.name, input.description ?? '', input.price, input.currency, input.category, input.stock, input.url ?? null],
    );
    return rows[0] ? toProduct(rows[0]) : undefined;
  }

  /** Shows a removed product to customers again. */
  async reactivate(sku: string): Promise<Product | undefined> {
    return this.updateOne('active = true', [sku]);
  }
}
