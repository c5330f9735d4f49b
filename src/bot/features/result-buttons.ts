/** The buttons under an answer: "More like #n" and "Show more". */
import { Composer } from 'grammy';
import type { BotContext, BotServices } from '../context.ts';
import { CALLBACK, sendSearchAnswer } from '../render/answers.ts';
import { answerShowingWork } from './pictures.ts';

/** Callback handlers for the result buttons. */
export function resultButtonsFeature(services: BotServices): Composer<BotContext> {
  const { conversation } = services.assistant;
  const feature = new Composer<BotContext>();
  feature.callbackQuery(new RegExp(`^${CALLBACK.moreLike}:(\\d+)$`), async (ctx) => {
    await ctx.answerCallbackQuery();
    await answerShowingWork(ctx, services, async (onAccepted) => {
      await sendSearchAnswer(ctx, services, await conversation.moreLike(ctx.asker, Number(ctx.match[1]), { onAccepted }));
    });
  });
  feature.callbackQuery(new RegExp(`^${CALLBACK.showMore}:([0-9a-z]+):(\\d+)$`), async (ctx) => {
    const answer = await conversation.showMore(ctx.asker, ctx.match[1]!, Number(ctx.match[2]));
    if (answer.kind === 'expired') {
      await ctx.answerCallbackQuery({ text: answer.text, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await retireShowMore(ctx);
    await sendSearchAnswer(ctx, services, answer);
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
