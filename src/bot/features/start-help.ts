/** `/start` and `/help`: a greeting and how to search, in the customer's language. */
import { Composer } from 'grammy';
import type { BotContext } from '../context.ts';

/** Greeting and usage commands. */
export function startHelpFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command('start', (ctx) => ctx.reply(ctx.t('start')));
  feature.command('help', (ctx) => ctx.reply(ctx.t('help')));
  return feature;
}
