import type { Queryable } from '../database.ts';

/** Searches on one calendar day (UTC). */
export interface DailySearches {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly searches: number;
}

/** A category and how often it was the best answer to a matched search. */
export interface CategoryCount {
  readonly category: string;
  readonly searches: number;
}

/** Read-only summaries of the search log beyond the core totals, for owner dashboards (`/stats`). */
export class SearchInsightsRepository {
  constructor(private readonly db: Queryable) {}

  /** Searches per UTC day for the `days` days ending with `now`'s day, zero-filled, oldest first. */
  async searchesPerDay(days: number, now = new Date()): Promise<DailySearches[]> {
    const { rows } = await this.db.query<{ day: string; searches: number }>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, count(s.id)::int AS searches
       FROM generate_series(($1::timestamptz AT TIME ZONE 'UTC')::date - ($2::int - 1), ($1::timestamptz AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)
       LEFT JOIN search_log s ON (s.created_at AT TIME ZONE 'UTC')::date = d.day::date
       GROUP BY d.day ORDER BY d.day`,
      [now.toISOString(), days],
    );
    return rows.map((row) => ({ day: row.day, searches: Number(row.searches) }));
  }

  /** Categories of the best hit of matched searches in the last `days` days, most frequent first. */
  async topCategories(limit: number, days = 7, now = new Date()): Promise<CategoryCount[]> {
    const { rows } = await this.db.query<{ category: string; searches: number }>(
      `SELECT p.category, count(*)::int AS searches
       FROM search_log s JOIN products p ON p.id = s.top_product_ids[1]
       WHERE s.matched AND s.created_at > $1::timestamptz - make_interval(days => $2::int)
       GROUP BY p.category ORDER BY searches DESC, p.category LIMIT $3`,
      [now.toISOString(), days, limit],
    );
    return rows.map((row) => ({ category: row.category, searches: Number(row.searches) }));
  }
}
