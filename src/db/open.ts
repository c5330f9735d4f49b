/**
 * Opens the configured database engine and brings its schema up to date.
 */
import path from 'node:path';
import type { Database } from './database.ts';
import { openPglite } from './engines/pglite.ts';
import { openPostgres } from './engines/postgres.ts';
import { migrate } from './migrate.ts';
import { applyVectorIndexPolicy, type VectorIndexPolicy } from './vector-index.ts';

export interface OpenDatabaseOptions {
  /** PostgreSQL server URL; `undefined` selects embedded PGlite under `dataDir`. */
  readonly url: string | undefined;
  readonly dataDir: string;
  /** HNSW index on embeddings: `auto` = on PostgreSQL servers only. */
  readonly vectorIndex?: VectorIndexPolicy;
}

/** Directory holding the embedded database files inside `DATA_DIR`. */
export function embeddedDatabaseDir(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/** Opens the database and applies pending migrations. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const db = options.url
    ? await openPostgres({ url: options.url })
    : await openPglite({ dataDir: embeddedDatabaseDir(options.dataDir) });
  try {
    await migrate(db);
    await applyVectorIndexPolicy(db, options.vectorIndex ?? 'auto');
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
