/**
 * The conversation core with fake search services: the rules every channel shares — rate limits,
 * lazy downloads, no-match and unmet demand, numbering and paging, query ownership, failures.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { Conversation, type Asker, type SearchAnswer } from '../../../src/core/conversation/index.ts';
import type { ImageQuery, PageRequest, SearchResult } from '../../../src/core/search/search-service.ts';
import type { TextHit } from '../../../src/core/search/text-search.ts';
import { DatabaseUnavailableError } from '../../../src/db/database.ts';
import type { Product, SearchHit } from '../../../src/domain/catalog.ts';
import { ImageRejectedError } from '../../../src/ml/image-errors.ts';

const logger = pino({ level: 'silent' });
const alice: Asker = { channel: 'web', userRef: 'alice', lang: 'en' };
const bob: Asker = { channel: 'web', userRef: 'bob', lang: 'ru' };

function product(id: number, name = `Product ${id}`): Product {
  return {
    id, sku: `SKU-${id}`, name, description: '', price: '10.00', currency: 'EUR', category: 'Hats', stock: 2, url: null, active: true,
    createdAt: new Date(0), updatedAt: new Date(0),
  };
}

function hits(count: number, from = 1, score = 0.9): SearchHit[] {
  return Array.from({ length: count }, (_, index) => {
    const id = from + index;
    return { product: product(id), image: { id: id * 10, productId: id, source: 's', filePath: `images/${id}.jpg`, sha256: 'a'.repeat(64), width: 1, height: 1, modelId: 'm' }, score };
  });
}

/** A search service that answers from a fixed ranking of `total` hits. */
function fakeSearch(total: number, options: { score?: number; fail?: Error } = {}) {
  const calls: { kind: string; page: PageRequest }[] = [];
  const score = options.score ?? 0.9;
  const page = (kind: string, request: PageRequest): SearchResult => {
    calls.push({ kind, page: request });
    const offset = request.offset ?? 0;
    const slice = hits(Math.max(0, Math.min(request.limit, total - offset)), offset + 1, score);
    return { hits: slice, matched: slice.length > 0 && (score >= 0.3 || offset > 0), latencyMs: 5, modelId: 'm' };
  };
  const query: ImageQuery = { embedding: new Float32Array(4), modelId: 'm' };
  return {
    calls,
    searchByImage(data: Buffer, _source: string, request: PageRequest) {
      if (options.fail) return Promise.reject(options.fail);
      if (data.toString() === 'junk') return Promise.reject(new ImageRejectedError('web photo', 'not-an-image'));
      return Promise.resolve({ ...page('image', request), query });
    },
    searchByQuery: (_query: ImageQuery, request: PageRequest) => Promise.resolve(page('query', request)),
    checkCatalog: () => Promise.resolve(1),
    searchSimilarToImage: (_imageId: number, request: PageRequest) => Promise.resolve(page('similar', request)),
  };
}

function conversation(search = fakeSearch(12), options: { perMinute?: number; text?: TextHit[] } = {}) {
  const unmet: { channel: string; bytes: number }[] = [];
  const core = new Conversation({
    search,
    textSearch: { find: (_text: string, request: PageRequest) => Promise.resolve((options.text ?? []).slice(request.offset ?? 0, (request.offset ?? 0) + request.limit)) },
    logger,
    pageSize: 5,
    searchesPerMinute: options.perMinute ?? 100,
    unmetDemand: { record: (channel, picture) => Promise.resolve(void unmet.push({ channel, bytes: picture.length })) },
  });
  return { core, unmet, search };
}

function results(answer: SearchAnswer): Extract<SearchAnswer, { kind: 'results' }> {
  assert.equal(answer.kind, 'results', answer.kind === 'results' ? '' : answer.text);
  return answer;
}

