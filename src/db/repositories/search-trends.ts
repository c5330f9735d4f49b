import type { Queryable } from '../database.ts';

/** One UTC day of the search log. */
export interface DailySearchTrend {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly searches: number;
  readonly noMatch: number;
  /** Median and 95th percentile of photo-search latency that day, in ms; null without photo searches. */
  readonly imageLatencyP50Ms: number | null;
  readonly imageLatencyP95Ms: number | null;
}

/** Searches of one channel on one UTC day (only days with searches are listed). */
export interface DailyChannelSearches {
  readonly day: string;
  readonly channel: string;
  readonly searches: number;
}

const DAYS_SQL = `generate_series(($1::timestamptz AT TIME ZONE 'UTC')::date - ($2::int - 1), ($1::timestamptz AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)`;

/** Day-by-day figures of the search log for the owner's dashboard charts. */
export class SearchTrendsRepository {
  constructor(private readonly db: Queryable) {}

  /** The `days` days ending with `now`'s day (UTC), oldest first, zero-filled. */
  async daily(days: number, now = new Date()): Promise<DailySearchTrend[]> {
    const { rows } = await this.db.query<{ day: string; searches: number; no_match: number; p50: number | null; p95: number | null }>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, count(s.id)::int AS searches,
              count(s.id) FILTER (WHERE NOT s.matched)::int AS no_match,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY s.latency_ms) FILTER (WHERE s.query_kind = 'image') AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY s.latency_ms) FILTER (WHERE s.query_kind = 'image') AS p95
       FROM ${DAYS_SQL}
       LEFT JOIN search_log s ON (s.created_at AT TIME ZONE 'UTC')::date = d.day::date
       GROUP BY d.day ORDER BY d.day`,
      [now.toISOString(), days],
    );
    return rows.map((row) => ({
      day: row.day,
      searches: Number(row.searches),
      noMatch: Number(row.no_match),
      imageLatencyP50Ms: row.p50 === null ? null : Number(row.p50),
      imageLatencyP95Ms: row.p95 === null ? null : Number(row.p95),
    }));
  }

  /** Searches per channel and UTC day over the same window, oldest first. */
  async dailyByChannel(days: number, now = new Date()): Promise<DailyChannelSearches[]> {
    const { rows } = await this.db.query<{ day: string; channel: string; searches: number }>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, s.channel, count(*)::int AS searches
       FROM ${DAYS_SQL}
       JOIN search_log s ON (s.created_at AT TIME ZONE 'UTC')::date = d.day::date
       GROUP BY d.day, s.channel ORDER BY d.day, s.channel`,
      [now.toISOString(), days],
    );
    return rows.map((row) => ({ day: row.day, channel: row.channel, searches: Number(row.searches) }));
  }
}
