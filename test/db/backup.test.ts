/**
 * Backups of the embedded database: products, images, embeddings and heads come back identical;
 * a backup taken while writes go on is consistent; restore refuses a database in use and a
 * damaged archive without changing anything; automatic backups keep the newest N.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { Assistant } from '../../src/core/assistant.ts';
import { BackupSchedule } from '../../src/core/backup/backup-schedule.ts';
import { BackupError, restoreBackup } from '../../src/core/backup/backup-service.ts';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import { ClassifierModelRepository } from '../../src/db/repositories/classifier-models.ts';
import { seedCatalog, COLOUR_CATALOG } from '../helpers/bot-fixtures.ts';
import { ColourHistogramModel } from '../helpers/colour-model.ts';

const logger = pino({ level: 'silent' });

/** Everything a restore must bring back, as comparable values. */
async function fingerprint(db: Database, config: Config): Promise<Record<string, unknown>> {
  const products = (await db.query('SELECT id, sku, name, price::text, currency, category, stock, active FROM products ORDER BY id')).rows;
  const images = (await db.query('SELECT id, product_id, file_path, sha256, model_id, embedding::text AS embedding FROM product_images ORDER BY id')).rows;
  const heads = (await db.query('SELECT id, active, parameters::text AS parameters, categories::text AS categories FROM classifier_models ORDER BY id')).rows;
  const files: Record<string, string> = {};
  for (const row of images as { file_path: string }[]) files[row.file_path] = sha256(await readFile(path.join(config.dataDir, row.file_path)));
  const headsDir = path.join(path.dirname(config.model.path), 'heads');
  for (const name of (await readdir(headsDir).catch(() => [])).sort()) files[`heads/${name}`] = sha256(await readFile(path.join(headsDir, name)));
  return { products, images, heads, files };
}

