/**
 * Issue 10 end to end against the fake Bot API: no duplicate albums after ambiguous failures,
 * bounded silences, updates delivered twice answered once (also across a restart), 409 and 401
 * from getUpdates, start-up against an unreachable API, bounded stops, and the hardened webhook.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBot, startWebhook, type RunningBot } from '../../../src/bot/index.ts';
import { launchTelegramChannel, startTelegramChannel } from '../../../src/bot/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { customerPhoto } from '../../helpers/colour-model.ts';
import { seedCatalog, startBotHarness, type BotHarness } from '../../helpers/bot-fixtures.ts';
import { FakeChat, FakeTelegram, captionsOf } from '../../helpers/fake-telegram/index.ts';
import { captureLog } from '../../helpers/log-capture.ts';

const APOLOGY = /Sorry, something went wrong on my side/;
/** Short limits so failures play out in test time; the defaults are 20 s (README "Failure behaviour"). */
const FAST_RETRY = { answerBudgetMs: 3_000, baseDelayMs: 200, maxDelayMs: 800, minRequestTimeoutMs: 1_000, requestTimeoutMs: 2_000 };
const FAST_BACKOFF = { initialMs: 100, maxMs: 400 };

let nextUser = 20_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('outgoing failures', () => {
  let harness: BotHarness;
  const customer = () => harness.chat({ id: nextUser++ });
  before(async () => {
    harness = await startBotHarness({ channel: { retry: FAST_RETRY } });
    await seedCatalog(harness.assistant);
  });
  after(() => harness.close());

  test('a 502 after Telegram delivered the album is not retried: one album, then an apology', async () => {
    harness.telegram.failNext('sendMediaGroup', { code: 502, afterDelivery: true });
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    const answer = await chat.answer();
    assert.match(answer.text, APOLOGY);
    assert.equal(answer.calls.filter((call) => call.method === 'sendMediaGroup').length, 1, 'sendMediaGroup was called once');
    assert.equal(harness.telegram.effective('sendMediaGroup', chat.user.id).length, 1, 'the customer has exactly one album');
  });

  test('a connection dropped after delivery is not retried either', async () => {
    harness.telegram.failNext('sendMediaGroup', { kind: 'drop', afterDelivery: true });
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#0000ff']));
    const answer = await chat.answer();
    assert.match(answer.text, APOLOGY);
    assert.equal(harness.telegram.effective('sendMediaGroup', chat.user.id).length, 1);
  });

  test('a 429 is retried (Telegram did not execute it) and the album arrives once', async () => {
    harness.telegram.failNext('sendMediaGroup', { code: 429, retryAfter: 0 });
    const chat = customer();
    chat.sendPhoto(await customerPhoto(['#ff0000']));
    const answer = await chat.answer();
    assert.match(captionsOf(answer.mediaGroup!)[0]!, /Red dress/);
    assert.equal(harness.telegram.effective('sendMediaGroup', chat.user.id).length, 1);
  });

  test('persistent 5xx on an idempotent call: retries stop at the deadline, the apology comes, the chat is free again', async () => {
    harness.telegram.failNext('getFile', { code: 500 }, 1000);
    const chat = customer();
    const from = harness.telegram.calls.length;
    try {
      chat.sendPhoto(await customerPhoto(['#00ff00']));
      const answer = await chat.answer(15_000);
      assert.match(answer.text, APOLOGY);
      const attempts = harness.telegram.calls.slice(from).filter((call) => call.method === 'getFile');
      assert.ok(attempts.length >= 2, 'getFile is idempotent, so it was retried');
      assert.ok(attempts.length <= 4, `at most maxAttempts tries, got ${attempts.length}`);
      const spanMs = attempts.at(-1)!.at - attempts[0]!.at;
      assert.ok(spanMs <= FAST_RETRY.answerBudgetMs, `no retry started after the answer deadline (${Math.round(spanMs)} ms)`);
    } finally {
      harness.telegram.clearFailures('getFile');
    }
    chat.sendText('hat');
    assert.match((await chat.answer()).text, /Here is what I found/);
  });

  test('the same update delivered twice (polling) is answered once', async () => {
    const chat = customer();
    const updateId = chat.sendText('hat');
    await chat.answer();
    harness.telegram.redeliver(updateId);
    chat.sendText('/help');
    const next = await chat.answer();
    assert.doesNotMatch(next.text, /Here is what I found/, 'the redelivered search was not answered again');
    assert.equal(next.calls.filter((call) => call.method === 'sendMessage').length, 1);
  });
});

describe('restarts and duplicates', () => {
  test('an update redelivered after a restart is skipped (the update id was stored)', async () => {
    const harness = await startBotHarness();
    let second: RunningBot | undefined;
    try {
      await seedCatalog(harness.assistant, []);
      const chat = harness.chat({ id: nextUser++ });
      const updateId = chat.sendText('/start');
      await chat.answer();
      await harness.bot.stop();
      // A fresh bot (empty memory) on the same database, as after a restart.
      second = await startTelegramChannel(harness.assistant, harness.config, captureLog().logger);
      harness.telegram.redeliver(updateId);
      chat.sendText('/help');
      const answer = await chat.answer();
      assert.equal(answer.calls.filter((call) => call.method === 'sendMessage').length, 1, 'only /help was answered');
    } finally {
      await second?.stop();
      await harness.close();
    }
  });
});

