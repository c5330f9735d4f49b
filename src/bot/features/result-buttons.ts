/** The buttons under an answer: "More like #n" and "Show more". */
import { Composer } from 'grammy';
import type { BotContext, BotServices } from '../context.ts';
import { CALLBACK } from '../render/results.ts';
import type { RememberedQuery } from '../services/query-memory.ts';
import { searchByPicture, searchSimilar, searchText } from './search-flow.ts';

/** Callback handlers for the result buttons. */
export function resultButtonsFeature(services: BotServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(new RegExp(`^${CALLBACK.moreLike}:(\\d+)$`), async (ctx) => {
    await ctx.answerCallbackQuery();
    await searchSimilar(ctx, services, Number(ctx.match[1]));
  });
  feature.callbackQuery(new RegExp(`^${CALLBACK.showMore}:([0-9a-z]+):(\\d+)$`), async (ctx) => {
    const query = services.queries.recall(ctx.match[1]!);
    if (!query) {
      await ctx.answerCallbackQuery({ text: ctx.t('expired'), show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await retireShowMore(ctx);
    await runPage(ctx, services, query, Number(ctx.match[2]));
  });
  return feature;
}

/**
 * Removes the pressed "Show more" (the next page brings its own), keeping the "More like"
 * buttons, by editing the message it sits on.
 */
async function retireShowMore(ctx: BotContext): Promise<void> {
  const message = ctx.callbackQuery?.message;
  if (!message || !('text' in message) || message.text === undefined) return;
  const rows = message.reply_markup?.inline_keyboard ?? [];
  const kept = rows
    .map((row) => row.filter((button) => !('callback_data' in button) || !button.callback_data.startsWith(`${CALLBACK.showMore}:`)))
    .filter((row) => row.length > 0);
  await ctx.editMessageText(message.text, { reply_markup: { inline_keyboard: kept } });
}

async function runPage(ctx: BotContext, services: BotServices, query: RememberedQuery, offset: number): Promise<void> {
  switch (query.kind) {
    case 'photo':
      return searchByPicture(ctx, services, { fileId: query.fileId }, offset);
    case 'similar':
      return searchSimilar(ctx, services, query.imageId, offset);
    case 'text':
      return searchText(ctx, services, query.text, offset);
  }
}