describe('conversation core: photo search', () => {
  test('results are numbered cards with display texts, and "show more" continues the numbering', async () => {
    const { core } = conversation();
    const first = results(await core.searchByPhoto(alice, Buffer.from('photo')));
    assert.deepEqual(first.cards.map((card) => card.number), [1, 2, 3, 4, 5]);
    assert.equal(first.cards[0]!.caption, '#1 Product 1\n€10.00 · 2 in stock');
    assert.deepEqual(first.cards[0]!.image, { id: 10, filePath: 'images/1.jpg' });
    assert.deepEqual(first.next, { queryId: first.queryId, offset: 5 });
    const second = results(await core.showMore(alice, first.next.queryId, first.next.offset));
    assert.deepEqual(second.cards.map((card) => card.number), [6, 7, 8, 9, 10]);
    const third = results(await core.showMore(alice, first.queryId, 10));
    assert.deepEqual(third.cards.map((card) => card.number), [11, 12]);
    assert.equal(third.next, null, 'a short page is the last');
    assert.equal((await core.showMore(alice, first.queryId, 15)).kind, 'no-more');
  });

  test('"show more" of a photo reuses the embedded query: no second download or inference', async () => {
    const { core, search } = conversation();
    let downloads = 0;
    const first = results(await core.searchByPhoto(alice, () => Promise.resolve({ kind: 'ok', data: Buffer.from(`photo${++downloads}`) })));
    await core.showMore(alice, first.queryId, 5);
    assert.equal(downloads, 1);
    assert.deepEqual(search.calls.map((call) => call.kind), ['image', 'query']);
  });

  test('one person cannot page through another\'s query; unknown ids have expired', async () => {
    const { core } = conversation();
    const first = results(await core.searchByPhoto(alice, Buffer.from('photo')));
    const stolen = await core.showMore(bob, first.queryId, 5);
    assert.equal(stolen.kind, 'expired');
    assert.match(stolen.text, /устарели/, 'texts follow the asker\'s language');
    assert.equal((await core.showMore(alice, 'zzz', 5)).kind, 'expired');
  });

  test('rate limit: checked before the download, per person and channel, "show more" exempt', async () => {
    const { core } = conversation(fakeSearch(12), { perMinute: 1 });
    const first = results(await core.searchByPhoto(alice, Buffer.from('photo')));
    let downloaded = false;
    let accepted = false;
    const limited = await core.searchByPhoto(alice, () => ((downloaded = true), Promise.resolve({ kind: 'ok', data: Buffer.from('x') })), { onAccepted: () => (accepted = true) });
    assert.equal(limited.kind, 'rate-limited');
    assert.ok(limited.kind === 'rate-limited' && limited.retryAfterSeconds >= 1 && limited.retryAfterSeconds <= 60);
    assert.equal(downloaded, false, 'nothing is downloaded for a refused search');
    assert.equal(accepted, false);
    assert.equal((await core.showMore(alice, first.queryId, 5)).kind, 'results');
    assert.equal((await core.searchByText(alice, 'hat')).kind, 'rate-limited', 'text searches count too');
    assert.equal((await core.searchByPhoto({ ...alice, channel: 'telegram' }, Buffer.from('p'))).kind, 'results');
  });

  test('the catalog check starts before the picture downloads and goes to the search with it', async () => {
    const steps: string[] = [];
    const search = fakeSearch(12);
    const check = Promise.resolve(1);
    const handedTo: unknown[] = [];
    const { core } = conversation({
      ...search,
      checkCatalog: () => (steps.push('check'), check),
      searchByImage: (data: Buffer, source: string, request: PageRequest, _who: unknown, options?: { catalogCheck?: Promise<void> }) => (handedTo.push(options?.catalogCheck), search.searchByImage(data, source, request)),
    } as unknown as ReturnType<typeof fakeSearch>);
    results(await core.searchByPhoto(alice, () => (steps.push('download'), Promise.resolve({ kind: 'ok', data: Buffer.from('x') }))));
    assert.deepEqual(steps, ['check', 'download']);
    assert.equal(handedTo[0], check);
  });

  test('a catalog that needs reindexing is reported for a photo, not left unhandled while it downloads', async () => {
    const search = fakeSearch(12);
    const failedCheck = Promise.reject(new Error('catalog needs reindexing'));
    const { core } = conversation({
      ...search,
      checkCatalog: () => failedCheck,
      searchByImage: (_data: Buffer, _source: string, _request: PageRequest, _who: unknown, options?: { catalogCheck?: Promise<void> }) => options!.catalogCheck!.then(() => search.searchByImage(Buffer.from('x'), 's', { limit: 5 })),
    } as unknown as ReturnType<typeof fakeSearch>);
    const tooLarge = await core.searchByPhoto(alice, () => Promise.resolve({ kind: 'too-large', bytes: 30e6, limit: 20e6 }));
    assert.equal(tooLarge.kind, 'too-large', 'a picture refused before the search does not wait for the check');
    assert.equal((await core.searchByPhoto(bob, Buffer.from('photo'))).kind, 'error');
  });

  test('too large and unreadable pictures get their own answers', async () => {
    const { core } = conversation();
    const large = await core.searchByPhoto(alice, () => Promise.resolve({ kind: 'too-large', bytes: 30 * 1024 * 1024, limit: 20 * 1024 * 1024 }));
    assert.equal(large.kind, 'too-large');
    assert.match(large.text, /30\.0 MB.*20\.0 MB/);
    const junk = await core.searchByPhoto(alice, Buffer.from('junk'));
    assert.equal(junk.kind, 'bad-image');
    assert.match(junk.text, /couldn't read that picture/);
  });

  test('no match: the kind advice, and the photo goes to the unmet-demand gallery', async () => {
    const { core, unmet } = conversation(fakeSearch(12, { score: 0.1 }));
    const answer = await core.searchByPhoto(bob, Buffer.from('photo-bytes'));
    assert.equal(answer.kind, 'no-match');
    assert.match(answer.text, /Не нашёл ничего/);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unmet, [{ channel: 'web', bytes: 11 }]);
  });

  test('failures become apologies in the asker\'s language, never exceptions', async () => {
    const outage = conversation(fakeSearch(5, { fail: new Error('wrapped', { cause: new DatabaseUnavailableError('db', { cause: new Error('ECONNREFUSED') }) }) }));
    const unavailable = await outage.core.searchByPhoto(alice, Buffer.from('p'));
    assert.deepEqual(unavailable, { kind: 'unavailable', text: 'The shop is temporarily unavailable, please try again in a minute.' });
    const bug = conversation(fakeSearch(5, { fail: new TypeError('boom') }));
    assert.equal((await bug.core.searchByPhoto(alice, Buffer.from('p'))).kind, 'error');
  });
});

