import type { Queryable } from '../database.ts';

/** One stored thumbnail of a customer photo that found no match. */
export interface UnmetDemandEntry {
  readonly id: number;
  readonly channel: string;
  /** JPEG bytes. */
  readonly thumbnail: Buffer;
  readonly width: number;
  readonly height: number;
  readonly createdAt: Date;
}

/** Photos without a match on one UTC day. */
export interface UnmetDemandDay {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly photos: number;
}

interface EntryRow {
  id: string | number;
  channel: string;
  thumbnail: Uint8Array;
  width: number;
  height: number;
  created_at: Date | string;
}

const toEntry = (row: EntryRow): UnmetDemandEntry => ({
  id: Number(row.id),
  channel: row.channel,
  // PGlite returns a Uint8Array, pg a Buffer; callers get a Buffer either way.
  thumbnail: Buffer.from(row.thumbnail.buffer, row.thumbnail.byteOffset, row.thumbnail.byteLength),
  width: Number(row.width),
  height: Number(row.height),
  createdAt: new Date(row.created_at),
});

/** Thumbnails of unmatched customer photos, newest first; purged after the retention period. */
export class UnmetDemandRepository {
  constructor(private readonly db: Queryable) {}

  async add(entry: { channel: string; thumbnail: Buffer; width: number; height: number }): Promise<number> {
    const { rows } = await this.db.query<{ id: string | number }>(
      'INSERT INTO unmet_demand (channel, thumbnail, width, height) VALUES ($1, $2, $3, $4) RETURNING id',
      [entry.channel, entry.thumbnail, entry.width, entry.height],
    );
    return Number(rows[0]!.id);
  }

  /** Newest first; `beforeId` continues a previous page. */
  async recent(limit: number, beforeId?: number): Promise<UnmetDemandEntry[]> {
    const { rows } = await this.db.query<EntryRow>(
      `SELECT id, channel, thumbnail, width, height, created_at FROM unmet_demand
       WHERE $2::bigint IS NULL OR id < $2::bigint ORDER BY id DESC LIMIT $1`,
      [limit, beforeId ?? null],
    );
    return rows.map(toEntry);
  }

  /** Unmatched photos per UTC day for the `days` days ending with `now`'s day, zero-filled, oldest first. */
  async perDay(days: number, now = new Date()): Promise<UnmetDemandDay[]> {
    const { rows } = await this.db.query<{ day: string; photos: number }>(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, count(u.id)::int AS photos
       FROM generate_series(($1::timestamptz AT TIME ZONE 'UTC')::date - ($2::int - 1), ($1::timestamptz AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)
       LEFT JOIN unmet_demand u ON (u.created_at AT TIME ZONE 'UTC')::date = d.day::date
       GROUP BY d.day ORDER BY d.day`,
      [now.toISOString(), days],
    );
    return rows.map((row) => ({ day: row.day, photos: Number(row.photos) }));
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ count: number }>('SELECT count(*)::int AS count FROM unmet_demand');
    return Number(rows[0]!.count);
  }

  /** Deletes entries older than `cutoff`; returns how many. */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM unmet_demand WHERE created_at < $1::timestamptz', [cutoff.toISOString()]);
    return rowCount;
  }
}
