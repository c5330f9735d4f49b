import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ProductCard, SearchAnswer } from '../../../src/core/conversation/index.ts';
import { translator } from '../../../src/core/conversation/index.ts';
import { languageOfText } from '../../../src/instagram/channel.ts';
import { parseDelivery } from '../../../src/instagram/events.ts';
import { regainAccessMs } from '../../../src/instagram/graph-client.ts';
import { decodePayload, moreLikePayload, showMorePayload } from '../../../src/instagram/payloads.ts';
import { fitBytes, fitChars, mediaUrl, renderAnswer, withDisclosure } from '../../../src/instagram/render.ts';
import { signatureMatches } from '../../../src/instagram/webhook.ts';

const t = translator('en');
const options = { t, mediaUrl: (filePath: string) => mediaUrl('https://shop.example', filePath) };

function card(number: number, overrides: Partial<ProductCard> = {}): ProductCard {
  const name = overrides.name ?? `Product ${number}`;
  return {
    number, productId: number, sku: `SKU-${number}`, name, description: '', category: 'Dresses',
    price: '10.00', currency: 'EUR', stock: 2, url: null, score: 0.9, image: { id: 100 + number, filePath: `images/ab/${'a'.repeat(64)}.jpg` },
    priceText: '€10.00', stockText: '2 in stock', caption: `#${number} ${name}\n€10.00 · 2 in stock`, ...overrides,
  };
}

function results(cards: ProductCard[], next: { queryId: string; offset: number } | null = null): SearchAnswer {
  return { kind: 'results', cards, text: t('results'), queryId: 'q1', next, latencyMs: 12 };
}

