/** Pure parts of the Telegram adapter: command menus, message limits, commands for other bots. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandMenu } from '../../../src/bot/commands.ts';
import { addressedToAnotherBot } from '../../../src/bot/features/fallback.ts';
import { fit, limitMessageLengths, TELEGRAM_LIMITS } from '../../../src/bot/message-limits.ts';

describe('Telegram adapter', () => {
  test('command menus: customers see start/help, owners everything', () => {
    assert.deepEqual(commandMenu('en', false).map((c) => c.command), ['start', 'help']);
    assert.deepEqual(commandMenu('ru', true).map((c) => c.command), ['start', 'help', 'add', 'stock', 'price', 'remove', 'stats', 'train']);
  });

  test('commands addressed to another bot are recognised', () => {
    assert.equal(addressedToAnotherBot('/add@other_bot x', 'shop_bot'), true);
    assert.equal(addressedToAnotherBot('/stats@SHOP_BOT', 'shop_bot'), false);
    assert.equal(addressedToAnotherBot('/stats', 'shop_bot'), false);
    assert.equal(addressedToAnotherBot('hello @other_bot', 'shop_bot'), false);
  });

  test('outgoing texts and captions are cut to Telegram limits without splitting an emoji', async () => {
    assert.equal(fit('short', 10), 'short');
    const emoji = fit(`${'a'.repeat(8)}😀😀`, 10);
    assert.equal(emoji, `${'a'.repeat(8)}…`);
    const sent: { method: string; payload: Record<string, unknown> }[] = [];
    const prev = ((method: string, payload: Record<string, unknown>) => {
      sent.push({ method, payload });
      return Promise.resolve({ ok: true, result: true });
    }) as unknown as Parameters<typeof limitMessageLengths>[0];
    const call = (method: string, payload: Record<string, unknown>) => limitMessageLengths(prev, method as never, payload as never);
    await call('sendMessage', { chat_id: 1, text: 'x'.repeat(5000) });
    await call('sendMediaGroup', { chat_id: 1, media: [{ type: 'photo', media: 'a', caption: 'y'.repeat(2000) }, { type: 'photo', media: 'b' }] });
    await call('answerCallbackQuery', { callback_query_id: 'c', text: 'z'.repeat(500) });
    assert.equal((sent[0]!.payload.text as string).length, TELEGRAM_LIMITS.text);
    const media = sent[1]!.payload.media as { caption?: string }[];
    assert.equal(media[0]!.caption!.length, TELEGRAM_LIMITS.caption);
    assert.equal(media[1]!.caption, undefined);
    assert.equal((sent[2]!.payload.text as string).length, TELEGRAM_LIMITS.callbackAnswer);
  });
});
