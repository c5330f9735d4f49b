/** Plain text from a customer → products by name or category, typos tolerated. */
import { Composer } from 'grammy';
import type { BotContext, BotServices } from '../context.ts';
import { searchText } from './search-flow.ts';

/** Queries longer than this are not product names; they get the "send a photo" hint. */
const MAX_QUERY_LENGTH = 100;

/** Text search for messages that are not commands. */
export function textSearchFeature(services: BotServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.on('message:text', async (ctx, next) => {
    const text = ctx.message.text.trim();
    if (text.startsWith('/') || text === '') return next();
    if (text.length > MAX_QUERY_LENGTH) {
      await ctx.reply(ctx.t('unsupported'));
      return;
    }
    await searchText(ctx, services, text);
  });
  return feature;
}
