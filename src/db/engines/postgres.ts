import pg from 'pg';
import type { Database, Queryable, QueryResult } from '../database.ts';
import { DatabaseUnavailableError } from '../database.ts';
import { HNSW_SESSION_OPTIONS } from '../vector-index.ts';

/** Error codes meaning "could not talk to the server", as opposed to a bad statement. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004',
]);

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message);
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

function wrap(client: pg.Pool | pg.PoolClient, location: string): Queryable {
  const send = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (isConnectionError(error)) throw new DatabaseUnavailableError(location, { cause: error });
      throw error;
    }
  };
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await send(() => client.query(sql, [...params]));
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      // Without parameters pg uses the simple protocol, which accepts several statements.
      await send(() => client.query(sql));
    },
  };
}

/** How long `close()` lets checked-out connections finish before ending them (shutdown is bounded). */
const CLOSE_GRACE_MS = 2_000;

/**
 * Connects a pool to a PostgreSQL server with pgvector. The pool reconnects by itself, so once
 * the server is back the next query succeeds; meanwhile calls fail with
 * {@link DatabaseUnavailableError}. No lost connection can crash the process: idle clients are
 * covered by the pool's `error` listener, clients checked out for a transaction by their own.
 */
export async function openPostgres(options: {
  url: string;
  maxConnections?: number;
  /** Schema to create tables in (tests isolate themselves this way); `public` by default. */
  schema?: string;
  /** Told about connections lost while idle or inside a transaction (logging); never throws. */
  onConnectionError?: (error: Error) => void;
}): Promise<Database> {
  const location = redact(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 5,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Iterative index scans (pgvector ≥ 0.8) keep filtering out-of-stock products from starving
    // an HNSW top-K, and ef_search sets its recall (see vector-index.ts); harmless without an index.
    options: [...HNSW_SESSION_OPTIONS, ...(options.schema ? [`-c search_path=${options.schema},public`] : [])].join(' '),
  });
  const reportLoss = (error: Error) => {
    try {
      options.onConnectionError?.(error);
    } catch {
      // A logging failure must not turn a handled connection loss into a crash.
    }
  };
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', reportLoss);
  /** Clients checked out by transactions, so `close()` can end them when they outstay the grace. */
  const checkedOut = new Set<pg.PoolClient>();
  const root = wrap(pool, location);
  await root.query('SELECT 1');
  return {
    engine: 'postgres',
    location,
    query: root.query,
    exec: root.exec,
    async transaction(work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw new DatabaseUnavailableError(location, { cause: error });
      }
      // pg emits 'error' on a checked-out client whose connection drops (server restart,
      // pg_terminate_backend); without a listener that event would terminate the process.
      let lost: Error | undefined;
      const onError = (error: Error) => {
        lost = error;
        reportLoss(error);
      };
      client.on('error', onError);
      checkedOut.add(client);
      const tx = wrap(client, location);
      try {
        await tx.query('BEGIN');
        const result = await work(tx);
        await tx.query('COMMIT');
        return result;
      } catch (error) {
        if (!lost) await tx.query('ROLLBACK').catch(() => undefined);
        if (lost && !(error instanceof DatabaseUnavailableError)) throw new DatabaseUnavailableError(location, { cause: lost });
        throw error;
      } finally {
        checkedOut.delete(client);
        client.removeListener('error', onError);
        // A broken client is destroyed rather than handed to the next caller.
        client.release(lost ?? undefined);
      }
    },
    async close() {
      const ended = pool.end();
      const grace = new Promise<'late'>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS, 'late').unref());
      if ((await Promise.race([ended, grace])) === 'late') {
        // A transaction is still waiting (e.g. on a row lock): end its connection so the pool can close.
        for (const client of checkedOut) await (client as pg.PoolClient & { end(): Promise<void> }).end().catch(() => undefined);
        await ended;
      }
    },
  };
}
