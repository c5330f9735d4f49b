/**
 * Product photos under `/media/images/<xx>/<sha256>.jpg`, straight from the image store in
 * `DATA_DIR`. Names are content hashes, so responses are cacheable forever (`immutable`); only
 * names of exactly that shape are served, so no path can leave the store.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { ImageStore } from '../../core/catalog/image-store.ts';
import { HttpProblem } from '../http.ts';

const STORED_IMAGE = /^images\/([0-9a-f]{2})\/(\1[0-9a-f]{62})\.jpg$/;

/** The public URL of a stored image, from its path relative to `DATA_DIR`. */
export function mediaUrl(filePath: string): string {
  return `/media/${filePath.split('\\').join('/')}`;
}

/** `GET /media/images/…`. */
export function mediaRoutes(deps: { readonly store: ImageStore }): Hono {
  const app = new Hono();
  app.get('/images/:prefix/:name', async (c) => {
    const relative = `images/${c.req.param('prefix')}/${c.req.param('name')}`;
    const match = STORED_IMAGE.exec(relative);
    if (!match) throw new HttpProblem(404, 'Not found.');
    const etag = `"${match[2]}"`;
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    c.header('ETag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    const file = deps.store.resolve(relative);
    const size = await stat(file).then((info) => info.size, () => undefined);
    if (size === undefined) {
      c.header('Cache-Control', 'no-store');
      throw new HttpProblem(404, 'Not found.');
    }
    c.header('Content-Type', 'image/jpeg');
    c.header('Content-Length', String(size));
    return c.body(Readable.toWeb(createReadStream(file)) as ReadableStream);
  });
  return app;
}
