import type { Queryable } from '../database.ts';

/**
 * A named lease row that makes training single-flight across processes. Taking it is one
 * atomic upsert that succeeds only when the row is absent or its lease has expired, so it needs
 * no session state: unlike `pg_try_advisory_lock` it is safe through a connection pool (where
 * lock and unlock could land on different connections) and behaves the same on PGlite. The holder
 * renews the lease while it works; a crashed holder's lease expires after `leaseSeconds`.
 */
export class TrainingLockRepository {
  constructor(private readonly db: Queryable) {}

  /** True when `holder` now holds `name` for `leaseSeconds`. */
  async tryAcquire(name: string, holder: string, leaseSeconds: number): Promise<boolean> {
    const { rows } = await this.db.query<{ holder: string }>(
      `INSERT INTO training_lock (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE training_lock.expires_at < now() OR training_lock.holder = EXCLUDED.holder
       RETURNING holder`,
      [name, holder, leaseSeconds],
    );
    return rows[0]?.holder === holder;
  }

  /** Extends the lease; false when it was lost (expired and taken by another holder). */
  async renew(name: string, holder: string, leaseSeconds: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE training_lock SET expires_at = now() + make_interval(secs => $3) WHERE name = $1 AND holder = $2',
      [name, holder, leaseSeconds],
    );
    return rowCount > 0;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.query('DELETE FROM training_lock WHERE name = $1 AND holder = $2', [name, holder]);
  }
}
