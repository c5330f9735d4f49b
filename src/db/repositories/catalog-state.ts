import type { Queryable } from '../database.ts';

/** The catalog revision: a counter that every change to products or their images bumps. */
export class CatalogStateRepository {
  constructor(private readonly db: Queryable) {}

  async revision(): Promise<{ revision: number; changedAt: Date }> {
    const { rows } = await this.db.query<{ revision: string | number; changed_at: Date | string }>(
      'SELECT revision, changed_at FROM catalog_state',
    );
    const row = rows[0]!;
    return { revision: Number(row.revision), changedAt: new Date(row.changed_at) };
  }
}
