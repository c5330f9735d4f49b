/** Everything no other feature handled: stickers, voice, video, unknown commands, stale buttons. */
import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';

/** A short friendly pointer to what the bot can do; commands for other bots in a group are left alone. */
export function fallbackFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.on('callback_query', (ctx) => ctx.answerCallbackQuery());
  feature.on('message', async (ctx) => {
    if (addressedToAnotherBot(ctx.message.text ?? ctx.message.caption, ctx.me.username)) return;
    await ctx.reply(ctx.t('unsupported'));
  });
  return feature;
}

/** `/cmd@other_bot …`: a command meant for another bot in the same group chat. */
export function addressedToAnotherBot(text: string | undefined, username: string): boolean {
  const addressee = /^\/\w+@(\w+)/.exec(text?.trim() ?? '')?.[1];
  return addressee !== undefined && addressee.toLowerCase() !== username.toLowerCase();
}
