import type { CatalogCounts, Product, ProductInput } from '../../domain/catalog.ts';
import type { Queryable } from '../database.ts';
import { PRODUCT_COLUMNS, toProduct, type ProductRow } from './rows.ts';

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
}
