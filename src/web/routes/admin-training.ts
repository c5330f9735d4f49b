/**
 * Training from the dashboard, under `/api/admin/training`: past runs with their charts, the
 * trained heads, promote/rollback, and starting a run whose progress streams back as
 * server-sent events (read with `fetch`, since the token travels in a header).
 */
import { readFile } from 'node:fs/promises';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Assistant } from '../../core/assistant.ts';
import { RUN_CHARTS, type RunChart, type StoredHead, type TrainingRunView } from '../../core/training/index.ts';
import { HttpProblem, pathParams, queryParams } from '../http.ts';
import type { TrainingRelay } from '../training-relay.ts';
import { headRecord, type HeadRecord } from '../../core/records.ts';

const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const chartParams = z.object({ runId: z.string().regex(/^[0-9A-Za-z-]{1,64}$/), chart: z.enum(RUN_CHARTS.map((chart) => `${chart}.png`) as [string, ...string[]]) });
const headParams = z.object({ id: z.string().min(1).max(200) });

function runRecord(run: TrainingRunView): Record<string, unknown> {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    reason: run.reason,
    recipe: run.recipe,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    promoted: run.promoted,
    head: run.head,
    charts: Object.fromEntries(run.charts.map((chart) => [chart, `/api/admin/training/runs/${run.id}/${chart}.png`])),
  };
}

/** The head record every command prints, plus when the owner last made it active. */
function activeHeadRecord(head: StoredHead): HeadRecord & { readonly activatedAt: string | null } {
  return { ...headRecord(head), activatedAt: head.activatedAt?.toISOString() ?? null };
}

/** The training routes, mounted under `/api/admin/training`. */
export function adminTrainingRoutes(deps: { readonly assistant: Assistant; readonly relay: TrainingRelay }): Hono {
  const { assistant, relay } = deps;
  const training = assistant.training;
  const app = new Hono();

  app.get('/runs', async (c) => {
    const { limit } = queryParams(c, runsQuery);
    const runs = await training.history.recent(limit);
    return c.json({ running: relay.busy(), runs: runs.map(runRecord) });
  });

  app.get('/runs/:runId/:chart', async (c) => {
    const { runId, chart } = pathParams(c, chartParams);
    const file = await training.history.chartFile(runId, chart.replace(/\.png$/, '') as RunChart);
    if (!file) throw new HttpProblem(404, 'Not found.');
    c.header('Content-Type', 'image/png');
    c.header('Cache-Control', 'private, max-age=3600');
    return c.body(new Uint8Array(await readFile(file)));
  });

  app.get('/heads', async (c) => c.json({ heads: (await training.heads.list()).map(activeHeadRecord) }));

  app.post('/heads/:id/promote', async (c) => {
    const { id } = pathParams(c, headParams);
    const model = await assistant.model();
    return c.json({ head: activeHeadRecord(await training.heads.promote(id, model.modelId)) });
  });

  app.post('/rollback', async (c) => {
    const model = await assistant.model();
    return c.json({ head: activeHeadRecord(await training.heads.rollback(model.modelId)) });
  });

  /** Starts a run and streams its progress; 409 when one is already running. */
  app.post('/', (c) => {
    if (!relay.start()) throw new HttpProblem(409, 'Training is already running; follow it with GET /api/admin/training/events.');
    return progressStream(c, relay);
  });

  /** The current (or last) run's events, then the stream ends when the run does. */
  app.get('/events', (c) => progressStream(c, relay));

  return app;
}

function progressStream(c: Context, relay: TrainingRelay): Response {
  c.header('Cache-Control', 'no-store');
  return streamSSE(c, async (stream) => {
    await new Promise<void>((resolve) => {
      let chain = Promise.resolve();
      const unsubscribe = relay.subscribe({
        event: (event) => {
          chain = chain.then(() => stream.writeSSE({ event: event.type, data: JSON.stringify(event) })).catch(() => undefined);
        },
        end: () => void chain.then(resolve),
      });
      stream.onAbort(() => {
        unsubscribe();
        resolve();
      });
    });
  });
}
