/**
 * Backups of the embedded database with everything it refers to: one `.tar.gz` holding a
 * manifest, the PGlite data directory as one consistent snapshot (`database.tar`, taken while no
 * statement runs — safe while the assistant serves), the stored product photos (`images/`) and
 * the category heads (`heads/`).
 *
 * The snapshot is taken first and files after it: photos and heads are written before the rows
 * that name them and never changed or deleted, so every file the snapshot refers to is there.
 *
 * Restoring ({@link restoreBackup}) is all or nothing: the archive is unpacked and the database
 * opened and checked in a staging directory next to the live one; photos and heads are added
 * (content-addressed, so existing files are never overwritten); then the staged database
 * replaces the live one with two renames. The previous database is kept beside it.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../../db/database.ts';
import { openPglite } from '../../db/engines/pglite.ts';
import { listMigrations } from '../../db/migrate.ts';
import { embeddedDatabaseDir } from '../../db/open.ts';
import { OperationalError } from '../../domain/errors.ts';

/** The archive's table of contents. */
export interface BackupManifest {
  readonly format: 1;
  readonly createdAt: string;
  readonly engine: 'pglite';
  /** Highest migration applied in the snapshot. */
  readonly schemaVersion: number;
  readonly counts: BackupCounts;
}

export interface BackupCounts {
  readonly products: number;
  readonly images: number;
  readonly heads: number;
}

export interface BackupReport extends BackupCounts {
  readonly file: string;
  /** Archive size in bytes. */
  readonly bytes: number;
  readonly durationMs: number;
}

export interface RestoreReport extends BackupCounts {
  readonly createdAt: string;
  /** Where the database that was replaced now lives (undefined when there was none). */
  readonly previous: string | undefined;
}

/** A backup or restore that cannot be done as asked; the message names the cause and the fix. */
export class BackupError extends OperationalError {}

const MANIFEST = 'shoplens-backup.json';
const DATABASE = 'database.tar';

/** Anything that can snapshot itself (the embedded engine). */
type Dumpable = Database & { dump(): Promise<Blob | File> };

function canDump(db: Database): db is Dumpable {
  return db.engine === 'pglite' && typeof (db as Partial<Dumpable>).dump === 'function';
}

export class BackupService {
  constructor(private readonly deps: { readonly db: Database; readonly dataDir: string; readonly modelsDir: string }) {}

