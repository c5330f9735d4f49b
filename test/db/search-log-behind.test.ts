/**
 * The search log is written behind the answer: the customer does not wait for the row, rows of
 * answers close together go to the database in one statement, a failed write costs the rows and
 * never an answer, and everything that reads the log (stats, the dashboard, shutdown) sees every
 * search answered before it asked.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import type { ModelConsistency } from '../../src/core/catalog/model-consistency.ts';
import { SearchService } from '../../src/core/search/search-service.ts';
import type { Database } from '../../src/db/database.ts';
import { ProductRepository } from '../../src/db/repositories/products.ts';
import { SearchLogRepository } from '../../src/db/repositories/search-log.ts';
import { seededAssistantPerTest } from '../helpers/bot-fixtures.ts';
import { customerPhoto } from '../helpers/colour-model.ts';
import { openTestPglite } from '../helpers/databases.ts';

const customer = { channel: 'web', userRef: 'c1', lang: 'en' } as const;

describe('the search log, written behind the answer', () => {
  const seeded = seededAssistantPerTest();

  /** Holds every search-log write until `release` is called. */
  function holdLogWrites(): { release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied below with the repository as `this`
    const original = SearchLogRepository.prototype.recordAll;
    mock.method(SearchLogRepository.prototype, 'recordAll', async function (this: SearchLogRepository, ...args: Parameters<typeof original>) {
      await gate;
      return original.apply(this, args);
    });
    return { release };
  }

  it('answers before its row is written, and stats wait for the row', async () => {
    const { assistant } = seeded();
    const held = holdLogWrites();
    const answer = await assistant.conversation.searchByPhoto(customer, await customerPhoto(['#ff0000']));
    assert.equal(answer.kind, 'results', 'the answer did not wait for the held write');
    const stats = assistant.stats.collect();
    setTimeout(held.release, 50);
    assert.equal((await stats).searches.total, 1, 'stats counted the search answered before they were asked for');
  });

  it('a failed write costs the row, not the answer, and is logged', async () => {
    const { assistant, log } = seeded();
    mock.method(SearchLogRepository.prototype, 'recordAll', () => Promise.reject(new Error('disk full')));
    const answer = await assistant.conversation.searchByPhoto(customer, await customerPhoto(['#ff0000']));
    assert.equal(answer.kind, 'results');
    await assistant.search.settled();
    assert.equal(log.matching(/could not write searches to the search log/).length, 1);
    mock.restoreAll();
    assert.equal((await assistant.stats.collect()).searches.total, 0);
  });

  it('shutdown waits for rows still being written', async () => {
    const { assistant, db } = seeded();
    const held = holdLogWrites();
    await assistant.conversation.searchByText(customer, 'red');
    setTimeout(held.release, 50);
    const count = async () => Number((await db.query<{ count: number }>('SELECT count(*)::int AS count FROM search_log')).rows[0]!.count);
    const closeDb = mock.method(db, 'close', async () => assert.equal(await count(), 1, 'the row was written before the database closed'));
    await assistant.close();
    assert.equal(closeDb.mock.callCount(), 1);
  });
});

describe('search-log rows of answers close together', () => {
  let db: Database;
  before(async () => {
    db = await openTestPglite();
    await new ProductRepository(db).upsert({ sku: 'RED-HAT', name: 'Red hat', price: '1.00', currency: 'EUR', category: 'hats', stock: 2 });
  });
  after(async () => db?.close());
  afterEach(() => mock.restoreAll());

  /** A search service whose timer never writes during a test: only the batch size or a reader does. */
  function searchService(batchSize: number): SearchService {
    return new SearchService({
      db, minScore: 0.3,
      model: () => Promise.reject(new Error('text search needs no model')),
      consistency: () => Promise.resolve({ assertConsistent: () => Promise.resolve(1) } as unknown as ModelConsistency),
      searchLogWrites: { delayMs: 3_600_000, batchSize },
    });
  }

  const loggedTexts = async () => Number((await db.query<{ count: number }>(`SELECT count(*)::int AS count FROM search_log WHERE query_kind = 'text'`)).rows[0]!.count);

  it('go to the database in one statement once a batch has gathered', async () => {
    const writes = mock.method(SearchLogRepository.prototype, 'recordAll');
    const search = searchService(3);
    const before = await loggedTexts();
    for (const text of ['red', 'hat', 'blue']) await search.searchByText(text, { limit: 5 }, { channel: 'test', userRef: 'u1' });
    assert.equal(writes.mock.callCount(), 1, 'one statement for three answers');
    assert.deepEqual(writes.mock.calls[0]!.arguments[0].map((entry) => entry.matched), [true, true, false]);
    await search.settled();
    assert.equal(await loggedTexts(), before + 3);
  });

  it('still gathering are written as soon as a reader asks, so stats count every answered search', async () => {
    const writes = mock.method(SearchLogRepository.prototype, 'recordAll');
    const search = searchService(50);
    const before = await loggedTexts();
    await search.searchByText('red', { limit: 5 }, { channel: 'test' });
    await search.searchByText('hat', { limit: 5 }, { channel: 'test' });
    assert.equal(writes.mock.callCount(), 0, 'nothing written while the answers went out');
    await search.settled();
    assert.equal(writes.mock.callCount(), 1);
    assert.equal(await loggedTexts(), before + 2);
    await search.settled();
    assert.equal(writes.mock.callCount(), 1, 'nothing left to write');
  });
});
