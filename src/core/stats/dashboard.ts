/**
 * The owner dashboard's figures and charts: searches per day by channel, photo-search latency
 * (p50/p95), the no-match rate and the top categories, drawn with Vega-Lite and rendered to SVG
 * on the server (the same charting path as the training curves; no canvas, no browser library).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Database } from '../../db/database.ts';
import { SearchInsightsRepository, type CategoryCount } from '../../db/repositories/search-insights.ts';
import { SearchTrendsRepository, type DailyChannelSearches, type DailySearchTrend } from '../../db/repositories/search-trends.ts';
import { renderSvg } from '../training/charts.ts';

export type { DailyChannelSearches, DailySearchTrend } from '../../db/repositories/search-trends.ts';

/** The charts the dashboard shows, by URL name. */
export const DASHBOARD_CHARTS = ['searches', 'latency', 'no-match', 'categories'] as const;
export type DashboardChart = (typeof DASHBOARD_CHARTS)[number];

export interface DashboardFigures {
  /** Days covered, ending today (UTC). */
  readonly days: number;
  /** One entry per day, oldest first, zero-filled. */
  readonly daily: readonly DailySearchTrend[];
  /** Searches per channel and day (days without searches omitted). */
  readonly byChannel: readonly DailyChannelSearches[];
  /** Categories of the best answer to matched searches over the window, most frequent first. */
  readonly topCategories: readonly CategoryCount[];
}

const TOP_CATEGORIES = 8;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: { font: FONT, background: 'white', view: { stroke: null } } } as const;
const WIDTH = 520;
const HEIGHT = 180;

export class DashboardStats {
  constructor(
    private readonly deps: {
      readonly db: Database;
      /** Resolves once searches already answered are in the search log (written behind the answers). */
      readonly searchesLogged?: () => Promise<void>;
    },
  ) {}

  async figures(days: number, now = new Date()): Promise<DashboardFigures> {
    await this.deps.searchesLogged?.();
    const trends = new SearchTrendsRepository(this.deps.db);
    const [daily, byChannel, topCategories] = await Promise.all([
      trends.daily(days, now),
      trends.dailyByChannel(days, now),
      new SearchInsightsRepository(this.deps.db).topCategories(TOP_CATEGORIES, days, now),
    ]);
    return { days, daily, byChannel, topCategories };
  }

  /** One chart as SVG text. */
  async chartSvg(chart: DashboardChart, days: number, now = new Date()): Promise<string> {
    return renderSvg(chartSpec(chart, await this.figures(days, now)));
  }
}

/** The Vega-Lite spec of one dashboard chart. */
export function chartSpec(chart: DashboardChart, figures: DashboardFigures): TopLevelSpec {
  const dayAxis = { field: 'day', type: 'ordinal' as const, title: null, scale: { domain: figures.daily.map((d) => d.day) }, axis: { labelExpr: 'slice(datum.value, 5)', labelAngle: -45, labelOverlap: 'parity' as const } };
  switch (chart) {
    case 'searches':
      return {
        ...BASE, width: WIDTH, height: HEIGHT,
        data: { values: figures.byChannel.map((entry) => ({ ...entry })) },
        mark: { type: 'bar' },
        encoding: {
          x: dayAxis,
          y: { field: 'searches', type: 'quantitative', aggregate: 'sum', title: 'searches', axis: { tickMinStep: 1 } },
          color: { field: 'channel', type: 'nominal', title: 'channel', scale: { scheme: 'tableau10' } },
        },
      };
    case 'latency': {
      const values = figures.daily.flatMap((d) => [
        ...(d.imageLatencyP50Ms === null ? [] : [{ day: d.day, percentile: 'p50', ms: d.imageLatencyP50Ms }]),
        ...(d.imageLatencyP95Ms === null ? [] : [{ day: d.day, percentile: 'p95', ms: d.imageLatencyP95Ms }]),
      ]);
      return {
        ...BASE, width: WIDTH, height: HEIGHT,
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: dayAxis,
          y: { field: 'ms', type: 'quantitative', title: 'ms (photo → answer)' },
          color: { field: 'percentile', type: 'nominal', title: null, scale: { domain: ['p50', 'p95'], range: ['#4f7cff', '#e4572e'] } },
        },
      };
    }
    case 'no-match':
      return {
        ...BASE, width: WIDTH, height: HEIGHT,
        data: { values: figures.daily.filter((d) => d.searches > 0).map((d) => ({ day: d.day, rate: d.noMatch / d.searches, noMatch: d.noMatch, searches: d.searches })) },
        mark: { type: 'bar', color: '#e4572e' },
        encoding: {
          x: dayAxis,
          y: { field: 'rate', type: 'quantitative', title: 'no match', scale: { domain: [0, 1] }, axis: { format: '%' } },
        },
      };
    case 'categories':
      return {
        ...BASE, width: WIDTH - 120, height: Math.max(60, figures.topCategories.length * 24),
        data: { values: figures.topCategories.map((entry) => ({ ...entry })) },
        mark: { type: 'bar', color: '#2e9e4f' },
        encoding: {
          y: { field: 'category', type: 'nominal', sort: '-x', title: null },
          x: { field: 'searches', type: 'quantitative', title: 'matched searches', axis: { tickMinStep: 1 } },
        },
      };
  }
}
