/**
 * The search log is written behind the answer: the customer does not wait for the row, a failed
 * write costs the row and never the answer, and everything that reads the log (stats, the
 * dashboard, shutdown) sees every search answered before it asked.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { SearchLogRepository } from '../../src/db/repositories/search-log.ts';
import { seededAssistantPerTest } from '../helpers/bot-fixtures.ts';
import { customerPhoto } from '../helpers/colour-model.ts';

const customer = { channel: 'web', userRef: 'c1', lang: 'en' } as const;

describe('the search log, written behind the answer', () => {
  const seeded = seededAssistantPerTest();

  /** Holds every search-log write until `release` is called. */
  function holdLogWrites(): { release: () => void; started: () => number } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied below with the repository as `this`
    const original = SearchLogRepository.prototype.record;
    const record = mock.method(SearchLogRepository.prototype, 'record', async function (this: SearchLogRepository, ...args: Parameters<typeof original>) {
      await gate;
      return original.apply(this, args);
    });
    return { release, started: () => record.mock.callCount() };
  }

  it('answers before its row is written, and stats wait for the row', async () => {
    const { assistant } = seeded();
    const held = holdLogWrites();
    const answer = await assistant.conversation.searchByPhoto(customer, await customerPhoto(['#ff0000']));
    assert.equal(answer.kind, 'results', 'the answer did not wait for the held write');
    assert.equal(held.started(), 1);
    const stats = assistant.stats.collect();
    setTimeout(held.release, 50);
    assert.equal((await stats).searches.total, 1, 'stats counted the search answered before they were asked for');
  });

  it('a failed write costs the row, not the answer, and is logged', async () => {
    const { assistant, log } = seeded();
    mock.method(SearchLogRepository.prototype, 'record', () => Promise.reject(new Error('disk full')));
    const answer = await assistant.conversation.searchByPhoto(customer, await customerPhoto(['#ff0000']));
    assert.equal(answer.kind, 'results');
    await assistant.search.settled();
    assert.equal(log.matching(/could not write a search to the search log/).length, 1);
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
