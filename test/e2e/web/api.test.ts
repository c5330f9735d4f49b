/**
 * The web channel's HTTP contract, against the real server on a free port: owner authentication,
 * body limits, validation, rate limits, security headers, and the customer and owner routes doing
 * what the pages rely on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedCatalog } from '../../helpers/bot-fixtures.ts';
import { customerPhoto } from '../../helpers/colour-model.ts';
import { startWebHarness, TEST_ADMIN_TOKEN, type WebHarness } from '../../helpers/web-fixtures.ts';

/** A multipart body with `image` (or the given field) holding `bytes`. */
function photoForm(bytes: Buffer, options: { field?: string; type?: string; name?: string } = {}): FormData {
  const form = new FormData();
  form.append(options.field ?? 'image', new Blob([new Uint8Array(bytes)], { type: options.type ?? 'image/jpeg' }), options.name ?? 'photo.jpg');
  return form;
}

interface ResultJson { number: number; sku: string; name: string; price: string; currency: string; stock: number; score: number | null; imageUrl: string; imageId: number; url: string | null }
interface SearchJson {
  kind: string; matched: boolean; results: ResultJson[]; queryId: string | null; next: { queryId: string; offset: number } | null;
  latencyMs: number | null; message: string; error: string;
}
interface ProductJson { sku: string; name: string; price: string; currency: string; stock: number; active: boolean; imageCount: number; imageUrl: string }
interface ErrorJson { error: string; problems?: string[] }