/** The assistant keeps its database to itself; the test opens it and keeps a handle to look inside. */
const databases = new WeakMap<Assistant, Database>();
async function openAssistant(config: Config): Promise<Assistant> {
  const db = await openDatabase({ url: undefined, dataDir: config.dataDir });
  const assistant = await Assistant.create({ config, logger, loadModel: () => Promise.resolve(new ColourHistogramModel()), db });
  databases.set(assistant, db);
  return assistant;
}
function dbOf(assistant: Assistant): Database {
  return databases.get(assistant)!;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('backup and restore (embedded database)', () => {
  let root: string;
  let config: Config;
  const open = () => openAssistant(config);

  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'shoplens-backup-'));
    config = loadConfig({ DATA_DIR: path.join(root, 'data'), MODEL_PATH: path.join(root, 'models', 'backbone.onnx'), LOG_LEVEL: 'silent' }, root);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('products, images, embeddings and heads come back identical', async () => {
    const assistant = await open();
    await seedCatalog(assistant, COLOUR_CATALOG.slice(0, 5));
    const heads = new ClassifierModelRepository(dbOf(assistant));
    await heads.insert({ id: 'best-1', backboneModelId: 'colour@1', recipe: 'best', categories: ['Dresses', 'Hats'], hyperparameters: { epochs: 3 }, metrics: { valAccuracy: 0.9 }, valAccuracy: 0.9 }, { w: [0.25, -1.5] });
    await heads.activate('best-1');
    await mkdir(path.join(root, 'models', 'heads'), { recursive: true });
    await writeFile(path.join(root, 'models', 'heads', 'best-1.json'), '{"id":"best-1","parameters":{"w":[0.25,-1.5]}}');
    const before = await fingerprint(dbOf(assistant), config);
    const file = path.join(root, 'first.tar.gz');
    const report = await assistant.backups.create(file);
    assert.deepEqual({ products: report.products, images: report.images, heads: report.heads }, { products: 5, images: 5, heads: 1 });

    // Life goes on after the backup: a product more, one removed, a head file lost.
    await seedCatalog(assistant, COLOUR_CATALOG.slice(5, 6));
    await assistant.catalog.remove(COLOUR_CATALOG[0]!.sku);
    await assistant.close();
    await rm(path.join(root, 'models', 'heads', 'best-1.json'));

    const restored = await restoreBackup({ file, dataDir: config.dataDir, modelsDir: path.join(root, 'models') });
    assert.equal(restored.products, 5);
    assert.ok(restored.previous && (await stat(restored.previous)).isDirectory(), 'the replaced database is kept');
    const reopened = await open();
    try {
      assert.deepEqual(await fingerprint(dbOf(reopened), config), before);
    } finally {
      await reopened.close();
    }
  });

  it('a backup taken while a write is under way is consistent (the write is either in or out)', async () => {
    const assistant = await open();
    try {
      const writing = seedCatalog(assistant, COLOUR_CATALOG.slice(6, 8));
      const report = await assistant.backups.create(path.join(root, 'busy.tar.gz'));
      await writing;
      const target = await mkdtemp(path.join(root, 'busy-restore-'));
      await assistant.close();
      const restored = await restoreBackup({ file: report.file, dataDir: target, modelsDir: path.join(target, 'models') });
      assert.equal(restored.products, report.products);
      const check = await openAssistant(loadConfig({ DATA_DIR: target, LOG_LEVEL: 'silent' }, root));
      try {
        const orphans = await dbOf(check).query(`SELECT count(*)::int AS n FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_images i WHERE i.product_id = p.id)`);
        assert.equal((orphans.rows[0] as { n: number }).n, 0, 'no product without its image');
        for (const row of (await dbOf(check).query<{ file_path: string }>('SELECT file_path FROM product_images')).rows) {
          await stat(path.join(target, row.file_path));
        }
      } finally {
        await check.close();
      }
    } finally {
      await assistant.close();
    }
  });

  it('restore refuses while the database is open, and a damaged archive, changing nothing', async () => {
    const file = path.join(root, 'first.tar.gz');
    const assistant = await open();
    try {
      await assert.rejects(restoreBackup({ file, dataDir: config.dataDir, modelsDir: path.join(root, 'models') }), (error: unknown) => {
        assert.ok(error instanceof BackupError);
        assert.match(error.message, /in use .*stop ShopLens/);
        return true;
      });
      const count = async () => Number((await dbOf(assistant).query<{ n: number }>('SELECT count(*)::int AS n FROM products')).rows[0]!.n);
      const products = await count();
      await assistant.close();
      const damaged = path.join(root, 'damaged.tar.gz');
      await writeFile(damaged, (await readFile(file)).subarray(0, 20_000));
      await assert.rejects(restoreBackup({ file: damaged, dataDir: config.dataDir, modelsDir: path.join(root, 'models') }), BackupError);
      const after = await open();
      try {
        assert.equal(Number((await dbOf(after).query<{ n: number }>('SELECT count(*)::int AS n FROM products')).rows[0]!.n), products);
      } finally {
        await after.close();
      }
      assert.deepEqual((await readdir(config.dataDir)).filter((name) => name.startsWith('.restore-')), [], 'no staging left behind');
    } finally {
      await assistant.close();
    }
  });

  it('automatic backups keep the newest N and leave other files alone', async () => {
    const assistant = await open();
    try {
      const dir = path.join(root, 'auto');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'before-upgrade.tar.gz'), 'mine');
      const schedule = new BackupSchedule({ service: assistant.backups, dir, keep: 2 });
      for (const minute of [1, 2, 3]) await schedule.runOnce(new Date(Date.UTC(2026, 10, 26, 3, minute)));
      assert.deepEqual((await readdir(dir)).sort(), ['before-upgrade.tar.gz', 'shoplens-20261126-030200.tar.gz', 'shoplens-20261126-030300.tar.gz']);
    } finally {
      await assistant.close();
    }
  });
});
