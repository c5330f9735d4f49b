/** Plain text from a customer → products by name or category, typos tolerated. */
import { Composer } from 'grammy';
import type { BotContext, BotServices } from '../context.ts';
import { sendSearchAnswer } from '../render/answers.ts';

/** Text search for messages that are not commands. */
export function textSearchFeature(services: BotServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.on('message:text', async (ctx, next) => {
    const text = ctx.message.text.trim();
    if (text.startsWith('/') || text === '') return next();
    await sendSearchAnswer(ctx, services, await services.assistant.conversation.searchByText(ctx.asker, text));
  });
  return feature;
}
