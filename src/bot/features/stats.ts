/** `/stats` for the owner: the numbers, then a chart of searches per day. */
import { Composer, InputFile } from 'grammy';
import { SearchInsightsRepository } from '../../db/repositories/search-insights.ts';
import type { BotContext, BotServices } from '../context.ts';
import { searchesChartPng, statsText } from '../render/stats.ts';
import { allowedOwner } from './owner-commands.ts';

/** Days shown in the chart. */
const CHART_DAYS = 14;
const TOP_CATEGORIES = 5;

/** The `/stats` command. */
export function statsFeature(services: BotServices): Composer<BotContext> {
  const insights = new SearchInsightsRepository(services.assistant.db);
  const feature = new Composer<BotContext>();
  feature.command('stats', async (ctx) => {
    if (!(await allowedOwner(ctx))) return;
    const now = new Date();
    const [stats, top, perDay] = await Promise.all([
      services.assistant.stats.collect(now),
      insights.topCategories(TOP_CATEGORIES, 7, now),
      insights.searchesPerDay(CHART_DAYS, now),
    ]);
    await ctx.reply(statsText(stats, top, ctx.t));
    const title = ctx.t('stats_chart', { days: CHART_DAYS });
    await ctx.replyWithPhoto(new InputFile(await searchesChartPng(perDay, title), 'searches.png'), { caption: title });
  });
  return feature;
}
