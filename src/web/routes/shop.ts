/**
 * What the chat page needs to know about the shop before the first search: whether anything is
 * in stock, whether the demo catalog is loaded, and the demo's "try this photo" samples.
 */
import { Hono } from 'hono';
import type { Config } from '../../config/index.ts';
import type { Assistant } from '../../core/assistant.ts';
import { HttpProblem } from '../http.ts';

export function shopRoutes(deps: { readonly assistant: Assistant; readonly config: Config }): Hono {
  const { assistant, config } = deps;
  const app = new Hono();

  app.get('/api/shop', async (c) => {
    const [inStock, demoProducts] = await Promise.all([assistant.catalog.list({ limit: 1, stock: 'in' }), assistant.demo.loaded()]);
    const samples = demoProducts > 0 ? await assistant.demo.samples() : [];
    c.header('Cache-Control', 'no-store');
    return c.json({
      empty: inStock.total === 0,
      maxUploadBytes: config.images.maxBytes,
      demo: demoProducts > 0,
      samples: samples.map((sample) => ({ id: sample.id, label: sample.label, url: `/demo/samples/${sample.id}.jpg` })),
    });
  });

  app.get('/demo/samples/:name{[a-z0-9-]+\\.jpg}', async (c) => {
    const id = c.req.param('name').replace(/\.jpg$/, '');
    const sample = (await assistant.demo.samples()).find((candidate) => candidate.id === id);
    if (!sample) throw new HttpProblem(404, 'Not found.');
    c.header('Content-Type', 'image/jpeg');
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(new Uint8Array(sample.jpeg));
  });
  return app;
}
