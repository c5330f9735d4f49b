/** Telegram's sending limits as the bot applies them, on mocked clocks (no real waiting). */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type { Transformer } from 'grammy';
import { OutgoingThrottle } from '../../src/bot/services/outgoing-throttle.ts';

type Prev = Parameters<Transformer>[0];

/** Records which calls reached Telegram (the `prev` of the transformer chain). */
function recorder(): { prev: Prev; sent: string[] } {
  const sent: string[] = [];
  const prev = ((method: string, payload: { chat_id?: number; text?: string }) => {
    sent.push(`${method}:${payload.chat_id ?? '-'}:${payload.text ?? ''}`);
    return Promise.resolve({ ok: true, result: true });
  }) as unknown as Prev;
  return { prev, sent };
}

const call = (throttle: OutgoingThrottle, prev: Prev, method: string, payload: object) =>
  (throttle.transformer(prev, method as never, payload as never, undefined) as Promise<unknown>);

describe('OutgoingThrottle', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  test('a private chat bursts 5 messages at once; the 6th waits for the 5-second window', async () => {
    const throttle = new OutgoingThrottle(30);
    const { prev, sent } = recorder();
    const calls = [1, 2, 3, 4, 5, 6].map((n) => call(throttle, prev, 'sendMessage', { chat_id: 7, text: String(n) }));
    assert.deepEqual(sent, ['1', '2', '3', '4', '5'].map((n) => `sendMessage:7:${n}`), 'no waiting below the limit');
    mock.timers.tick(4_999);
    assert.equal(sent.length, 5);
    mock.timers.tick(1);
    await Promise.all(calls);
    assert.deepEqual(sent.at(-1), 'sendMessage:7:6', 'then in order');
  });

  test('over all chats at most TELEGRAM_MESSAGES_PER_SECOND a second', async () => {
    const throttle = new OutgoingThrottle(3);
    const { prev, sent } = recorder();
    const calls = [11, 12, 13, 14, 15].map((chat) => call(throttle, prev, 'sendMediaGroup', { chat_id: chat }));
    assert.equal(sent.length, 3);
    mock.timers.tick(1_000);
    await Promise.all(calls);
    assert.equal(sent.length, 5);
  });

  test('chat actions and calls without a chat never wait', () => {
    const throttle = new OutgoingThrottle(1);
    const { prev, sent } = recorder();
    void call(throttle, prev, 'sendMessage', { chat_id: 1 });
    void call(throttle, prev, 'sendMessage', { chat_id: 2 });
    void call(throttle, prev, 'sendChatAction', { chat_id: 3 });
    void call(throttle, prev, 'getFile', { file_id: 'x' });
    assert.deepEqual(sent, ['sendMessage:1:', 'sendChatAction:3:', 'getFile:-:']);
  });

  test('groups get one message a second', async () => {
    const throttle = new OutgoingThrottle(30);
    const { prev, sent } = recorder();
    const calls = [1, 2].map((n) => call(throttle, prev, 'sendMessage', { chat_id: -100, text: String(n) }));
    await Promise.resolve();
    assert.deepEqual(sent, ['sendMessage:-100:1']);
    mock.timers.tick(1_000);
    await Promise.all(calls);
    assert.equal(sent.length, 2);
  });

  test('chats idle for a minute are forgotten', async () => {
    const throttle = new OutgoingThrottle(30);
    const { prev } = recorder();
    await Promise.all([1, 2, 3].map((chat) => call(throttle, prev, 'sendMessage', { chat_id: chat })));
    assert.equal(throttle.trackedChats, 3);
    mock.timers.tick(60_000);
    await call(throttle, prev, 'sendMessage', { chat_id: 4 });
    assert.equal(throttle.trackedChats, 1);
  });
});
