/** Everything no other feature handled: stickers, voice, video, unknown commands, stale buttons. */
import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';

/** A short friendly pointer to what the bot can do. */
export function fallbackFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.on('callback_query', (ctx) => ctx.answerCallbackQuery());
  feature.on('message', (ctx) => ctx.reply(ctx.t('unsupported')));
  return feature;
}
