/**
 * The owner runs the shop from the chat: `/add` (photo caption), `/stock`, `/price`, `/remove`,
 * `/stats`. Parsing, permission checks and texts are the core's (`OwnerDesk`); this file only
 * maps Telegram messages to those actions and sends the answers.
 */
import { Composer, InputFile } from 'grammy';
import { addArguments, type OwnerAnswer } from '../../core/conversation/index.ts';
import type { BotContext, BotServices } from '../context.ts';
import { addressedToAnotherBot } from './fallback.ts';
import { pictureOf, pictureSource } from './pictures.ts';

/** `/add`, `/stock`, `/price`, `/remove`, `/stats`. */
export function ownerCommandsFeature(services: BotServices): Composer<BotContext> {
  const desk = services.assistant.owner;
  const feature = new Composer<BotContext>();
  // Commands in captions are not matched by bot.command(), so /add on a photo is found here.
  feature.on(['message:photo', 'message:document'], async (ctx, next) => {
    if (addressedToAnotherBot(ctx.message.caption, ctx.me.username)) return;
    const args = addArguments(ctx.message.caption, ctx.me.username);
    if (args === undefined) return next();
    const picture = pictureOf(ctx.message);
    await sendOwnerAnswer(ctx, await desk.addProduct(ctx.asker, args, picture && pictureSource(ctx, services, picture)));
  });
  feature.command('add', (ctx) => sendOwnerAnswer(ctx, desk.addUsage(ctx.asker)));
  feature.command('stock', async (ctx) => sendOwnerAnswer(ctx, await desk.setStock(ctx.asker, ctx.match)));
  feature.command('price', async (ctx) => sendOwnerAnswer(ctx, await desk.setPrice(ctx.asker, ctx.match)));
  feature.command('remove', async (ctx) => sendOwnerAnswer(ctx, await desk.remove(ctx.asker, ctx.match)));
  feature.command('stats', async (ctx) => sendOwnerAnswer(ctx, await desk.stats(ctx.asker)));
  return feature;
}

/** The answer's text; `/stats` also gets its chart. */
export async function sendOwnerAnswer(ctx: BotContext, answer: OwnerAnswer): Promise<void> {
  await ctx.reply(answer.text);
  if (answer.kind === 'stats') await ctx.replyWithPhoto(new InputFile(answer.chart.png, 'searches.png'), { caption: answer.chart.title });
}