  /**
   * Writes a backup to `file` (created atomically: a partial file is never left under that name).
   * @throws {BackupError} on a PostgreSQL server (use pg_dump, README "Backups").
   */
  async create(file: string): Promise<BackupReport> {
    const started = performance.now();
    const { db, dataDir, modelsDir } = this.deps;
    if (!canDump(db)) {
      throw new BackupError('`backup` covers the embedded database; with DATABASE_URL back up the server with pg_dump and copy DATA_DIR/images (README "Backups").');
    }
    const target = path.resolve(file);
    await mkdir(path.dirname(target), { recursive: true });
    const staging = `${target}.${randomBytes(4).toString('hex')}.partial`;
    await mkdir(staging);
    try {
      // One statement-free instant; then the counts (in the same state, nothing of ours runs in between).
      const snapshot = await db.dump();
      const counts = await countRows(db);
      const manifest: BackupManifest = { format: 1, createdAt: new Date().toISOString(), engine: 'pglite', schemaVersion: await schemaVersion(db), counts };
      await writeFile(path.join(staging, DATABASE), Buffer.from(await snapshot.arrayBuffer()));
      await writeFile(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      const entries = [MANIFEST, DATABASE];
      for (const [name, source] of [['images', path.join(dataDir, 'images')], ['heads', path.join(modelsDir, 'heads')]] as const) {
        if (await isDirectory(source)) {
          await symlink(source, path.join(staging, name), 'dir');
          entries.push(name);
        }
      }
      const archive = `${staging}.tar.gz`;
      // `follow` packs the photo and head directories the symlinks point to; half-written files
      // (`*.tmp`, renamed into place when complete) are left out.
      const tar = await import('tar');
      await tar.create({ gzip: true, file: archive, cwd: staging, follow: true, portable: true, filter: (entry) => !entry.endsWith('.tmp') }, entries);
      await rename(archive, target);
      return { file: target, bytes: (await stat(target)).size, durationMs: performance.now() - started, ...counts };
    } finally {
      await removeStaging(staging);
      await rm(`${staging}.tar.gz`, { force: true });
    }
  }
}

/**
 * Restores `file` into `dataDir` (database and photos) and `modelsDir` (heads).
 * @throws {BackupError} when the embedded database is in use, the archive is not a ShopLens
 *   backup, or it comes from a newer ShopLens; nothing is changed then.
 */
export async function restoreBackup(options: { readonly file: string; readonly dataDir: string; readonly modelsDir: string; readonly now?: Date }): Promise<RestoreReport> {
  const live = embeddedDatabaseDir(options.dataDir);
  await assertNotInUse(live);
  if (!(await isFile(options.file))) throw new BackupError(`${options.file}: no such backup file.`);
  await mkdir(options.dataDir, { recursive: true });
  const staging = path.join(options.dataDir, `.restore-${randomBytes(4).toString('hex')}`);
  await mkdir(staging);
  try {
    const manifest = await unpack(options.file, staging);
    const stagedDatabase = path.join(staging, 'pglite');
    await verifyDatabase(stagedDatabase, await readFile(path.join(staging, DATABASE)), manifest);
    await addMissingFiles(path.join(staging, 'images'), path.join(options.dataDir, 'images'));
    await addMissingFiles(path.join(staging, 'heads'), path.join(options.modelsDir, 'heads'));
    // Checked again just before the swap: someone may have started ShopLens meanwhile.
    await assertNotInUse(live);
    const previous = (await isDirectory(live)) ? `${live}.before-restore-${stamp(options.now ?? new Date())}` : undefined;
    if (previous) await rename(live, previous);
    await rename(stagedDatabase, live);
    return { createdAt: manifest.createdAt, previous, ...manifest.counts };
  } finally {
    await removeStaging(staging);
  }
}

/**
 * Removes a staging directory. When tar gives up on a damaged archive, files it already opened may
 * still be being written for a moment, so a plain removal can fail with ENOTEMPTY (seen in CI) and
 * would hide the real error: Node's own retries cover that moment.
 */
async function removeStaging(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

/** `20261126-033000`: file-name friendly and sortable. */
export function stamp(date: Date): string {
  return date.toISOString().replace(/\..*$/, '').replace(/[-:]/g, '').replace('T', '-');
}

/**
 * PGlite writes `postmaster.pid` while a process has the database open and removes it on a clean
 * close; restoring under a running assistant would corrupt both.
 */
async function assertNotInUse(databaseDir: string): Promise<void> {
  if (await isFile(path.join(databaseDir, 'postmaster.pid'))) {
    throw new BackupError(
      `The embedded database in ${databaseDir} is in use (postmaster.pid present): stop ShopLens (npm start) first. ` +
        'If nothing is running, the last run did not stop cleanly: start and stop ShopLens once, then restore.',
    );
  }
}

async function unpack(file: string, staging: string): Promise<BackupManifest> {
  try {
    const tar = await import('tar');
    await tar.extract({ file, cwd: staging, strict: true, filter: (entry) => isSafeEntry(entry) });
  } catch (error) {
    throw new BackupError(`${file} is not a readable ShopLens backup (${(error as Error).message}).`, { cause: error });
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(staging, MANIFEST), 'utf8')) as BackupManifest;
  } catch {
    throw new BackupError(`${file} is not a ShopLens backup (no ${MANIFEST} inside).`);
  }
  if (manifest.format !== 1 || manifest.engine !== 'pglite' || !(await isFile(path.join(staging, DATABASE)))) {
    throw new BackupError(`${file} is a backup format this ShopLens does not know (format ${String(manifest.format)}); use the ShopLens version that made it.`);
  }
  const known = Math.max(0, ...(await listMigrations()).map((migration) => migration.version));
  if (manifest.schemaVersion > known) {
    throw new BackupError(`${file} was made by a newer ShopLens (schema ${manifest.schemaVersion}, this one knows up to ${known}): update ShopLens first.`);
  }
  return manifest;
}

/** Only plain relative paths under the staging directory (no `..`, no absolute names). */
function isSafeEntry(entry: string): boolean {
  const normalised = path.posix.normalize(entry.replace(/\\/g, '/'));
  return !path.posix.isAbsolute(normalised) && !normalised.startsWith('../') && normalised !== '..';
}

/** Loads the snapshot into `dir` and checks it opens and holds what the manifest says. */
async function verifyDatabase(dir: string, snapshot: Buffer, manifest: BackupManifest): Promise<void> {
  const db = await openPglite({ dataDir: dir, snapshot: new Blob([snapshot]) });
  try {
    const counts = await countRows(db);
    if (counts.products !== manifest.counts.products || counts.images !== manifest.counts.images || counts.heads !== manifest.counts.heads) {
      throw new BackupError(`The backup's database does not match its manifest (${JSON.stringify(counts)} vs ${JSON.stringify(manifest.counts)}); it is damaged.`);
    }
  } finally {
    await db.close();
  }
}

async function countRows(db: Database): Promise<BackupCounts> {
  const { rows } = await db.query<{ products: string | number; images: string | number; heads: string | number }>(
    `SELECT (SELECT count(*) FROM products) AS products, (SELECT count(*) FROM product_images) AS images, (SELECT count(*) FROM classifier_models) AS heads`,
  );
  const row = rows[0]!;
  return { products: Number(row.products), images: Number(row.images), heads: Number(row.heads) };
}

async function schemaVersion(db: Database): Promise<number> {
  const { rows } = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return Number(rows[0]?.version ?? 0);
}

/** Copies every file of `from` missing in `to` (each through a temporary name, so none is half-written). */
async function addMissingFiles(from: string, to: string): Promise<void> {
  if (!(await isDirectory(from))) return;
  for (const entry of await readdir(from, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const source = path.join(entry.parentPath, entry.name);
    const target = path.join(to, path.relative(from, source));
    if (await isFile(target)) continue;
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.restore.tmp`;
    await copyFile(source, temporary);
    await rename(temporary, target);
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}