describe('getUpdates refused', () => {
  test('409 (another instance polling): a clear log line, polling resumes with back-off and customers are served', async () => {
    const log = captureLog();
    const harness = await startBotHarness({ logger: log.logger, channel: { pollingBackoff: FAST_BACKOFF } });
    try {
      harness.telegram.failNext('getUpdates', { code: 409 }, 2);
      await log.waitFor(/another instance is polling with this token/);
      const chat = harness.chat({ id: nextUser++ });
      chat.sendText('/start');
      assert.match((await chat.answer()).text, /^Hi!/);
    } finally {
      await harness.close();
    }
  });

  test('401 (token revoked while running): "token rejected" logged, the channel stops, the process lives on', async () => {
    const log = captureLog();
    const harness = await startBotHarness({ logger: log.logger, channel: { pollingBackoff: FAST_BACKOFF } });
    try {
      harness.telegram.failNext('getUpdates', { code: 401 }, 1000);
      await log.waitFor(/Telegram rejected the bot token/);
      const polls = harness.telegram.calls.filter((call) => call.method === 'getUpdates').length;
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(harness.telegram.calls.filter((call) => call.method === 'getUpdates').length, polls, 'no more polling after 401');
      assert.ok((await harness.assistant.stats.collect()).catalog, 'the rest of the assistant still answers');
    } finally {
      harness.telegram.clearFailures();
      await harness.close();
    }
  });

  test('401 at start-up: the channel reports "stopped" without throwing into the caller', async () => {
    const telegram = new FakeTelegram();
    await telegram.start();
    const log = captureLog();
    const harness = await startBotHarness({ logger: log.logger });
    try {
      const config = loadConfig({ ...process.env, DATA_DIR: harness.config.dataDir, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, LOG_LEVEL: 'silent' }, process.cwd());
      telegram.failNext('getMe', { code: 401 });
      const channel = launchTelegramChannel(harness.assistant, config, log.logger, { startBackoff: FAST_BACKOFF });
      assert.equal(await channel.ready, 'stopped');
      assert.ok(log.matching(/Telegram rejected the bot token/).length >= 1);
      await channel.stop();
    } finally {
      await harness.close();
      await telegram.stop();
    }
  });
});

