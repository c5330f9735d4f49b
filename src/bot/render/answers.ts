/**
 * Rendering the core's answers in Telegram: product cards become one media group (photos with
 * captions) followed by a message carrying the "More like #n" / "Show more" buttons; every other
 * answer is its text.
 */
import { InlineKeyboard } from 'grammy';
import type { NextPage, ProductCard, SearchAnswer } from '../../core/conversation/index.ts';
import type { BotContext, BotServices } from '../context.ts';

/** Callback data prefixes: `like:<imageId>` and `more:<queryId>:<offset>` (≤ 64 bytes). */
export const CALLBACK = { moreLike: 'like', showMore: 'more' } as const;

/** Sends `answer` to the chat of `ctx`. */
export async function sendSearchAnswer(ctx: BotContext, services: BotServices, answer: SearchAnswer): Promise<void> {
  if (answer.kind !== 'results') {
    await ctx.reply(answer.text);
    return;
  }
  const cards = answer.cards;
  await services.media.send(ctx, cards.flatMap((card) => (card.image ? [{ image: card.image, caption: card.caption }] : [])));
  const textOnly = cards.filter((card) => !card.image).map((card) => card.caption.replace(/\n/g, ' · '));
  const text = textOnly.length > 0 ? `${answer.text}\n\n${ctx.t('results_text_only', { list: textOnly.join('\n') })}` : answer.text;
  await ctx.reply(text, { reply_markup: resultsKeyboard(cards, ctx, answer.next) });
}

/**
 * "More like #n" for each card with an image (three per row), then "Show more" when more results
 * may follow (a short page means the results ended).
 */
export function resultsKeyboard(cards: readonly ProductCard[], ctx: Pick<BotContext, 't'>, next: NextPage | null): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  cards
    .filter((card) => card.image)
    .forEach((card, index) => {
      if (index > 0 && index % 3 === 0) keyboard.row();
      keyboard.text(ctx.t('btn_more_like', { n: card.number }), `${CALLBACK.moreLike}:${card.image!.id}`);
    });
  if (next) keyboard.row().text(ctx.t('btn_show_more'), `${CALLBACK.showMore}:${next.queryId}:${next.offset}`);
  return keyboard;
}
