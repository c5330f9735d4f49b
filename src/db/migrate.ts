/**
 * Applies the numbered SQL files in `migrations/` in order, each in its own transaction, and
 * records them in `schema_migrations`. The same files run on PGlite and PostgreSQL.
 *
 * Hand-written rather than a migration library because those drive a `pg` client, and the
 * embedded engine is not one; this runner only needs {@link Database.transaction}.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-layout.ts';
import type { Database } from './database.ts';

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations/');

/** An arbitrary constant that serialises concurrent migrators on one PostgreSQL server. */
const MIGRATION_LOCK_KEY = 727_001;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly file: string;
}

/** Lists `NNN_name.sql` files in version order; rejects duplicates and badly named files. */
export async function listMigrations(directory = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.sql')).sort();
  const migrations = files.map((file) => {
    const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!match) throw new Error(`${path.join(directory, file)}: migration files must be named NNN_name.sql`);
    return { version: Number(match[1]), name: match[2]!, file: path.join(directory, file) };
  });
  const versions = new Set<number>();
  for (const migration of migrations) {
    if (versions.has(migration.version)) throw new Error(`duplicate migration version ${migration.version}`);
    versions.add(migration.version);
  }
  return migrations;
}

/**
 * Brings the schema up to date and returns the versions it applied (empty when current).
 * The version row is inserted before the SQL runs and both commit together, under an advisory
 * lock, so two processes starting at once cannot both apply a migration.
 */
export async function migrate(db: Database, directory = MIGRATIONS_DIR): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: number[] = [];
  for (const migration of await listMigrations(directory)) {
    const sql = await readFile(migration.file, 'utf8');
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const inserted = await tx.query(
        'INSERT INTO schema_migrations (version, name) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING',
        [migration.version, migration.name],
      );
      if (inserted.rowCount === 0) return false;
      await tx.exec(sql);
      return true;
    });
    if (didApply) applied.push(migration.version);
  }
  return applied;
}
