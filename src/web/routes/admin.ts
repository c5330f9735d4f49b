/**
 * The owner API under `/api/admin`: figures and charts, the catalog (list, add with photos,
 * edit, hide, restore), the demo catalog and the unmet-demand gallery. Authentication is applied
 * by the server to everything under `/api/admin/` (see `server.ts`); training lives in
 * `admin-training.ts`.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import type { Assistant } from '../../core/assistant.ts';
import { PRODUCT_SORTS, type ProductListItem } from '../../core/catalog/catalog-service.ts';
import { skuFromName } from '../../core/catalog/product-input.ts';
import { formatMegabytes } from '../../core/conversation/index.ts';
import { DASHBOARD_CHARTS } from '../../core/stats/dashboard.ts';
import { ownerProductRecord, statsRecord, type OwnerProductRecord } from '../../core/records.ts';
import type { Product } from '../../domain/catalog.ts';
import { formBody, HttpProblem, isMultipart, jsonBody, pathParams, queryParams, tooLargeResponse } from '../http.ts';
import { mediaUrl } from './media.ts';

/** Photos one new product may carry. */
export const MAX_PHOTOS_PER_PRODUCT = 10;
/** Days covered by the dashboard's charts and the unmet-demand counts. */
const DASHBOARD_DAYS = 30;

const listSchema = z.object({
  search: z.string().trim().max(100).optional(),
  category: z.string().trim().min(1).max(100).optional(),
  stock: z.enum(['in', 'out']).optional(),
  status: z.enum(['active', 'inactive', 'all']).default('active'),
  sort: z.enum(PRODUCT_SORTS).default('name'),
  direction: z.enum(['asc', 'desc']).default('asc'),
  limit: z.coerce.number().int().min(1).max(200).default(25),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const changesSchema = z
  .object({
    name: z.string().max(1000),
    description: z.string().max(10_000),
    price: z.union([z.string().max(40), z.number()]).transform(String),
    currency: z.string().max(10),
    category: z.string().max(1000),
    stock: z.union([z.number(), z.string().max(20)]),
    url: z.string().max(2000).nullable().transform((value) => value ?? ''),
  })
  .partial()
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, 'name at least one field to change');

const skuParam = z.object({ sku: z.string().min(1).max(64) });
const daysQuery = z.object({ days: z.coerce.number().int().min(1).max(365).default(DASHBOARD_DAYS) });
const galleryQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(60), before: z.coerce.number().int().positive().optional() });

/** A product as every admin route returns it: the owner's product record plus photo and demo facts. */
export function productRecord(product: Product, extra: { imageCount?: number; imageUrl?: string | null; demo?: boolean } = {}): OwnerProductRecord & typeof extra {
  return { ...ownerProductRecord(product), ...extra };
}

function listItemRecord(item: ProductListItem): ReturnType<typeof productRecord> {
  return productRecord(item.product, { imageCount: item.imageCount, imageUrl: item.image ? mediaUrl(item.image.filePath) : null, demo: item.demo });
}

