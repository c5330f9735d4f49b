/**
 * `npm start` warms photo search up before it reports ready (Assistant.prepareSearch): one search
 * runs through the in-memory index and the database, so the first customer does not pay the
 * path's one-time costs; it is neither logged nor allowed to fail the start.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { Assistant } from '../../src/core/assistant.ts';
import type { Database } from '../../src/db/database.ts';
import { ImageRepository } from '../../src/db/repositories/images.ts';
import { openBotTestDatabase, seedCatalog } from '../helpers/bot-fixtures.ts';
import { ColourHistogramModel } from '../helpers/colour-model.ts';
import { captureLog, type CapturedLog } from '../helpers/log-capture.ts';

describe('warming photo search up at start', () => {
  let dataDir: string;
  let db: Database;
  let log: CapturedLog;
  let assistant: Assistant;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-warm-up-'));
    db = await openBotTestDatabase();
    log = captureLog();
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, process.cwd());
    assistant = await Assistant.create({ config, logger: log.logger, loadModel: () => Promise.resolve(new ColourHistogramModel()), db });
    await seedCatalog(assistant);
  });
  afterEach(async () => {
    mock.restoreAll();
    await assistant.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const searchCount = async () => Number((await db.query<{ count: number }>('SELECT count(*)::int AS count FROM search_log')).rows[0]!.count);

  it('runs one search through the in-memory index and the rows query, and logs no search', async () => {
    const rowsQuery = mock.method(ImageRepository.prototype, 'searchableImages');
    const exactScan = mock.method(ImageRepository.prototype, 'nearest');
    await assistant.prepareSearch();
    assert.equal(rowsQuery.mock.callCount(), 1, 'the index path ran once');
    assert.equal(exactScan.mock.callCount(), 0, 'not the database scan');
    assert.ok(await assistant.searchIndex(), 'the index is open');
    assert.equal(await searchCount(), 0);
    assert.deepEqual(log.matching(/warm up/), []);
  });

  it('only warns when search cannot be warmed up (the catalog needs reindexing), and the start goes on', async () => {
    const { items: [first] } = await assistant.catalog.list({ limit: 1 });
    await new ImageRepository(db).add({
      productId: first!.product.id, source: 's', filePath: 'f', width: 1, height: 1, modelId: 'another-model@000000000000',
      sha256: 'f'.repeat(64), embedding: new Float32Array(new ColourHistogramModel().dimension).fill(0.1),
    });
    await assistant.prepareSearch();
    assert.equal(log.matching(/could not warm up photo search/).length, 1);
    assert.equal(await searchCount(), 0);
  });
});
