/**
 * The small database interface both engines implement: embedded PGlite (default) and a
 * PostgreSQL server reached through `pg` (when `DATABASE_URL` is set). Repositories are written
 * against {@link Queryable} only, so the same SQL runs on both.
 */
import { OperationalError } from '../domain/errors.ts';

/** Rows returned by a query, plus how many rows a write touched. */
export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Anything that can run a parameterised SQL statement: the database itself or a transaction. */
export interface Queryable {
  readonly query: <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<QueryResult<Row>>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  readonly exec: (sql: string) => Promise<void>;
}

export type EngineName = 'pglite' | 'postgres';

export interface Database extends Queryable {
  readonly engine: EngineName;
  /** Human-readable location: a directory for PGlite, a password-free URL for PostgreSQL. */
  readonly location: string;
  /**
   * Runs `work` inside one transaction on one connection; commits when it resolves, rolls back
   * when it throws (and rethrows), so callers never leave half-written rows behind.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A database call failed because the server could not be reached (not because the SQL was wrong). */
export class DatabaseUnavailableError extends OperationalError {
  constructor(
    readonly location: string,
    options: { cause: unknown },
  ) {
    super(
      `Database at ${location} is unavailable (${String((options.cause as Error | undefined)?.message ?? options.cause)}): ` +
        'start the PostgreSQL server or correct DATABASE_URL',
      options,
    );
  }
}
