/**
 * A single picture's `getFile` is asked for as its update arrives, overlapping the update's claim
 * and the rate limit, and is used by the answer; albums and oversized files are not prefetched,
 * and a duplicate update still gets no second answer.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, mock, test } from 'node:test';
import { customerPhoto } from '../../helpers/colour-model.ts';
import { seedCatalog, startBotHarness, type BotHarness } from '../../helpers/bot-fixtures.ts';
import { captionsOf } from '../../helpers/fake-telegram/index.ts';

let harness: BotHarness;
let nextUser = 7000;
const customer = () => harness.chat({ id: nextUser++ });
const getFiles = (from: number) => harness.telegram.calls.slice(from).filter((call) => call.method === 'getFile');

before(async () => {
  harness = await startBotHarness();
  await seedCatalog(harness.assistant);
});
after(() => harness.close());
afterEach(() => mock.restoreAll());

describe('locating a picture while its update is claimed', () => {
  test('getFile reaches Telegram before the claim is settled, and the answer uses it', async () => {
    const ledger = harness.assistant.inbound;
    const original = ledger.firstDelivery.bind(ledger);
    let release!: () => void;
    const claimHeld = new Promise<void>((resolve) => (release = resolve));
    mock.method(ledger, 'firstDelivery', async (...args: Parameters<typeof original>) => {
      await claimHeld;
      return original(...args);
    });
    const from = harness.telegram.calls.length;
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    await harness.telegram.waitForCall((call) => call.method === 'getFile', from);
    release();
    const answer = await chat.answer();
    assert.match(captionsOf(answer.mediaGroup!)[0]!, /Red dress/);
    assert.equal(getFiles(from).length, 1, 'the answer did not ask again');
  });

  test('an album is located once, by the photo that is searched', async () => {
    const from = harness.telegram.calls.length;
    const chat = customer();
    const photo = await customerPhoto(['#00ff00']);
    for (let i = 0; i < 3; i += 1) chat.sendPhoto(photo, { mediaGroupId: 'prefetch-album' });
    assert.match(captionsOf((await chat.answer()).mediaGroup!)[0]!, /Green hat/);
    assert.equal(getFiles(from).length, 1);
  });

  test('a file over the limit is refused without any getFile', async () => {
    const from = harness.telegram.calls.length;
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff0000']), { declaredSize: 25 * 1024 * 1024 });
    assert.match((await chat.answer()).text, /too big for me/);
    assert.equal(getFiles(from).length, 0);
  });

  test('a photo delivered twice is answered once', async () => {
    const chat = customer();
    const updateId = chat.sendPhoto(await customerPhoto(['#0000ff']));
    await chat.answer();
    harness.telegram.redeliver(updateId);
    chat.sendText('/help');
    const next = await chat.answer();
    assert.equal(next.mediaGroup, undefined, 'no second album for the redelivered photo');
    assert.match(next.text, /How to search/);
  });

  test('a failed getFile ahead of a duplicate is not left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const chat = customer();
      const updateId = chat.sendPhoto(await customerPhoto(['#0000ff']));
      await chat.answer();
      harness.telegram.failNext('getFile', { code: 400, description: 'Bad Request: invalid file_id' });
      harness.telegram.redeliver(updateId);
      chat.sendText('/help');
      assert.match((await chat.answer()).text, /How to search/);
      await new Promise(setImmediate);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      harness.telegram.clearFailures('getFile');
    }
  });
});
