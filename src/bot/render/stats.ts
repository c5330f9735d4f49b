/**
 * `/stats`: the owner's numbers as text, and a bar chart of searches per day rendered as SVG and
 * rasterized with sharp (no native canvas needed).
 */
import sharp from 'sharp';
import type { ShopStats } from '../../core/stats/stats-service.ts';
import type { CategoryCount, DailySearches } from '../../db/repositories/search-insights.ts';
import type { Translate } from '../../core/conversation/i18n/translator.ts';
import { formatMs, formatPercent } from './format.ts';

/** The `/stats` message. */
export function statsText(stats: ShopStats, topCategories: readonly CategoryCount[], t: Translate): string {
  const { catalog, searches, backbone } = stats;
  const none = t('stats_none');
  const head = stats.classifier
    ? t('stats_classifier', { recipe: stats.classifier.recipe, accuracy: `${(stats.classifier.valAccuracy * 100).toFixed(1)}%`, date: stats.classifier.createdAt.toISOString().slice(0, 10) })
    : t('stats_classifier_none');
  const text = t('stats', {
    products: catalog.products,
    active: catalog.activeProducts,
    inStock: catalog.inStock,
    images: catalog.images,
    last24h: searches.last24h,
    last7d: searches.last7d,
    total: searches.total,
    noMatch: searches.noMatch,
    noMatchRate: formatPercent(searches.noMatch, searches.total),
    p50: formatMs(searches.imageLatencyP50Ms, none),
    p95: formatMs(searches.imageLatencyP95Ms, none),
    topCategories: topCategories.length === 0 ? none : topCategories.map((entry) => `${entry.category} (${entry.searches})`).join(', '),
    modelId: backbone.modelId,
    pretrained: t(backbone.pretrained ? 'stats_pretrained' : 'stats_generated'),
  });
  return `${text}\n${head}`;
}

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 30, right: 20, bottom: 50, left: 50 };

/** SVG bar chart of searches per day (UTC), oldest on the left. */
export function searchesChartSvg(days: readonly DailySearches[], title: string): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, ...days.map((day) => day.searches));
  const slot = plotWidth / Math.max(1, days.length);
  const bars = days.map((day, index) => {
    const height = (day.searches / max) * plotHeight;
    const x = MARGIN.left + index * slot + slot * 0.15;
    const y = MARGIN.top + plotHeight - height;
    const label = index % 2 === days.length % 2 ? '' : `<text x="${x + slot * 0.35}" y="${HEIGHT - 28}" font-size="12" text-anchor="middle">${day.day.slice(5)}</text>`;
    const value = day.searches > 0 ? `<text x="${x + slot * 0.35}" y="${y - 4}" font-size="12" text-anchor="middle">${day.searches}</text>` : '';
    return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${height.toFixed(1)}" fill="#4f7cff"/>${value}${label}`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${WIDTH / 2}" y="20" font-size="16" text-anchor="middle">${escapeXml(title)}</text>
<line x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${WIDTH - MARGIN.right}" y2="${MARGIN.top + plotHeight}" stroke="#333"/>
${bars.join('\n')}
</svg>`;
}

/** The chart as PNG bytes. */
export async function searchesChartPng(days: readonly DailySearches[], title: string): Promise<Buffer> {
  return sharp(Buffer.from(searchesChartSvg(days, title))).png().toBuffer();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
