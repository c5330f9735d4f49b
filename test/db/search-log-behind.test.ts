/**
 * The search log is written behind the answer: the customer does not wait for the row, a failed
 * write costs the row and never the answer, and everything that reads the log (stats, the
 * dashboard, shutdown) sees every search answered before it asked.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { Assistant } from '../../src/core/assistant.ts';
import type { Database } from '../../src/db/database.ts';
import { SearchLogRepository } from '../../src/db/repositories/search-log.ts';
import { openBotTestDatabase, seedCatalog } from '../helpers/bot-fixtures.ts';
import { ColourHistogramModel, customerPhoto } from '../helpers/colour-model.ts';
import { captureLog, type CapturedLog } from '../helpers/log-capture.ts';

const customer = { channel: 'web', userRef: 'c1', lang: 'en' } as const;

describe('the search log, written behind the answer', () => {
  let dataDir: string;
  let db: Database;
  let log: CapturedLog;
  let assistant: Assistant;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-search-log-'));
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

  /** Holds every search-log write until `release` is called. */
  function holdLogWrites(): { release: () => void; started: () => number } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = SearchLogRepository.prototype.record;
    const record = mock.method(SearchLogRepository.prototype, 'record', async function (this: SearchLogRepository, ...args: Parameters<typeof original>) {
      await gate;
      return original.apply(this, args);
    });
    return { release, started: () => record.mock.callCount() };
  }

  it('answers before its row is written, and stats wait for the row', async () => {
    const held = holdLogWrites();
    const answer = await assistant.conversation.searchByPhoto(customer, await customerPhoto(['#ff0000']));
    assert.equal(answer.kind, 'results', 'the answer did not wait for the held write');
    assert.equal(held.started(), 1);
    const stats = assistant.stats.collect();
    setTimeout(held.release, 50);
    assert.equal((await stats).searches.total, 1, 'stats counted the search answered before they were asked for');
  });

  it('a failed write costs the row, not the answer, and is logged', async () => {
    mock.method(SearchLogRepository.prototype, 'record', () => Promise.reject(new Error('disk full')));
    const answer = await assistant.conversation.searchByPhoto(customer, await customerPhoto(['#ff0000']));
    assert.equal(answer.kind, 'results');
    await assistant.search.settled();
    assert.equal(log.matching(/could not write a search to the search log/).length, 1);
    mock.restoreAll();
    assert.equal((await assistant.stats.collect()).searches.total, 0);
  });

  it('shutdown waits for rows still being written', async () => {
    const held = holdLogWrites();
    await assistant.conversation.searchByText(customer, 'red');
    setTimeout(held.release, 50);
    const count = async () => Number((await db.query<{ count: number }>('SELECT count(*)::int AS count FROM search_log')).rows[0]!.count);
    const closeDb = mock.method(db, 'close', async () => assert.equal(await count(), 1, 'the row was written before the database closed'));
    await assistant.close();
    assert.equal(closeDb.mock.callCount(), 1);
  });
});