/** The JSON body of `response`, typed as the test expects it to be. */
async function json<T = ErrorJson>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('web API', () => {
  let h: WebHarness;
  before(async () => {
    h = await startWebHarness({ env: { IMAGE_MAX_BYTES: '300000', SEARCH_RATE_LIMIT_PER_MINUTE: '1000', TRAIN_MIN_IMAGES_PER_CATEGORY: '1' } });
    await seedCatalog(h.assistant);
  });
  after(async () => h?.close());

  const search = (body: FormData | object, cookie?: string) =>
    fetch(`${h.url}/api/search`, {
      method: 'POST',
      body: body instanceof FormData ? body : JSON.stringify(body),
      headers: { ...(body instanceof FormData ? {} : { 'Content-Type': 'application/json' }), ...(cookie ? { Cookie: cookie } : {}) },
    });

  it('serves both pages with strict security headers and no inline scripts or styles', async () => {
    for (const page of ['/', '/admin']) {
      const response = await fetch(`${h.url}${page}`);
      assert.equal(response.status, 200);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /style-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'same-origin');
      const html = await response.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
      assert.doesNotMatch(html, /<style|\sstyle=/);
      assert.doesNotMatch(html, /https?:\/\//, 'no CDN: every asset is served by the app');
    }
    const preact = await fetch(`${h.url}/vendor/preact-htm.js`);
    assert.equal(preact.status, 200);
    assert.match(preact.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await fetch(`${h.url}/assets/js/chat.js`)).status, 200);
  });

  it('requires the admin token on every owner route, compared exactly', async () => {
    const none = await fetch(`${h.url}/api/admin/stats`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.match((await json(none)).error, /admin token/);
    const wrong = await fetch(`${h.url}/api/admin/stats`, { headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}x` } });
    assert.equal(wrong.status, 401);
    const basic = await fetch(`${h.url}/api/admin/products`, { headers: { Authorization: `Basic ${TEST_ADMIN_TOKEN}` } });
    assert.equal(basic.status, 401);
    for (const path of ['/api/admin/products', '/api/admin/unmet-demand', '/api/admin/training/runs', '/api/admin/charts/searches.svg', '/api/admin/nope']) {
      assert.equal((await fetch(`${h.url}${path}`)).status, 401, path);
    }
    const stats = await h.admin('/api/admin/stats');
    assert.equal(stats.status, 200);
    const figures = await json<Record<string, unknown>>(stats);
    assert.equal(figures.products, 8);
    assert.equal(figures.inStock, 8);
    assert.equal(figures.demoProducts, 0);
  });

  it('answers a photo with the right product first, in the documented shape, with cacheable photos', async () => {
    const response = await search(photoForm(await customerPhoto(['#ff0000'])));
    assert.equal(response.status, 200);
    const body = await json<SearchJson>(response);
    assert.equal(body.matched, true);
    assert.equal(typeof body.queryId, 'string');
    assert.equal(typeof body.latencyMs, 'number');
    assert.equal(typeof body.message, 'string');
    const [first] = body.results;
    assert.deepEqual(Object.keys(first!).filter((key) => ['sku', 'name', 'category', 'price', 'currency', 'stock', 'score', 'imageUrl', 'url'].includes(key)).length, 9);
    assert.equal(first!.sku, 'RED-DRESS');
    assert.equal(first!.price, '49.90');
    assert.equal(first!.currency, 'EUR');
    assert.equal(first!.url, 'https://shop.example/red-dress');
    assert.match(response.headers.get('set-cookie') ?? '', /shoplens_session=[\w-]{22}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax/);
    const photo = await fetch(`${h.url}${first!.imageUrl}`);
    assert.equal(photo.status, 200);
    assert.equal(photo.headers.get('content-type'), 'image/jpeg');
    assert.match(photo.headers.get('cache-control') ?? '', /immutable/);
    const etag = photo.headers.get('etag')!;
    assert.equal((await fetch(`${h.url}${first!.imageUrl}`, { headers: { 'If-None-Match': etag } })).status, 304);
  });

  it('never serves anything outside the image store from /media', async () => {
    for (const path of ['/media/images/../admin-token', '/media/images/%2e%2e/%2e%2e/admin-token', '/media/images/ab/..%2f..%2fadmin-token', '/media/admin-token', '/media/images/00/x.jpg']) {
      const response = await fetch(`${h.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /test-admin-token/);
    }
  });

  it('pages through results with "show more" and finds neighbours with "more like this"', async () => {
    const first = await search(photoForm(await customerPhoto(['#ff0000'])));
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const page = await json<SearchJson>(first);
    assert.deepEqual(page.next, { queryId: page.queryId, offset: 5 });
    const more = await fetch(`${h.url}/api/search/more`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify(page.next) });
    assert.equal(more.status, 200);
    const second = await json<SearchJson>(more);
    assert.equal(second.results[0]!.number, 6);
    const seen = new Set([...page.results, ...second.results].map((r) => r.sku));
    assert.equal(seen.size, page.results.length + second.results.length, 'pages do not repeat products');
    const strangerMore = await fetch(`${h.url}/api/search/more`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(page.next) });
    assert.equal(strangerMore.status, 410, 'another session cannot page through this query');
    const like = await fetch(`${h.url}/api/search/more`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: JSON.stringify({ moreLike: page.results[0]!.imageId }) });
    const similar = await json<SearchJson>(like);
    assert.equal(like.status, 200);
    assert.ok(similar.results.length > 0);
    assert.ok(similar.results.every((r) => r.sku !== 'RED-DRESS'));
  });

  it('searches by text with JSON', async () => {
    const body = await json<SearchJson>(await search({ text: 'jeans' }));
    assert.equal(body.results[0]!.sku, 'BLUE-JEANS');
    const none = await json<SearchJson>(await search({ text: 'submarine' }));
    assert.equal(none.matched, false);
    assert.match(none.message, /submarine/);
  });

  it('refuses oversize uploads with 413 before reading them, with or without Content-Length', async () => {
    const big = Buffer.alloc(1_000_000, 7);
    const declared = await search(photoForm(big));
    assert.equal(declared.status, 413);
    assert.match((await json(declared)).error, /too big/);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i += 1) controller.enqueue(new Uint8Array(64 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(`${h.url}/api/search`, { method: 'POST', body: stream, headers: { 'Content-Type': 'multipart/form-data; boundary=x' }, duplex: 'half' });
    assert.equal(chunked.status, 413);
    assert.equal(chunked.headers.get('connection'), 'close');
  });

  it('explains unusable uploads and malformed requests', async () => {
    const junk = await search(photoForm(Buffer.from('this is not a picture at all')));
    assert.equal(junk.status, 422);
    assert.match((await json(junk)).error, /picture|photo/);
    const text = await search(photoForm(Buffer.from('hello'), { type: 'text/plain', name: 'notes.txt' }));
    assert.equal(text.status, 415);
    assert.match((await json(text)).error, /picture/);
    const wrongField = await search(photoForm(await customerPhoto(['#ff0000']), { field: 'file' }));
    assert.equal(wrongField.status, 400);
    assert.match((await json(wrongField)).error, /"image"/);
    const badJson = await fetch(`${h.url}/api/search`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text": ' });
    assert.equal(badJson.status, 400);
    assert.deepEqual(await json<unknown>(badJson), { error: 'The body is not valid JSON.' });
    const empty = await search({ text: '   ' });
    assert.equal(empty.status, 400);
    const torn = await fetch(`${h.url}/api/search`, { method: 'POST', headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' }, body: '--xyz\r\nContent-Disposition: form-da' });
    assert.equal(torn.status, 400);
    assert.match((await json(torn)).error, /not well-formed multipart/);
    const plain = await fetch(`${h.url}/api/search`, { method: 'POST', body: 'red dress' });
    assert.equal(plain.status, 415);
    const badMore = await fetch(`${h.url}/api/search/more`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ queryId: 'x', offset: -1 }) });
    assert.equal(badMore.status, 400);
    assert.match((await json(badMore)).error, /Invalid body/);
  });

  it('lists, filters, edits and hides products; an out-of-stock product leaves the next search', async () => {
    const list = await json<{ total: number; items: ProductJson[] }>(await h.admin('/api/admin/products?category=Hats&sort=sku&direction=desc'));
    assert.equal(list.total, 2);
    assert.deepEqual(list.items.map((p) => p.sku), ['RED-WHITE-CAP', 'GREEN-HAT']);
    assert.ok(list.items[0]!.imageUrl.startsWith('/media/images/'));
    assert.equal((await h.admin('/api/admin/products?limit=0')).status, 400);
    assert.equal((await h.admin('/api/admin/products?sort=password')).status, 400);
    const patch = (sku: string, body: unknown) => h.admin(`/api/admin/products/${sku}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await patch('GREEN-HAT', { price: 'cheap', stock: -1 });
    assert.equal(bad.status, 422);
    assert.equal((await json(bad)).problems?.length, 2);
    assert.equal((await patch('NO-SUCH', { stock: 1 })).status, 404);
    assert.equal((await patch('GREEN-HAT', { colour: 'red' })).status, 400);
    const before = await json<SearchJson>(await search(photoForm(await customerPhoto(['#00ff00']))));
    assert.equal(before.results[0]!.sku, 'GREEN-HAT');
    const zero = await patch('GREEN-HAT', { stock: 0 });
    assert.equal(zero.status, 200);
    assert.equal((await json<{ product: ProductJson }>(zero)).product.stock, 0);
    const after = await json<SearchJson>(await search(photoForm(await customerPhoto(['#00ff00']))));
    assert.ok(after.results.every((r) => r.sku !== 'GREEN-HAT'));
    await patch('GREEN-HAT', { stock: 2, price: '12,5' });
    const hidden = await h.admin('/api/admin/products/GREEN-HAT', { method: 'DELETE' });
    assert.equal((await json<{ product: ProductJson }>(hidden)).product.active, false);
    assert.equal((await json<{ items: ProductJson[] }>(await h.admin('/api/admin/products?status=inactive'))).items[0]!.sku, 'GREEN-HAT');
    const restored = await json<{ product: ProductJson }>(await h.admin('/api/admin/products/GREEN-HAT/restore', { method: 'POST' }));
    assert.equal(restored.product.price, '12.50');
    assert.equal(restored.product.active, true);
  });

  it('adds a product with several photos that the chat then finds; refuses a taken SKU and junk photos', async () => {
    const form = new FormData();
    for (const [key, value] of Object.entries({ name: 'Purple gloves', price: '15', category: 'Gloves', stock: '4' })) form.append(key, value);
    form.append('photos', new Blob([new Uint8Array(await customerPhoto(['#8000ff']))], { type: 'image/jpeg' }), 'front.jpg');
    form.append('photos', new Blob([new Uint8Array(await customerPhoto(['#8000ff', '#000000']))], { type: 'image/jpeg' }), 'back.jpg');
    const created = await h.admin('/api/admin/products', { method: 'POST', body: form });
    assert.equal(created.status, 201);
    const { product } = await json<{ product: ProductJson }>(created);
    assert.equal(product.sku, 'Purple-gloves');
    assert.equal(product.currency, 'EUR');
    assert.equal(product.imageCount, 2);
    const found = await json<SearchJson>(await search(photoForm(await customerPhoto(['#8000ff']))));
    assert.equal(found.results[0]!.sku, 'Purple-gloves');
    assert.equal((await h.admin('/api/admin/products', { method: 'POST', body: form })).status, 409);
    const junk = new FormData();
    for (const [key, value] of Object.entries({ name: 'Broken', price: 'x', category: 'Gloves', stock: '1' })) junk.append(key, value);
    junk.append('photos', new Blob([new Uint8Array(Buffer.from('nope'))], { type: 'image/jpeg' }), 'broken.jpg');
    const refused = await h.admin('/api/admin/products', { method: 'POST', body: junk });
    assert.equal(refused.status, 422);
    const problems = (await json(refused)).problems ?? [];
    assert.ok(problems.some((p) => /price/.test(p)) && problems.some((p) => /broken\.jpg/.test(p)), problems.join(' | '));
    assert.equal((await h.admin('/api/admin/products', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status, 415);
  });

  it('keeps thumbnails of unmatched photos for the owner', async () => {
    const miss = await json<SearchJson>(await search(photoForm(await customerPhoto(['#00ffff']))));
    assert.equal(miss.matched, false);
    assert.equal(miss.kind, 'no-match');
    await h.assistant.unmetDemand.settled();
    const gallery = await json<{ retentionDays: number; photos: { channel: string; thumbnail: string }[]; days: { photos: number }[] }>(await h.admin('/api/admin/unmet-demand'));
    assert.equal(gallery.retentionDays, 30);
    assert.equal(gallery.photos.length, 1);
    assert.equal(gallery.photos[0]!.channel, 'web');
    assert.match(gallery.photos[0]!.thumbnail, /^data:image\/jpeg;base64,/);
    assert.equal(gallery.days.at(-1)!.photos, 1);
  });

  it('renders the dashboard charts as SVG and 404s unknown ones', async () => {
    for (const chart of ['searches', 'latency', 'no-match', 'categories']) {
      const response = await h.admin(`/api/admin/charts/${chart}.svg?days=14`);
      assert.equal(response.status, 200, chart);
      assert.match(response.headers.get('content-type') ?? '', /image\/svg\+xml/);
      assert.match(await response.text(), /^<svg/);
    }
    assert.equal((await h.admin('/api/admin/charts/passwords.svg')).status, 404);
    assert.equal((await h.admin('/api/admin/charts/searches.svg?days=9999')).status, 400);
  });

  it('loads and removes the demo catalog, and offers its sample photos to the chat', async () => {
    assert.deepEqual(await json<unknown>(await fetch(`${h.url}/api/shop`)), { empty: false, maxUploadBytes: 300000, demo: false, samples: [] });
    const loaded = await json<{ added: number }>(await h.admin('/api/admin/demo', { method: 'POST' }));
    assert.equal(loaded.added, 12);
    const shop = await json<{ demo: boolean; samples: { id: string; url: string }[] }>(await fetch(`${h.url}/api/shop`));
    assert.equal(shop.demo, true);
    const sample = await fetch(`${h.url}${shop.samples[0]!.url}`);
    assert.equal(sample.headers.get('content-type'), 'image/jpeg');
    const answer = await json<SearchJson>(await search(photoForm(Buffer.from(await sample.arrayBuffer()))));
    assert.equal(answer.results[0]!.sku.toLowerCase(), shop.samples[0]!.id);
    assert.equal((await json<{ removed: number }>(await h.admin('/api/admin/demo', { method: 'DELETE' }))).removed, 12);
    assert.equal((await json<{ demoProducts: number }>(await h.admin('/api/admin/stats'))).demoProducts, 0);
  });

  it('trains from the dashboard with progress as server-sent events, then lists the run with its charts', async () => {
    const response = await h.admin('/api/admin/training', { method: 'POST' });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = (await response.text()).split('\n\n').filter((block) => block.includes('data:')).map((block) => JSON.parse(block.slice(block.indexOf('data:') + 5)) as { type: string; phase?: string });
    assert.equal(events[0]!.type, 'started');
    assert.ok(events.some((event) => event.type === 'progress' && event.phase === 'epoch'));
    assert.equal(events.at(-1)!.type, 'finished');
    const { runs, running } = await json<{ running: boolean; runs: { trigger: string; status: string; charts: { curves: string } }[] }>(await h.admin('/api/admin/training/runs'));
    assert.equal(running, false);
    assert.equal(runs[0]!.trigger, 'web');
    assert.equal(runs[0]!.status, 'success');
    const curves = await h.admin(runs[0]!.charts.curves);
    assert.equal(curves.status, 200);
    assert.equal(curves.headers.get('content-type'), 'image/png');
    assert.equal((await h.admin('/api/admin/training/runs/..%2F..%2Fadmin-token/curves.png')).status, 404);
    const rollback = await h.admin('/api/admin/training/rollback', { method: 'POST' });
    assert.equal(rollback.status, 409);
    assert.match((await json(rollback)).error, /no previously active head/);
    const { heads } = await json<{ heads: { id: string }[] }>(await h.admin('/api/admin/training/heads'));
    const promoted = await h.admin(`/api/admin/training/heads/${heads[0]!.id}/promote`, { method: 'POST' });
    assert.equal((await json<{ head: { active: boolean } }>(promoted)).head.active, true);
  });

  it('answers unknown paths with JSON 404', async () => {
    const response = await fetch(`${h.url}/nothing/here`);
    assert.equal(response.status, 404);
    assert.deepEqual(await json<unknown>(response), { error: 'Not found.' });
  });
});

describe('web API limits', () => {
  let h: WebHarness;
  before(async () => {
    h = await startWebHarness({ env: { SEARCH_RATE_LIMIT_PER_MINUTE: '2' } });
    await seedCatalog(h.assistant);
  });
  after(async () => h?.close());

  const textSearch = (cookie?: string) => fetch(`${h.url}/api/search`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...(cookie ? { Cookie: cookie } : {}) }, body: JSON.stringify({ text: 'dress' }),
  });

  it('limits searches per session with 429 and Retry-After, and caps one address even when cookies are dropped', async () => {
    const first = await textSearch();
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal((await textSearch(cookie)).status, 200);
    const limited = await textSearch(cookie);
    assert.equal(limited.status, 429);
    const wait = Number(limited.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 60, String(wait));
    assert.match((await json(limited)).error, new RegExp(`${wait} s`));
    // 2 per session × 3 per address = 6 attempts a minute from one address; 3 were made above.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await textSearch()).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });

  it('hides internal errors behind a plain 500 and lets features mount routes that inherit owner auth', async () => {
    const { createWebApp, startWebServer } = await import('../../../src/web/server.ts');
    const pino = (await import('pino')).default;
    const { app } = createWebApp({
      assistant: h.assistant, config: h.config, logger: pino({ level: 'silent' }), adminToken: TEST_ADMIN_TOKEN,
      extraRoutes: (web) => {
        web.post('/api/admin/cli', (c) => c.json({ ran: true }));
        web.post('/webhooks/test', (c) => c.json({ public: true }));
        web.get('/boom', () => {
          throw new Error('secret detail at /srv/shop/db.ts:12');
        });
      },
    });
    const server = await startWebServer(app, h.config);
    try {
      assert.equal((await fetch(`${server.url}/api/admin/cli`, { method: 'POST' })).status, 401);
      assert.equal((await fetch(`${server.url}/api/admin/cli`, { method: 'POST', headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).status, 200);
      assert.deepEqual(await json<unknown>(await fetch(`${server.url}/webhooks/test`, { method: 'POST' })), { public: true });
      const boom = await fetch(`${server.url}/boom`);
      assert.equal(boom.status, 500);
      const text = await boom.text();
      assert.doesNotMatch(text, /secret|\/srv|at /);
      assert.match(text, /"error"/);
    } finally {
      await server.stop();
    }
  });
});
