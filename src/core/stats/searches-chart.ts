/**
 * A bar chart of searches per day, drawn as SVG and rasterized with sharp (no native canvas), for
 * the chat `/stats` answer.
 */
import sharp from 'sharp';
import type { DailySearches } from '../../db/repositories/search-insights.ts';

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 30, right: 20, bottom: 50, left: 50 };

/** SVG bar chart of searches per day (UTC), oldest on the left; 720×360 px. */
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

/** The chart as PNG bytes (720×360 px). */
export async function searchesChartPng(days: readonly DailySearches[], title: string): Promise<Buffer> {
  return sharp(Buffer.from(searchesChartSvg(days, title))).png().toBuffer();
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
