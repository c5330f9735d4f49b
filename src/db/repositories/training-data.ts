import type { Queryable } from '../database.ts';

/** One catalog image with its product's category: a labelled training example. */
export interface LabelledCatalogImage {
  readonly imageId: number;
  /** Path of our stored copy, relative to `DATA_DIR`. */
  readonly filePath: string;
  readonly category: string;
}

/** Reads the catalog as a labelled data set (every image of every active product). */
export class TrainingDataRepository {
  constructor(private readonly db: Queryable) {}

  async labelledImages(): Promise<LabelledCatalogImage[]> {
    const { rows } = await this.db.query<{ image_id: number; file_path: string; category: string }>(
      `SELECT pi.id AS image_id, pi.file_path, btrim(p.category) AS category
       FROM product_images pi JOIN products p ON p.id = pi.product_id
       WHERE p.active ORDER BY pi.id`,
    );
    return rows.map((row) => ({ imageId: Number(row.image_id), filePath: row.file_path, category: row.category }));
  }

  /** Image count per category over active products. */
  async countsByCategory(): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ category: string; count: number }>(
      `SELECT btrim(p.category) AS category, count(*)::int AS count FROM product_images pi JOIN products p ON p.id = pi.product_id
       WHERE p.active GROUP BY 1 ORDER BY 1`,
    );
    return new Map(rows.map((row) => [row.category, Number(row.count)]));
  }
}
