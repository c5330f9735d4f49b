/**
 * `/train`: retrains through the optional {@link TrainingPort}. Until the training feature plugs
 * one in, the owner is told it is not available yet. Progress edits one message in place rather
 * than sending many (Telegram rate limits, and a quieter chat).
 */
import { Composer, InputFile, InputMediaBuilder } from 'grammy';
import type { BotContext, BotServices, TrainingPort } from '../context.ts';
import { allowedOwner } from './owner-commands.ts';

/** Progress edits at most this often; Telegram throttles message edits. */
const PROGRESS_INTERVAL_MS = 3_000;

/** The `/train` command. */
export function trainFeature(services: BotServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command('train', async (ctx) => {
    if (!(await allowedOwner(ctx))) return;
    const training = services.training;
    if (!training) return void (await ctx.reply(ctx.t('train_unavailable')));
    if (training.isRunning()) return void (await ctx.reply(ctx.t('train_running')));
    await runTraining(ctx, services, training);
  });
  return feature;
}

async function runTraining(ctx: BotContext, services: BotServices, training: TrainingPort): Promise<void> {
  const status = await ctx.reply(ctx.t('train_started'));
  let lastEdit = Date.now();
  const onProgress = (fraction: number): void => {
    if (Date.now() - lastEdit < PROGRESS_INTERVAL_MS) return;
    lastEdit = Date.now();
    const text = ctx.t('train_progress', { percent: Math.round(fraction * 100) });
    void ctx.api.editMessageText(status.chat.id, status.message_id, text).catch((error: unknown) => {
      services.logger.debug({ err: String(error) }, 'training progress edit failed');
    });
  };
  try {
    const { summary, charts = [] } = await training.startTraining(onProgress);
    await ctx.api.editMessageText(status.chat.id, status.message_id, ctx.t('train_done', { summary }));
    await sendCharts(ctx, charts);
  } catch (error) {
    services.logger.error({ userId: ctx.from?.id, err: String(error) }, 'training failed');
    await ctx.reply(ctx.t('train_failed', { reason: error instanceof Error ? error.message : String(error) }));
  }
}

/** The run's curves and confusion matrix, as one album (Telegram needs 2–10 items for that). */
async function sendCharts(ctx: BotContext, charts: readonly string[]): Promise<void> {
  if (charts.length === 1) await ctx.replyWithPhoto(new InputFile(charts[0]!));
  if (charts.length >= 2) await ctx.replyWithMediaGroup(charts.slice(0, 10).map((file) => InputMediaBuilder.photo(new InputFile(file))));
}