describe('conversation core: text and "more like"', () => {
  test('text search pages, a miss points to photo search, long texts are not searched', async () => {
    const text = hits(7).map((hit) => ({ product: hit.product, image: hit.image }));
    const { core } = conversation(fakeSearch(0), { text });
    const first = results(await core.searchByText(alice, 'hat'));
    assert.equal(first.cards[0]!.score, null);
    assert.equal(results(await core.showMore(alice, first.queryId, 5)).cards.length, 2);
    const none = conversation(fakeSearch(0), { text: [] });
    const miss = await none.core.searchByText(alice, 'submarine');
    assert.equal(miss.kind, 'text-not-found');
    assert.match(miss.text, /Send me a photo/);
    assert.equal((await core.searchByText(alice, 'x'.repeat(101))).kind, 'unsupported');
    assert.equal((await core.searchByText(alice, '   ')).kind, 'unsupported');
  });

  test('"more like" is rate limited like a new search and remembered for "show more"', async () => {
    const { core, search } = conversation(fakeSearch(12), { perMinute: 1 });
    const similar = results(await core.moreLike(alice, 10));
    assert.equal((await core.moreLike(alice, 10)).kind, 'rate-limited');
    assert.equal(results(await core.showMore(alice, similar.queryId, 5)).cards[0]!.number, 6);
    assert.deepEqual(search.calls.map((call) => call.kind), ['similar', 'similar']);
  });
});
