/**
 * Failures and limits end to end: broken uploads, Telegram's 429, the database going away, the
 * per-user search limit, oversized files, webhook mode with its secret token, command menus and
 * a graceful stop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { createBot, startWebhook } from '../../../src/bot/index.ts';
import type { Database } from '../../../src/db/database.ts';
import { DatabaseUnavailableError } from '../../../src/db/database.ts';
import { customerPhoto } from '../../helpers/colour-model.ts';
import { OWNER_IDS, seedCatalog, startBotHarness, type BotHarness } from '../../helpers/bot-fixtures.ts';
import { captionsOf } from '../../helpers/fake-telegram/index.ts';

let harness: BotHarness;
let databaseDown = false;
let nextUser = 8000;
const customer = (languageCode?: string) => harness.chat({ id: nextUser++, ...(languageCode ? { language_code: languageCode } : {}) });

/** Makes every query fail like an unreachable PostgreSQL while `databaseDown` is set. */
function flakyDatabase(db: Database): Database {
  const down = () => Promise.reject(new DatabaseUnavailableError('postgres://test', { cause: new Error('connect ECONNREFUSED') }));
  return {
    engine: db.engine,
    location: db.location,
    query: (sql, params) => (databaseDown ? down() : db.query(sql, params)),
    exec: (sql) => (databaseDown ? down() : db.exec(sql)),
    transaction: (work) => (databaseDown ? down() : db.transaction(work)),
    close: () => db.close(),
  };
}

before(async () => {
  harness = await startBotHarness({ env: { SEARCH_RATE_LIMIT_PER_MINUTE: '3' }, wrapDatabase: flakyDatabase });
  await seedCatalog(harness.assistant);
});
after(() => harness.close());

describe('bad input', () => {
  test('a corrupt photo gets a friendly reply and the next customer is still served', async () => {
    const broken = customer();
    broken.sendPhoto(Buffer.from('this is not a JPEG at all'));
    assert.match((await broken.answer()).text, /couldn't read that picture/);
    const next = customer();
    next.sendPhoto(await customerPhoto(['#ff0000']));
    assert.match(captionsOf((await next.answer()).mediaGroup!)[0]!, /Red dress/);
  });

  test('a file over 20 MB is refused with a clear message before downloading', async () => {
    const chat = customer();
    const from = harness.telegram.calls.length;
    chat.sendPhoto(await customerPhoto(['#ff0000']), { declaredSize: 25 * 1024 * 1024 });
    assert.match((await chat.answer()).text, /too big for me \(25\.0 MB\)\. Please send a photo under 20\.0 MB/);
    assert.ok(harness.telegram.calls.slice(from).every((call) => call.method !== 'getFile'));
  });

  test('a document that is not an image is not searched', async () => {
    const chat = customer();
    chat.sendDocument(Buffer.from('%PDF-1.4'), 'application/pdf', 'catalog.pdf');
    assert.match((await chat.answer()).text, /photos or product names/);
  });
});

describe('limits', () => {
  test('a 429 with retry_after is honoured and the answer still arrives', async () => {
    harness.telegram.failNext('sendMediaGroup', { code: 429, retryAfter: 1 });
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#0000ff']));
    const answer = await chat.answer();
    const attempts = answer.calls.filter((call) => call.method === 'sendMediaGroup');
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]!.failed?.code, 429);
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 900, 'waited about retry_after seconds before retrying');
    assert.match(captionsOf(answer.mediaGroup!)[0]!, /Blue jeans/);
  });

  test('searches beyond the per-user limit get a polite reply; other users are unaffected', async () => {
    const chat = customer();
    for (let i = 0; i < 3; i++) {
      chat.sendText('hat');
      await chat.answer();
    }
    chat.sendText('hat');
    assert.match((await chat.answer()).text, /searching a bit fast — please wait \d+ s/);
    const other = customer();
    other.sendText('hat');
    assert.match((await other.answer()).text, /Here is what I found/);
  });
});

describe('database outage', () => {
  test('customers hear "temporarily unavailable", and the bot recovers by itself', async () => {
    const chat = customer();
    databaseDown = true;
    try {
      chat.sendPhoto(await customerPhoto(['#ff0000']));
      assert.match((await chat.answer()).text, /temporarily unavailable, please try again in a minute/);
    } finally {
      databaseDown = false;
    }
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    assert.match(captionsOf((await chat.answer()).mediaGroup!)[0]!, /Red dress/);
  });
});

describe('startup', () => {
  test('command menus are registered for customers and each admin, in English and Russian', () => {
    const calls = harness.telegram.calls.filter((call) => call.method === 'setMyCommands');
    const menu = (scope: string, lang?: string) =>
      calls.find((call) => (call.params.scope as { type: string }).type === scope && call.params.language_code === lang);
    const customerEn = menu('default')!;
    assert.deepEqual((customerEn.params.commands as { command: string }[]).map((c) => c.command), ['start', 'help']);
    const customerRu = menu('default', 'ru')!;
    assert.match((customerRu.params.commands as { description: string }[])[1]!.description, /Как искать/);
    const adminMenus = calls.filter((call) => (call.params.scope as { type: string }).type === 'chat');
    assert.equal(adminMenus.length, OWNER_IDS.length * 2);
    assert.ok((adminMenus[0]!.params.commands as { command: string }[]).some((c) => c.command === 'stats'));
  });

  test('webhook mode: requests without the secret token are rejected, with it they are answered', async () => {
    const logger = pino({ level: 'silent' });
    const shop = createBot({ assistant: harness.assistant, config: harness.config, logger }, { botInfo: harness.telegram.botInfo });
    const secret = 'test-secret-token-123';
    const webhook = await startWebhook(shop, { url: 'https://shop.example/telegram/hook', secret, port: 0, host: '127.0.0.1' }, logger);
    try {
      const registered = harness.telegram.calls.findLast((call) => call.method === 'setWebhook')!;
      assert.equal(registered.params.secret_token, secret);
      const update = { update_id: 999_001, message: { message_id: 1, date: 0, chat: { id: 8500, type: 'private' }, from: { id: 8500, is_bot: false, first_name: 'W' }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] } };
      const url = `http://127.0.0.1:${webhook.port}/telegram/hook`;
      const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(update) });
      assert.equal((await post({})).status, 401);
      assert.equal((await post({ 'X-Telegram-Bot-Api-Secret-Token': 'wrong-secret' })).status, 401);
      const from = harness.telegram.calls.length;
      assert.equal((await post({ 'X-Telegram-Bot-Api-Secret-Token': secret })).status, 200);
      const reply = await harness.telegram.waitForCall((call) => call.method === 'sendMessage' && Number(call.params.chat_id) === 8500, from);
      assert.match(String(reply.params.text), /^Hi!/);
      assert.equal((await fetch(`http://127.0.0.1:${webhook.port}/elsewhere`, { method: 'POST' })).status, 404);
    } finally {
      await webhook.stop();
    }
  });

  test('stop() lets an update in flight finish before resolving', async () => {
    const chat = customer();
    const from = harness.telegram.calls.length;
    chat.sendPhoto(await customerPhoto(['#ffff00']));
    await harness.telegram.waitForCall((call) => call.method === 'getFile', from);
    await harness.bot.stop();
    const answered = harness.telegram.calls.slice(from).some((call) => call.method === 'sendMessage' && Number(call.params.chat_id) === chat.user.id);
    assert.ok(answered, 'the answer was sent before stop() resolved');
  });
});
