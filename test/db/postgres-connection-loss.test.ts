/**
 * A PostgreSQL connection lost inside a transaction (server restart, `pg_terminate_backend`)
 * must neither crash the process nor leave half a write: the transaction fails with
 * DatabaseUnavailableError, rolls back, and the next call works on a fresh connection. Closing
 * while a transaction waits on a lock is bounded. Needs a real server (TEST_DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseUnavailableError, type Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/engines/postgres.ts';
import { openTestPostgres } from '../helpers/databases.ts';

const url = process.env.TEST_DATABASE_URL;
const skip = url ? false : 'TEST_DATABASE_URL is not set: no real PostgreSQL to test against (.ci/run sets it up)';

/** Polls until backend `pid` waits on a lock (so the kill lands inside the transaction). */
async function waitUntilBlocked(admin: pg.Client, pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.query<{ wait: string | null }>('SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows[0]?.wait === 'Lock') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`backend ${pid} never waited on the lock`);
}

describe('PostgreSQL connection loss', { skip }, () => {
  let db: Database;
  let holder: pg.Client;
  let schema: string;
  let uncaught: unknown;
  const onUncaught = (error: unknown) => (uncaught = error);

  before(async () => {
    process.on('uncaughtException', onUncaught);
    db = await openTestPostgres(url!);
    schema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
    await db.query(`INSERT INTO products (sku, name, price, currency, category, stock) VALUES ('LOCKED', 'Locked shirt', 10, 'EUR', 'Shirts', 3)`);
    holder = new pg.Client({ connectionString: url });
    await holder.connect();
  });
  after(async () => {
    process.off('uncaughtException', onUncaught);
    await holder?.end().catch(() => undefined);
    await db?.close();
  });

  /** Locks the product row from another session until the returned function is called. */
  async function lockRow(): Promise<() => Promise<void>> {
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM ${schema}.products WHERE sku = 'LOCKED' FOR UPDATE`);
    return async () => void (await holder.query('ROLLBACK'));
  }

  it('a backend terminated inside a transaction rejects with DatabaseUnavailableError, rolls back and does not crash', async () => {
    const unlock = await lockRow();
    let pid = 0;
    const writing = db.transaction(async (tx) => {
      pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await tx.query(`INSERT INTO products (sku, name, price, currency, category, stock) VALUES ('HALF', 'Half written', 1, 'EUR', 'Shirts', 1)`);
      await tx.query(`UPDATE products SET stock = 99 WHERE sku = 'LOCKED'`);
    });
    const outcome = writing.then(() => undefined, (error: unknown) => error);
    while (pid === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await waitUntilBlocked(holder, pid);
    await holder.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await outcome;
    await unlock();
    assert.ok(error instanceof DatabaseUnavailableError, `expected DatabaseUnavailableError, got ${String(error)}`);
    // Give a late 'error' event the chance to surface as an uncaught exception.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(uncaught, undefined);
    const rows = await db.query<{ sku: string; stock: number }>(`SELECT sku, stock FROM products WHERE sku IN ('LOCKED', 'HALF') ORDER BY sku`);
    assert.deepEqual(rows.rows, [{ sku: 'LOCKED', stock: 3 }], 'nothing of the failed transaction was kept, and the pool reconnected');
  });

  it('close() ends a transaction stuck on a lock instead of waiting for it', async () => {
    const own = await openPostgres({ url: url!, schema, maxConnections: 2 });
    await own.query(`INSERT INTO products (sku, name, price, currency, category, stock) VALUES ('STUCK', 'Stuck', 10, 'EUR', 'Shirts', 3)`);
    await holder.query('BEGIN');
    await holder.query(`SELECT * FROM ${schema}.products WHERE sku = 'STUCK' FOR UPDATE`);
    let pid = 0;
    const stuck = own.transaction(async (tx) => {
      pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await tx.query(`UPDATE products SET stock = 0 WHERE sku = 'STUCK'`);
    }).then(() => undefined, (error: unknown) => error);
    while (pid === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await waitUntilBlocked(holder, pid);
    const started = performance.now();
    await own.close();
    const elapsed = performance.now() - started;
    await holder.query('ROLLBACK');
    assert.ok(await stuck, 'the stuck transaction was failed, not left hanging');
    assert.ok(elapsed < 10_000, `close() returned after ${Math.round(elapsed)} ms`);
    assert.equal(uncaught, undefined);
  });
});