describe('start-up and shutdown', () => {
  test('an unreachable API root: launch returns at once, logs what it waits for, and serves once Telegram is back', async () => {
    const port = await freePort();
    const log = captureLog();
    const harness = await startBotHarness();
    const telegram = new FakeTelegram();
    try {
      const config = loadConfig({ DATA_DIR: harness.config.dataDir, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`, LOG_LEVEL: 'silent' }, process.cwd());
      const channel = launchTelegramChannel(harness.assistant, config, log.logger, { startBackoff: FAST_BACKOFF });
      const line = await log.waitFor(/waiting for the Telegram Bot API \(getMe failed\)/);
      assert.equal(line.apiRoot, `http://127.0.0.1:${port}`);
      assert.match(String(line.reason), /ECONNREFUSED/);
      await telegram.start(port);
      assert.equal(await channel.ready, 'running');
      const chat = new FakeChat(telegram, { id: nextUser++ });
      chat.sendText('/start');
      assert.match((await chat.answer()).text, /^Hi!/);
      await channel.stop();
    } finally {
      await telegram.stop();
      await harness.close();
    }
  });

  test('stop() is bounded while a Telegram call hangs and retries are pending', async () => {
    const harness = await startBotHarness();
    try {
      await seedCatalog(harness.assistant);
      harness.telegram.failNext('sendMediaGroup', { kind: 'stall' });
      harness.telegram.failNext('getFile', { code: 500 }, 1000);
      const hanging = harness.chat({ id: nextUser++ });
      const retrying = harness.chat({ id: nextUser++ });
      const from = harness.telegram.calls.length;
      harness.telegram.clearFailures('getFile');
      hanging.sendPhoto(await customerPhoto(['#ff0000']));
      await harness.telegram.waitForCall((call) => call.method === 'sendMediaGroup', from);
      harness.telegram.failNext('getFile', { code: 500 }, 1000);
      retrying.sendPhoto(await customerPhoto(['#0000ff']));
      await harness.telegram.waitForCall((call) => call.method === 'getFile' && call.failed !== undefined, from);
      const started = performance.now();
      await harness.bot.stop({ timeoutMs: 1_000 });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 5_000, `stop() took ${Math.round(elapsed)} ms with a 1 s grace`);
    } finally {
      harness.telegram.clearFailures();
      await harness.close();
    }
  });
});

describe('webhook server', () => {
  let harness: BotHarness;
  let webhook: RunningBot & { port: number };
  const secret = 'reliability-secret-123';
  const update = (updateId: number, chatId: number, text: string) => ({
    update_id: updateId,
    message: { message_id: 1, date: 0, chat: { id: chatId, type: 'private' }, from: { id: chatId, is_bot: false, first_name: 'W' }, text, entities: [{ type: 'bot_command', offset: 0, length: text.length }] },
  });
  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${webhook.port}/tg/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': secret, ...headers }, body });

  before(async () => {
    harness = await startBotHarness();
    const shop = createBot({ assistant: harness.assistant, config: harness.config, logger: captureLog().logger }, { botInfo: harness.telegram.botInfo });
    webhook = await startWebhook(shop, { url: 'https://shop.example/tg/hook', secret, port: 0, host: '127.0.0.1' }, captureLog().logger);
  });
  after(async () => {
    await webhook.stop();
    await harness.close();
  });

  test('the same update posted twice is answered once', async () => {
    const chatId = nextUser++;
    const body = JSON.stringify(update(777_001, chatId, '/start'));
    const from = harness.telegram.calls.length;
    assert.equal((await post(body)).status, 200);
    assert.equal((await post(body)).status, 200);
    await harness.telegram.waitForCall((call) => call.method === 'sendMessage' && Number(call.params.chat_id) === chatId, from);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(harness.telegram.calls.slice(from).filter((call) => call.method === 'sendMessage' && Number(call.params.chat_id) === chatId).length, 1);
  });

  test('malformed JSON gets 400, a body over 1 MB 413 (declared or streamed), a wrong secret 401', async () => {
    assert.equal((await post('{"update_id": 1, "message": ')).status, 400);
    assert.equal((await post('[1, 2, 3]')).status, 400);
    assert.equal((await post(Buffer.alloc(2 * 1024 * 1024, 32))).status, 413);
    assert.equal((await post(JSON.stringify(update(777_002, nextUser++, '/start')), { 'X-Telegram-Bot-Api-Secret-Token': 'wrong-secret' })).status, 401);
    const streamed = await new Promise<number>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port: webhook.port, path: '/tg/hook', method: 'POST', headers: { 'x-telegram-bot-api-secret-token': secret, 'transfer-encoding': 'chunked' } });
      request.on('response', (response) => resolve(response.statusCode ?? 0));
      request.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 32);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
        request.end();
      };
      pump();
    });
    assert.equal(streamed, 413);
  });

  test('webhook mode always has a secret: one is generated into DATA_DIR (0600) and registered', async () => {
    const telegram = new FakeTelegram();
    await telegram.start();
    const local = await startBotHarness();
    try {
      const config = loadConfig({
        DATA_DIR: local.config.dataDir, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot, LOG_LEVEL: 'silent',
        TELEGRAM_WEBHOOK_URL: 'https://shop.example/telegram', TELEGRAM_WEBHOOK_PORT: String(await freePort()),
      }, process.cwd());
      assert.equal(config.web.host, '127.0.0.1');
      const channel = await startTelegramChannel(local.assistant, config, captureLog().logger);
      try {
        const registered = telegram.calls.findLast((call) => call.method === 'setWebhook')!;
        const file = path.join(config.dataDir, 'telegram-webhook-secret');
        assert.equal(String(registered.params.secret_token), (await readFile(file, 'utf8')).trim());
        assert.equal((await stat(file)).mode & 0o777, 0o600);
        const res = await fetch(`http://127.0.0.1:${config.telegram.webhookPort}/telegram`, { method: 'POST', body: '{}' });
        assert.equal(res.status, 401, 'without the secret');
      } finally {
        await channel.stop();
      }
    } finally {
      await local.close();
      await telegram.stop();
    }
  });
});

describe("Telegram's broadcast limit", () => {
  test('messages over all chats stay within TELEGRAM_MESSAGES_PER_SECOND (2 here): 3 answers of 2 messages need 3 seconds of quota', async () => {
    const harness = await startBotHarness({ env: { TELEGRAM_MESSAGES_PER_SECOND: '2' } });
    try {
      await seedCatalog(harness.assistant);
      const chats = [0, 1, 2].map(() => harness.chat({ id: nextUser++ }));
      const from = harness.telegram.calls.length;
      const photo = await customerPhoto(['#ff0000']);
      for (const chat of chats) chat.sendPhoto(photo);
      const answers = await Promise.all(chats.map((chat) => chat.answer(15_000)));
      for (const answer of answers) assert.match(captionsOf(answer.mediaGroup!)[0]!, /Red dress/);
      // Chat actions are not messages; everything else sent to a chat counts against the limit.
      const messages = harness.telegram.calls.slice(from).filter((call) => call.params.chat_id !== undefined && call.method !== 'sendChatAction');
      assert.equal(messages.length, 6, 'an album and a message of buttons per answer');
      // The quota refills every second: 6 messages at 2 per refill span at least 3 refill periods.
      const span = messages.at(-1)!.at - messages[0]!.at;
      assert.ok(span >= 1000, `6 messages went out within ${span.toFixed(0)} ms`);
    } finally {
      await harness.close();
    }
  });
});
