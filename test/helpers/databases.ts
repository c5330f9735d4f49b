/**
 * Every database test runs on embedded PGlite, and also on a real PostgreSQL with pgvector when
 * TEST_DATABASE_URL is set (each test gets its own schema there, dropped afterwards).
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/engines/pglite.ts';
import { openPostgres } from '../../src/db/engines/postgres.ts';
import { migrate } from '../../src/db/migrate.ts';

export interface TestEngine {
  readonly name: 'pglite' | 'postgres';
  /** Why this engine is skipped, if it is. */
  readonly skip: string | false;
  /** A freshly migrated, empty database; close it when done. */
  open(): Promise<Database>;
}

let pgliteTemplate: Promise<Blob | File> | undefined;

/** Creating PGlite runs initdb (~5 s); cloning a migrated template takes ~1 s. */
async function pgliteSnapshot(): Promise<Blob | File> {
  pgliteTemplate ??= (async () => {
    const db = await openPglite({});
    await migrate(db);
    const snapshot = await db.dump();
    await db.close();
    return snapshot;
  })();
  return pgliteTemplate;
}

export async function openTestPglite(): Promise<Database> {
  return openPglite({ snapshot: await pgliteSnapshot() });
}

export async function openTestPostgres(url: string): Promise<Database> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = await openPostgres({ url, maxConnections: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  await admin.close();
  const db = await openPostgres({ url, schema, maxConnections: 3 });
  await migrate(db);
  const close = db.close.bind(db);
  return Object.assign(db, {
    async close() {
      await db.exec(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined);
      await close();
    },
  });
}

export function testEngines(): TestEngine[] {
  const url = process.env.TEST_DATABASE_URL;
  return [
    { name: 'pglite', skip: false, open: openTestPglite },
    {
      name: 'postgres',
      skip: url ? false : 'TEST_DATABASE_URL is not set: no real PostgreSQL to test against (.ci/run sets it up)',
      open: () => openTestPostgres(url!),
    },
  ];
}
