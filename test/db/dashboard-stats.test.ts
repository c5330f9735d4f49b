/** The dashboard's day-by-day figures and their Vega-Lite charts, from a known search log. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DashboardStats, DASHBOARD_CHARTS } from '../../src/core/stats/dashboard.ts';
import type { Database } from '../../src/db/database.ts';
import { SearchLogRepository, type SearchLogEntry } from '../../src/db/repositories/search-log.ts';
import { testEngines } from '../helpers/databases.ts';

const NOW = new Date('2026-11-20T12:00:00Z');

function entry(overrides: Partial<SearchLogEntry>): SearchLogEntry {
  return { channel: 'web', userRef: 'x', queryKind: 'image', modelId: 'm', latencyMs: 100, matched: true, topProductIds: [], topScores: [], ...overrides };
}

for (const engine of testEngines()) {
  describe(`dashboard figures on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    before(async () => {
      db = await engine.open();
      const log = new SearchLogRepository(db);
      const rows: [string, Partial<SearchLogEntry>][] = [
        ['2026-11-20T08:00:00Z', { channel: 'web', latencyMs: 100 }],
        ['2026-11-20T09:00:00Z', { channel: 'web', latencyMs: 300, matched: false }],
        ['2026-11-20T10:00:00Z', { channel: 'telegram', latencyMs: 200 }],
        ['2026-11-20T10:30:00Z', { channel: 'telegram', queryKind: 'text', latencyMs: 5000 }],
        ['2026-11-18T10:00:00Z', { channel: 'telegram', latencyMs: 50, matched: false }],
        ['2026-10-01T10:00:00Z', { channel: 'web', latencyMs: 999 }],
      ];
      for (const [at, fields] of rows) {
        await log.recordAll([entry(fields)]);
        await db.query('UPDATE search_log SET created_at = $1::timestamptz WHERE id = (SELECT max(id) FROM search_log)', [at]);
      }
    });
    after(async () => db?.close());

    it('counts searches, no-matches and photo latency percentiles per UTC day, zero-filled', async () => {
      const figures = await new DashboardStats({ db }).figures(7, NOW);
      assert.deepEqual(figures.daily.map((d) => d.day), ['2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20']);
      const today = figures.daily.at(-1)!;
      assert.equal(today.searches, 4);
      assert.equal(today.noMatch, 1);
      assert.equal(today.imageLatencyP50Ms, 200);
      assert.ok(today.imageLatencyP95Ms! > 280 && today.imageLatencyP95Ms! <= 300, String(today.imageLatencyP95Ms));
      assert.deepEqual(figures.daily[4], { day: '2026-11-18', searches: 1, noMatch: 1, imageLatencyP50Ms: 50, imageLatencyP95Ms: 50 });
      assert.equal(figures.daily[0]!.imageLatencyP50Ms, null);
      assert.deepEqual(figures.byChannel, [
        { day: '2026-11-18', channel: 'telegram', searches: 1 },
        { day: '2026-11-20', channel: 'telegram', searches: 2 },
        { day: '2026-11-20', channel: 'web', searches: 2 },
      ]);
    });

    it('renders every chart to SVG naming its data', async () => {
      const stats = new DashboardStats({ db });
      for (const chart of DASHBOARD_CHARTS) {
        const svg = await stats.chartSvg(chart, 7, NOW);
        assert.match(svg, /^<svg/);
        if (chart === 'searches') assert.match(svg, /telegram/);
        if (chart === 'latency') assert.match(svg, /p95/);
      }
    });
  });
}