/** The owner routes (without training), mounted under `/api/admin`. */
export function adminRoutes(deps: { readonly assistant: Assistant; readonly config: Config; readonly channelHealth: () => readonly object[] }): Hono {
  const { assistant, config } = deps;
  const app = new Hono();

  app.get('/channels', (c) => c.json({ channels: deps.channelHealth() }));

  app.get('/stats', async (c) => {
    const [stats, demoProducts] = await Promise.all([assistant.stats.collect(), assistant.demo.loaded()]);
    return c.json({ ...statsRecord(stats), demoProducts });
  });

  app.get('/dashboard', async (c) => {
    const { days } = queryParams(c, daysQuery);
    return c.json(await assistant.dashboard.figures(days));
  });

  app.get('/charts/:chart{[a-z-]+\\.svg}', async (c) => {
    const chart = c.req.param('chart').replace(/\.svg$/, '');
    if (!(DASHBOARD_CHARTS as readonly string[]).includes(chart)) throw new HttpProblem(404, 'Not found.');
    const { days } = queryParams(c, daysQuery);
    const svg = await assistant.dashboard.chartSvg(chart as (typeof DASHBOARD_CHARTS)[number], days);
    c.header('Content-Type', 'image/svg+xml; charset=utf-8');
    c.header('Cache-Control', 'no-store');
    return c.body(svg);
  });

  app.get('/products', async (c) => {
    const query = queryParams(c, listSchema);
    const { items, total } = await assistant.catalog.list(query);
    return c.json({ total, offset: query.offset, limit: query.limit, items: items.map(listItemRecord) });
  });

  app.get('/categories', async (c) => c.json({ categories: await assistant.catalog.categories() }));

  app.post(
    '/products',
    bodyLimit({
      maxSize: config.images.maxBytes * 4 + 256 * 1024,
      onError: (c) => tooLargeResponse(c, `The upload is too large: all photos together may be at most ${formatMegabytes(config.images.maxBytes * 4)}.`),
    }),
    async (c) => {
      if (!isMultipart(c)) throw new HttpProblem(415, 'Send the product as multipart/form-data: fields name, price, category, stock (sku, currency, url, description optional) and one or more "photos".');
      const form = await formBody(c, { all: true });
      const photos = await photosOf(form.photos, config.images.maxBytes);
      const field = (name: string) => (typeof form[name] === 'string' ? form[name] : undefined);
      const name = field('name');
      const raw = {
        sku: field('sku') || (name ? skuFromName(name) : undefined),
        name,
        description: field('description'),
        price: field('price'),
        currency: field('currency') || config.shop.currency,
        category: field('category'),
        stock: field('stock'),
        url: field('url'),
      };
      const outcome = await assistant.catalog.createProduct(raw, photos);
      const first = outcome.addedImages[0];
      return c.json({ product: productRecord(outcome.product, { imageCount: outcome.addedImages.length, imageUrl: first ? mediaUrl(first.filePath) : null, demo: false }) }, 201);
    },
  );

  app.patch('/products/:sku', async (c) => {
    const { sku } = pathParams(c, skuParam);
    const changes = await jsonBody(c, changesSchema);
    return c.json({ product: productRecord(await assistant.catalog.update(sku, changes)) });
  });

  app.delete('/products/:sku', async (c) => {
    const { sku } = pathParams(c, skuParam);
    return c.json({ product: productRecord(await assistant.catalog.remove(sku)) });
  });

  app.post('/products/:sku/restore', async (c) => {
    const { sku } = pathParams(c, skuParam);
    return c.json({ product: productRecord(await assistant.catalog.restore(sku)) });
  });

  app.get('/demo', async (c) => c.json({ demoProducts: await assistant.demo.loaded() }));
  app.post('/demo', async (c) => c.json({ added: await assistant.demo.load(), demoProducts: await assistant.demo.loaded() }));
  app.delete('/demo', async (c) => c.json({ removed: await assistant.demo.remove(), demoProducts: 0 }));

  app.get('/unmet-demand', async (c) => unmetDemand(c, assistant, config));
  return app;
}

async function unmetDemand(c: Context, assistant: Assistant, config: Config): Promise<Response> {
  const { limit, before } = queryParams(c, galleryQuery);
  const [photos, days] = await Promise.all([assistant.unmetDemand.recent(limit, before), assistant.unmetDemand.perDay(DASHBOARD_DAYS)]);
  c.header('Cache-Control', 'no-store');
  return c.json({
    retentionDays: config.unmetDemand.retentionDays,
    days,
    photos: photos.map((photo) => ({
      id: photo.id,
      channel: photo.channel,
      createdAt: photo.createdAt.toISOString(),
      width: photo.width,
      height: photo.height,
      thumbnail: `data:image/jpeg;base64,${photo.thumbnail.toString('base64')}`,
    })),
    nextBefore: photos.length === limit ? photos.at(-1)!.id : null,
  });
}

async function photosOf(value: unknown, maxBytes: number): Promise<{ data: Buffer; source: string }[]> {
  const files = (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((item): item is File => item instanceof File);
  if (files.length > MAX_PHOTOS_PER_PRODUCT) throw new HttpProblem(422, `At most ${MAX_PHOTOS_PER_PRODUCT} photos per product; got ${files.length}.`);
  const tooLarge = files.find((file) => file.size > maxBytes);
  if (tooLarge) throw new HttpProblem(413, `${tooLarge.name || 'a photo'} is ${formatMegabytes(tooLarge.size)}; each photo may be at most ${formatMegabytes(maxBytes)}.`);
  return Promise.all(files.map(async (file, index) => ({ data: Buffer.from(await file.arrayBuffer()), source: file.name || `photo ${index + 1}` })));
}
