/**
 * Opens the configured database engine and brings its schema up to date. The embedded engine
 * is opened only under the data directory's lock (see `data-dir-lock.ts`); failures a person can
 * fix (no pgvector, wrong password, unwritable or full disk) become one-line
 * {@link OperationalError}s naming the cause and the fix.
 */
import path from 'node:path';
import { OperationalError } from '../domain/errors.ts';
import { acquireDataDirLock, DataDirAccessError, type DataDirLock } from './data-dir-lock.ts';
import type { Database } from './database.ts';
import { openPglite } from './engines/pglite.ts';
import { migrate } from './migrate.ts';
import { refreshPlannerStatistics } from './planner-statistics.ts';
import { applyVectorIndexPolicy, type VectorIndexPolicy } from './vector-index.ts';

export interface OpenDatabaseOptions {
  /** PostgreSQL server URL; `undefined` selects embedded PGlite under `dataDir`. */
  readonly url: string | undefined;
  readonly dataDir: string;
  /** HNSW index on embeddings: `auto` = on PostgreSQL servers only. */
  readonly vectorIndex?: VectorIndexPolicy;
  /**
   * The data-directory lock the caller holds (and keeps releasing itself). Without one, opening
   * the embedded engine takes the lock (waiting up to `lockTimeoutMs`) and closing releases it.
   */
  readonly lock?: DataDirLock;
  /** Milliseconds to wait for the lock when none is given; default 0 (fail at once). */
  readonly lockTimeoutMs?: number;
}

/** Directory holding the embedded database files inside `DATA_DIR`. */
export function embeddedDatabaseDir(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/** The server has no usable pgvector extension, or the database cannot be reached as configured. */
export class DatabaseSetupError extends OperationalError {}

/**
 * Opens the database and applies pending migrations.
 * @throws {OperationalError} for failures a person can fix: the lock is held elsewhere, the
 * directory is not writable or the disk is full, the server is unreachable, pgvector is missing.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const db = options.url ? await openServer(options.url) : await openEmbedded(options);
  try {
    await migrate(db);
    await applyVectorIndexPolicy(db, options.vectorIndex ?? 'auto');
    await refreshPlannerStatistics(db);
  } catch (error) {
    const explained = await explainSetupFailure(error, db);
    await db.close();
    throw explained;
  }
  return db;
}

async function openServer(url: string): Promise<Database> {
  try {
    // The pg driver is loaded only when a server is configured; the embedded database never needs it.
    const { openPostgres } = await import('./engines/postgres.ts');
    return await openPostgres({ url });
  } catch (error) {
    throw explainConnectFailure(error, url);
  }
}

async function openEmbedded(options: OpenDatabaseOptions): Promise<Database> {
  if (options.lock && path.resolve(options.lock.dataDir) !== path.resolve(options.dataDir)) {
    throw new Error(`the lock held is for ${options.lock.dataDir}, not ${options.dataDir}`);
  }
  const lock =
    options.lock ?? (await acquireDataDirLock(options.dataDir, { role: 'command', command: 'open', timeoutMs: options.lockTimeoutMs ?? 0 }));
  const ownsLock = options.lock === undefined;
  let db: Database;
  try {
    db = await openPglite({ dataDir: embeddedDatabaseDir(options.dataDir) });
  } catch (error) {
    if (ownsLock) await lock.release();
    throw isFileSystemError(error) ? new DataDirAccessError(options.dataDir, error) : error;
  }
  if (!ownsLock) return db;
  const closeDatabase = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      try {
        await closeDatabase();
      } finally {
        await lock.release();
      }
    },
  });
}

/** Error codes of Node's file-system calls that a person fixes (see `describeFileSystemError`). */
const FILE_SYSTEM_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR', 'EEXIST']);

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FILE_SYSTEM_CODES.has(code);
}

interface ServerError {
  readonly code?: string;
  readonly message: string;
}

function serverError(error: unknown): ServerError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return { message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

/** Connecting failed: wrong password or user, or a database that does not exist. */
function explainConnectFailure(error: unknown, url: string): unknown {
  const failure = serverError(error);
  if (!failure?.code) return error;
  const location = redactedUrl(url);
  if (failure.code === '28P01' || failure.code === '28000') {
    return new DatabaseSetupError(`PostgreSQL at ${location} refused the login (${failure.message}): correct the user or password in DATABASE_URL`, { cause: error });
  }
  if (failure.code === '3D000') {
    return new DatabaseSetupError(`PostgreSQL at ${location}: ${failure.message}: create it (createdb) or correct DATABASE_URL`, { cause: error });
  }
  return error;
}

/**
 * A migration failed: pgvector missing or not enabled, permission or disk problems become one
 * line with the fix; anything else is returned unchanged (a bug to report). Exported for tests.
 */
export async function explainSetupFailure(error: unknown, db: Pick<Database, 'engine' | 'location' | 'query'>): Promise<unknown> {
  const failure = serverError(error);
  if (!failure) return error;
  const vector = /extension "vector"|vector\.control/.test(failure.message);
  if (vector && (failure.code === '0A000' || failure.code === '58P01' || /not available|could not open extension control file/.test(failure.message))) {
    const major = await serverMajorVersion(db);
    return new DatabaseSetupError(
      `PostgreSQL at ${db.location} has no pgvector extension: install postgresql-${major}-pgvector or build it from source, then restart the server (see README "Database")`,
      { cause: error },
    );
  }
  if (vector && failure.code === '42501') {
    return new DatabaseSetupError(
      `PostgreSQL at ${db.location}: this user may not enable the pgvector extension: run \`CREATE EXTENSION vector;\` once as a superuser in that database (see README "Database")`,
      { cause: error },
    );
  }
  if (failure.code === '53100' || /No space left on device/i.test(failure.message)) {
    return new DatabaseSetupError(`The database at ${db.location} ran out of disk space: free some space and run the command again`, { cause: error });
  }
  if (failure.code === '42501') {
    return new DatabaseSetupError(`PostgreSQL at ${db.location}: ${failure.message}: grant this user the rights to create tables in that database`, { cause: error });
  }
  if (isFileSystemError(error) && db.engine === 'pglite') return new DataDirAccessError(path.dirname(db.location), error);
  return error;
}

async function serverMajorVersion(db: Pick<Database, 'query'>): Promise<string> {
  try {
    const { rows } = await db.query<{ version: string }>('SHOW server_version_num');
    return String(Math.floor(Number(rows[0]?.version) / 10_000) || 'NN');
  } catch {
    return 'NN';
  }
}
