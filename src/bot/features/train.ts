/**
 * `/train`: the core starts a run in the background and answers at once, so the owner's chat
 * keeps working while it trains. Progress edits one message in place rather than sending many
 * (Telegram rate limits, and a quieter chat); the end replaces it with the verdict and sends the
 * run's curves and confusion matrix as one album.
 */
import { Composer, InputFile, InputMediaBuilder } from 'grammy';
import type { Message } from 'grammy/types';
import type { OwnerAnswer } from '../../core/conversation/index.ts';
import type { BotContext, BotServices } from '../context.ts';

/** Progress edits at most this often; Telegram throttles message edits. */
const PROGRESS_INTERVAL_MS = 3_000;

/** The `/train` command. */
export function trainFeature(services: BotServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command('train', async (ctx) => {
    let status: Promise<Message.TextMessage | undefined> = Promise.resolve(undefined);
    let lastEdit = Date.now();
    const edit = async (text: string): Promise<void> => {
      const message = await status;
      if (message) await ctx.api.editMessageText(message.chat.id, message.message_id, text);
    };
    const answer = services.assistant.owner.train(ctx.asker, {
      onProgress: (fraction) => {
        if (Date.now() - lastEdit < PROGRESS_INTERVAL_MS) return;
        lastEdit = Date.now();
        void edit(ctx.t('train_progress', { percent: Math.round(fraction * 100) })).catch((error: unknown) => {
          services.logger.debug({ err: String(error) }, 'training progress edit failed');
        });
      },
      onFinished: async (finished) => {
        if ((await status) === undefined) await ctx.reply(finished.text);
        else await edit(finished.text);
        await sendCharts(ctx, finished);
      },
    });
    status = answer.kind === 'training-started' ? ctx.reply(answer.text).catch(() => undefined) : Promise.resolve(undefined);
    if (answer.kind !== 'training-started') await ctx.reply(answer.text);
    await status;
  });
  return feature;
}

/** The run's curves and confusion matrix, as one album (Telegram needs 2–10 items for that). */
async function sendCharts(ctx: BotContext, answer: OwnerAnswer): Promise<void> {
  if (answer.kind !== 'training-finished') return;
  const charts = answer.charts;
  if (charts.length === 1) await ctx.replyWithPhoto(new InputFile(charts[0]!));
  if (charts.length >= 2) await ctx.replyWithMediaGroup(charts.slice(0, 10).map((file) => InputMediaBuilder.photo(new InputFile(file))));
}
