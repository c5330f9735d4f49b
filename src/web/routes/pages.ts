/**
 * The pages and their assets, all served by the app (no CDN): the customer chat at `/`, the
 * owner dashboard at `/admin`, their modules and styles from `src/web/public/`, and Preact + htm
 * (one 13 kB ES module from `node_modules`, no bundler) at `/vendor/preact-htm.js`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type Context } from 'hono';
import { PROJECT_ROOT } from '../../project-layout.ts';

/** Where the pages' files live. */
export const PUBLIC_DIR = join(PROJECT_ROOT, 'src/web/public/');
const PREACT_HTM = fileURLToPath(import.meta.resolve('htm/preact/standalone'));

/** Pages change with the app's version, so browsers revalidate them (ETag) instead of caching blindly. */
const REVALIDATE = 'no-cache';

export function pageRoutes(): Hono {
  const app = new Hono();
  const page = (file: string) => async (c: Context) => {
    c.header('Cache-Control', REVALIDATE);
    return c.html(await readFile(`${PUBLIC_DIR}${file}`, 'utf8'));
  };
  app.get('/', page('chat.html'));
  app.get('/admin', page('admin.html'));
  app.get('/admin/', page('admin.html'));
  app.get('/vendor/preact-htm.js', async (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    c.header('Cache-Control', REVALIDATE);
    return c.body(await readFile(PREACT_HTM, 'utf8'));
  });
  app.use(
    '/assets/*',
    serveStatic({
      root: PUBLIC_DIR,
      rewriteRequestPath: (path) => path.replace(/^\/assets\//, '/'),
      onFound: (_path, c) => {
        c.header('Cache-Control', REVALIDATE);
      },
    }),
  );
  return app;
}
