import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Database, Queryable, QueryResult } from '../database.ts';

type PGliteLike = Pick<PGlite, 'query' | 'exec'> | Transaction;

function wrap(target: PGliteLike): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await target.query<Row>(sql, [...params]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await target.exec(sql);
    },
  };
}

/**
 * Opens (creating on first use) the embedded PostgreSQL in `dataDir`, with pgvector loaded.
 * Pass `dataDir: undefined` for an in-memory database, or `snapshot` to start from a
 * {@link PGlite.dumpDataDir} tarball (tests clone a migrated template this way: ~1 s instead of ~5 s).
 */
export interface PgliteDatabase extends Database {
  /** Uncompressed tarball of the whole data directory, for cloning in tests. */
  dump(): Promise<Blob | File>;
}

const BYTEA_OID = 17;

/**
 * PGlite's own bytea parser and serializer handle one byte per JS call (~40 ms for forty 4 KB
 * embeddings, on the main thread); Node's hex codec does the same in well under a millisecond.
 */
function parseHexBytea(text: string): Uint8Array {
  return Buffer.from(text.slice(2), 'hex');
}

function serializeHexBytea(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new TypeError('a bytea parameter must be a Uint8Array or Buffer');
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
}

/**
 * PGlite allocates and touches its whole buffer pool at start-up, and PostgreSQL's default pool
 * (128 MB) made up a fifth of the assistant's memory. Searches are served by the in-memory index
 * (src/core/search/in-memory-index), so the pool only caches catalog writes and owner queries;
 * 32 MB cut start-up RSS by about 100 MB and 16 MB by another 21 MB, with the per-answer queries
 * and the index's vector read as fast (measured with a 1,000-product catalog).
 */
const PGLITE_SETTINGS = ['shared_buffers = 16MB'];

/**
 * V8 compiles WebAssembly twice by default: quickly (Liftoff) to start, then optimised (TurboFan)
 * in the background, keeping both. For PostgreSQL compiled to WebAssembly the second pass only
 * costs: measured with a 1,000-product catalog, Liftoff alone used 60 MB less memory, opened the
 * database 0.1 s sooner, read the search index's vectors in half the time (161 against 307 ms) and
 * ran the per-answer queries as fast (p50 0.65 against 0.64 ms); only a full vector scan in SQL,
 * which the in-memory index replaces, got slower (22 against 17 ms for 1,000 vectors). PGlite is
 * the only WebAssembly in the process, so the flag affects nothing else; it must be set before
 * the first database is opened.
 */
let liftoffOnly = false;

function compileWebAssemblyWithLiftoffOnly(): void {
  if (liftoffOnly) return;
  setFlagsFromString('--liftoff-only');
  liftoffOnly = true;
}

export async function openPglite(options: { dataDir?: string; snapshot?: Blob | File }): Promise<PgliteDatabase> {
  compileWebAssemblyWithLiftoffOnly();
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ?? 'memory://', {
    extensions: { vector },
    parsers: { [BYTEA_OID]: parseHexBytea },
    serializers: { [BYTEA_OID]: serializeHexBytea },
    postgresqlconf: PGLITE_SETTINGS,
    ...(options.snapshot ? { loadDataDir: options.snapshot } : {}),
  });
  // See engines/postgres.ts: keeps an optional HNSW index from starving filtered top-K queries.
  await db.exec('SET hnsw.iterative_scan = relaxed_order');
  const root = wrap(db);
  return {
    engine: 'pglite',
    location: options.dataDir ?? 'memory',
    query: root.query,
    exec: root.exec,
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    async close() {
      if (!db.closed) await db.close();
    },
    dump: () => db.dumpDataDir('none'),
  };
}
