import type { Queryable } from '../database.ts';

/** Which products belong to the one-click demo catalog, so removing it never touches the owner's own. */
export class DemoProductRepository {
  constructor(private readonly db: Queryable) {}

  within(tx: Queryable): DemoProductRepository {
    return new DemoProductRepository(tx);
  }

  async mark(productId: number): Promise<void> {
    await this.db.query('INSERT INTO demo_products (product_id) VALUES ($1) ON CONFLICT DO NOTHING', [productId]);
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ count: number }>('SELECT count(*)::int AS count FROM demo_products');
    return Number(rows[0]!.count);
  }

  /** Stored image files of demo products (paths relative to `DATA_DIR`). */
  async imageFiles(): Promise<string[]> {
    const { rows } = await this.db.query<{ file_path: string }>(
      'SELECT DISTINCT pi.file_path FROM product_images pi JOIN demo_products d ON d.product_id = pi.product_id',
    );
    return rows.map((row) => row.file_path);
  }

  /** Deletes every demo product with its images; returns how many products. */
  async deleteAll(): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM products p USING demo_products d WHERE d.product_id = p.id');
    return rowCount;
  }

  /** Which of `filePaths` some remaining image still uses. */
  async stillReferenced(filePaths: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.db.query<{ file_path: string }>(
      'SELECT DISTINCT file_path FROM product_images WHERE file_path = ANY($1::text[])',
      [[...filePaths]],
    );
    return new Set(rows.map((row) => row.file_path));
  }
}
