import type { Queryable } from '../database.ts';

/** The words customers can find products by, for correcting typos in text searches. */
export class CatalogVocabularyRepository {
  constructor(private readonly db: Queryable) {}

  /** Distinct lower-case words of the names and categories of in-stock active products. */
  async inStockWords(): Promise<string[]> {
    const { rows } = await this.db.query<{ word: string }>(
      `SELECT DISTINCT lower(w) AS word
       FROM products p, regexp_split_to_table(p.name || ' ' || p.category, '[^[:alnum:]]+') AS w
       WHERE p.active AND p.stock > 0 AND length(w) > 0`,
    );
    return rows.map((row) => row.word);
  }
}