describe('Instagram rendering', () => {
  it('renders results as a carousel of at most 10 elements and a text of at most 1,000 bytes listing the products', () => {
    const cards = Array.from({ length: 50 }, (_, index) => card(index + 1, { name: `Платье с очень длинным названием номер ${index + 1} `.repeat(3) }));
    const [carousel, fallback] = renderAnswer(results(cards, { queryId: 'q1', offset: 50 }), options);
    assert.ok(carousel && 'attachment' in carousel);
    const elements = carousel.attachment.payload.elements;
    assert.equal(elements.length, 10);
    assert.ok(elements.every((element) => [...element.title].length <= 80 && [...(element.subtitle ?? '')].length <= 80));
    assert.ok(elements[0]!.title.startsWith('#1 Платье'));
    assert.equal(elements[0]!.image_url, `https://shop.example/media/images/ab/${'a'.repeat(64)}.jpg`);
    assert.ok(fallback && 'text' in fallback);
    assert.ok(Buffer.byteLength(fallback.text) <= 1000);
    assert.ok(fallback.text.startsWith(t('results')));
    assert.match(fallback.text, /#1 Платье/);
    assert.deepEqual(fallback.quick_replies, [{ content_type: 'text', title: 'Show more ▸', payload: 'more:q1:50' }]);
  });

  it('gives "More like" only to products with a photo and the link button only to http(s) links', () => {
    const [carousel] = renderAnswer(results([card(1, { image: null, url: 'javascript:alert(1)' }), card(2, { url: 'https://shop.example/p2' })]), options);
    assert.ok(carousel && 'attachment' in carousel);
    const [first, second] = carousel.attachment.payload.elements;
    assert.equal(first!.buttons, undefined);
    assert.equal(first!.image_url, undefined);
    assert.deepEqual(second!.buttons, [
      { type: 'postback', title: 'More like #2', payload: 'like:102' },
      { type: 'web_url', title: 'View product', url: 'https://shop.example/p2' },
    ]);
  });

  it('renders every other answer as its text, without quick replies on the last page', () => {
    assert.deepEqual(renderAnswer({ kind: 'no-match', text: t('no_match'), latencyMs: 5 }, options), [{ text: t('no_match') }]);
    const [, fallback] = renderAnswer(results([card(1)]), options);
    assert.deepEqual(fallback, { text: `${t('results')}\n\n#1 Product 1 · €10.00 · 2 in stock` });
  });

  it('puts the disclosure into the first text, or before a carousel', () => {
    assert.deepEqual(withDisclosure([{ text: 'Hi' }], 'Bot here'), [{ text: 'Bot here\n\nHi' }]);
    const carouselFirst = renderAnswer(results([card(1)]), options);
    const disclosed = withDisclosure(carouselFirst, 'Bot here');
    assert.deepEqual(disclosed[0], { text: 'Bot here' });
    assert.equal(disclosed.length, 3);
  });

  it('cuts texts by UTF-8 bytes and characters without splitting a character', () => {
    const cut = fitBytes('я'.repeat(600), 1000);
    assert.ok(Buffer.byteLength(cut) <= 1000);
    assert.ok(cut.endsWith('…'));
    assert.ok(!cut.includes('\uFFFD'));
    assert.equal(fitBytes('short', 10), 'short');
    assert.equal(fitChars('😀'.repeat(30), 20), `${'😀'.repeat(19)}…`);
  });

  it('encodes media paths segment by segment', () => {
    assert.equal(mediaUrl('https://shop.example', 'images\\ab\\x y.jpg'), 'https://shop.example/media/images/ab/x%20y.jpg');
  });
});

describe('Instagram button payloads', () => {
  it('round-trips our payloads and refuses anything else', () => {
    assert.deepEqual(decodePayload(moreLikePayload(42)), { kind: 'more-like', imageId: 42 });
    assert.deepEqual(decodePayload(showMorePayload('1a', 10)), { kind: 'show-more', queryId: '1a', offset: 10 });
    for (const payload of [undefined, '', 'like:', 'like:-1', 'like:1;DROP', 'more:Q:1', 'more:1a:', 'GET_STARTED']) assert.equal(decodePayload(payload), undefined);
  });
});

describe('Instagram webhook signature', () => {
  const secret = '0123456789abcdef0123456789abcdef';
  const body = Buffer.from('{"object":"instagram","entry":[]}');
  const good = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('accepts only sha256=<hex> of the raw body with the app secret', () => {
    assert.equal(signatureMatches(body, good, secret), true);
    assert.equal(signatureMatches(body, good.toUpperCase().replace('SHA256', 'sha256'), secret), true);
    assert.equal(signatureMatches(Buffer.from(`${body.toString()} `), good, secret), false);
    assert.equal(signatureMatches(body, good, `${secret}0`), false);
    for (const header of [undefined, '', 'sha256=', good.slice(0, -2), `sha1=${'0'.repeat(40)}`, `${good}00`]) assert.equal(signatureMatches(body, header, secret), false);
  });
});

describe('Instagram delivery parsing', () => {
  const shop = '17841400000000000';
  const item = (fields: Record<string, unknown>) => ({ sender: { id: '555' }, recipient: { id: shop }, timestamp: 1_700_000_000_000, ...fields });
  const parse = (...messaging: unknown[]) => parseDelivery({ object: 'instagram', entry: [{ id: shop, time: 1, messaging }] });

  it('turns photos, texts, quick replies and postbacks into events and skips echoes, reads and deleted messages', () => {
    const parsed = parse(
      item({ message: { mid: 'm1', attachments: [{ type: 'video', payload: { url: 'https://cdn/v' } }, { type: 'image', payload: { url: 'https://cdn/a.jpg' } }] } }),
      item({ message: { mid: 'm2', text: '  red dress ' } }),
      item({ message: { mid: 'm3', text: 'Show more ▸', quick_reply: { payload: 'more:1a:5' } } }),
      item({ postback: { mid: 'm4', title: 'More like #1', payload: 'like:7' } }),
      item({ postback: { title: 'Get started', payload: 'GET_STARTED' } }),
      item({ message: { mid: 'm6', attachments: [{ type: 'audio', payload: { url: 'https://cdn/a' } }] } }),
      item({ message: { mid: 'm7', text: 'echo', is_echo: true } }),
      { sender: { id: shop }, recipient: { id: '555' }, timestamp: 1, message: { mid: 'm8', text: 'our own' } },
      item({ message: { mid: 'm9', is_deleted: true } }),
      item({ read: { mid: 'm1' } }),
      { sender: {}, timestamp: 'yesterday' },
    );
    assert.ok(parsed);
    assert.equal(parsed.malformed, 1);
    assert.deepEqual(parsed.events.map((event) => [event.mid, event.kind]), [
      ['m1', 'photo'], ['m2', 'text'], ['m3', 'show-more'], ['m4', 'more-like'], ['postback:555:1700000000000', 'unsupported'], ['m6', 'unsupported'],
    ]);
    assert.deepEqual(parsed.events[0], { senderId: '555', timestamp: 1_700_000_000_000, mid: 'm1', kind: 'photo', url: 'https://cdn/a.jpg' });
    assert.deepEqual(parsed.events[1], { senderId: '555', timestamp: 1_700_000_000_000, mid: 'm2', kind: 'text', text: 'red dress' });
  });

  it('refuses bodies that are not deliveries', () => {
    assert.equal(parseDelivery({ hello: 'world' }), undefined);
    assert.equal(parseDelivery([]), undefined);
    assert.deepEqual(parseDelivery({ object: 'page', entry: [] }), { object: 'page', events: [], malformed: 0 });
  });
});

describe('Graph API retry hints', () => {
  it("reads the longest estimated_time_to_regain_access (minutes) from X-Business-Use-Case-Usage", () => {
    const headers = new Headers({ 'x-business-use-case-usage': JSON.stringify({ 1: [{ estimated_time_to_regain_access: 2 }, { estimated_time_to_regain_access: 5 }] }) });
    assert.equal(regainAccessMs(headers), 5 * 60_000);
    assert.equal(regainAccessMs(new Headers()), undefined);
    assert.equal(regainAccessMs(new Headers({ 'x-business-use-case-usage': 'not json' })), undefined);
  });
});

describe('customer language from text', () => {
  it('guesses Russian from Cyrillic and English from Latin letters', () => {
    assert.equal(languageOfText('красное платье'), 'ru');
    assert.equal(languageOfText('red dress'), 'en');
    assert.equal(languageOfText('👍 42'), undefined);
  });
});
