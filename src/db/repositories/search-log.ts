import type { Queryable } from '../database.ts';

export type SearchQueryKind = 'image' | 'text' | 'similar';

export interface SearchLogEntry {
  readonly channel: string;
  /** Channel-specific user reference (a Telegram user id, "cli"); never a name or phone number. */
  readonly userRef: string | null;
  readonly queryKind: SearchQueryKind;
  readonly modelId: string | null;
  /** Time from receiving the query to having the answer, in milliseconds. */
  readonly latencyMs: number;
  readonly matched: boolean;
  readonly topProductIds: readonly number[];
  readonly topScores: readonly number[];
  /** The category head's guess for an image query, and its confidence (0–1). */
  readonly predictedCategory?: string;
  readonly categoryConfidence?: number;
}

export interface SearchLogSummary {
  readonly total: number;
  readonly last24h: number;
  readonly last7d: number;
  readonly noMatch: number;
  /** Median and 95th-percentile latency of photo searches, in ms; null without any. */
  readonly imageLatencyP50Ms: number | null;
  readonly imageLatencyP95Ms: number | null;
}

/** The search log, written once per answered query and summarised for /stats. */
export class SearchLogRepository {
  constructor(private readonly db: Queryable) {}

  /** Writes `entries` in one statement (all or none). */
  async recordAll(entries: readonly SearchLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((_, i) => {
      const n = i * 10;
      // Typed, because the rows of a multi-row VALUES list are typed before they meet the columns.
      return `($${n + 1}::text, $${n + 2}::text, $${n + 3}::text, $${n + 4}::text, $${n + 5}::real, $${n + 6}::boolean, $${n + 7}::int[], $${n + 8}::real[], $${n + 9}::text, $${n + 10}::real)`;
    });
    await this.db.query(
      `INSERT INTO search_log (channel, user_ref, query_kind, model_id, latency_ms, matched, top_product_ids, top_scores, predicted_category, category_confidence)
       VALUES ${rows.join(', ')}`,
      entries.flatMap((entry) => [
        entry.channel, entry.userRef, entry.queryKind, entry.modelId, entry.latencyMs, entry.matched,
        [...entry.topProductIds], [...entry.topScores], entry.predictedCategory ?? null, entry.categoryConfidence ?? null,
      ]),
    );
  }

  async summary(now = new Date()): Promise<SearchLogSummary> {
    const { rows } = await this.db.query<{
      total: number; last24h: number; last7d: number; no_match: number; p50: number | null; p95: number | null;
    }>(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE created_at > $1::timestamptz - interval '24 hours')::int AS last24h,
              count(*) FILTER (WHERE created_at > $1::timestamptz - interval '7 days')::int AS last7d,
              count(*) FILTER (WHERE NOT matched)::int AS no_match,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE query_kind = 'image') AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) FILTER (WHERE query_kind = 'image') AS p95
       FROM search_log`,
      [now.toISOString()],
    );
    const row = rows[0]!;
    return {
      total: row.total,
      last24h: row.last24h,
      last7d: row.last7d,
      noMatch: row.no_match,
      imageLatencyP50Ms: row.p50 === null ? null : Number(row.p50),
      imageLatencyP95Ms: row.p95 === null ? null : Number(row.p95),
    };
  }
}
