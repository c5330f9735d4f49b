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

/**
 * Connects a pool to a PostgreSQL server with pgvector. The pool reconnects by itself, so once
 * the server is back the next query succeeds; meanwhile calls fail with
 * {@link DatabaseUnavailableError}.
 */
export async function openPostgres(options: {
  url: string;
  maxConnections?: number;
  /** Schema to create tables in (tests isolate themselves this way); `public` by default. */
  schema?: string;
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
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
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
      const tx = wrap(client, location);
      try {
        await tx.query('BEGIN');
        const result = await work(tx);
        await tx.query('COMMIT');
        return result;
      } catch (error) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
