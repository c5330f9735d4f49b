/** Pure parts of the Telegram bot: translations, /add captions, typo correction, rate limit. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commandMenu } from '../../../src/bot/commands.ts';
import { addArguments, parseAddCaption, skuFromName } from '../../../src/bot/features/add-caption.ts';
import en from '../../../src/core/conversation/i18n/en.json' with { type: 'json' };
import ru from '../../../src/core/conversation/i18n/ru.json' with { type: 'json' };
import { languageOf, translator } from '../../../src/core/conversation/i18n/translator.ts';
import { QueryMemory } from '../../../src/bot/services/query-memory.ts';
import { SearchLimiter } from '../../../src/bot/services/search-limiter.ts';
import { correctTypos, editDistance } from '../../../src/bot/services/text-search.ts';

describe('translations', () => {
  test('Russian has exactly the English keys and the same placeholders', () => {
    assert.deepEqual(Object.keys(ru).sort(), Object.keys(en).sort());
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) assert.deepEqual(placeholders(ru[key]), placeholders(en[key]), key);
  });

  test('language choice from language_code, English fallback', () => {
    assert.equal(languageOf('ru'), 'ru');
    assert.equal(languageOf('ru-RU'), 'ru');
    assert.equal(languageOf('de'), 'en');
    assert.equal(languageOf(undefined), 'en');
    assert.equal(translator('en')('rate_limited', { seconds: 7 }), 'You\'re searching a bit fast — please wait 7 s and try again.');
  });

  test('command menus: customers see start/help, owners everything', () => {
    assert.deepEqual(commandMenu('en', false).map((c) => c.command), ['start', 'help']);
    assert.deepEqual(commandMenu('ru', true).map((c) => c.command), ['start', 'help', 'add', 'stock', 'price', 'remove', 'stats', 'train']);
  });
});

describe('/add captions', () => {
  test('recognises /add and /add@bot only at the start', () => {
    assert.equal(addArguments('/add A | 1 | B | 2'), 'A | 1 | B | 2');
    assert.equal(addArguments('/add@shop_bot A'), 'A');
    assert.equal(addArguments('/add'), '');
    assert.equal(addArguments('look /add'), undefined);
    assert.equal(addArguments('/address'), undefined);
    assert.equal(addArguments(undefined), undefined);
  });

  test('parses fields, currency and SKU', () => {
    assert.deepEqual(parseAddCaption('Red dress | 49.90 | Dresses | 3 | DR-1', 'EUR'), {
      ok: true, input: { name: 'Red dress', price: '49.90', currency: 'EUR', category: 'Dresses', stock: '3', sku: 'DR-1' },
    });
    const withCurrency = parseAddCaption('Hat | 5 usd | Hats | 1', 'EUR');
    assert.ok(withCurrency.ok);
    assert.equal(withCurrency.input.currency, 'usd');
    assert.equal(withCurrency.input.sku, 'Hat');
    assert.equal(parseAddCaption('RUB 990 | x', 'EUR').ok, false);
    assert.equal(parseAddCaption('', 'EUR').ok, false);
    assert.equal(parseAddCaption('a|b|c|d|e|f', 'EUR').ok, false);
  });

  test('SKUs derived from names', () => {
    assert.equal(skuFromName('Red Dress №5'), 'Red-Dress-No5');
    assert.equal(skuFromName('  Cap.  '), 'Cap');
  });
});

describe('typo tolerance', () => {
  test('edit distance counts transpositions as one edit', () => {
    assert.equal(editDistance('dress', 'dress'), 0);
    assert.equal(editDistance('dres', 'dress'), 1);
    assert.equal(editDistance('bluose', 'blouse'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('abcdef', 'uvwxyz', 2), 3, 'stops early past the limit');
  });

  test('corrects unknown words to close catalog words only', () => {
    const words = ['red', 'dress', 'yellow', 'blouse', 'hat', 'hats'];
    assert.equal(correctTypos('yelow blouze', words, 2), 'yellow blouse');
    assert.equal(correctTypos('Red DRES', words, 2), 'Red dress');
    assert.equal(correctTypos('hot', words, 2), 'hot', 'three-letter words are not corrected');
    assert.equal(correctTypos('submarine', words, 2), 'submarine');
    assert.equal(correctTypos('dres', words, 0), 'dres', '0 disables correction');
    assert.equal(correctTypos('SKU-12', words, 2), 'SKU-12');
  });
});

describe('search limiter and query memory', () => {
  test('allows N searches per sliding minute per user', () => {
    let now = 0;
    const limiter = new SearchLimiter(2, () => now);
    assert.equal(limiter.tryAcquire(1).allowed, true);
    now = 10_000;
    assert.equal(limiter.tryAcquire(1).allowed, true);
    const refused = limiter.tryAcquire(1);
    assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 50 });
    assert.equal(limiter.tryAcquire(2).allowed, true, 'other users unaffected');
    now = 60_001;
    assert.equal(limiter.tryAcquire(1).allowed, true);
  });

  test('query memory is bounded and ids are short', () => {
    const memory = new QueryMemory(2);
    const a = memory.remember({ kind: 'text', text: 'a' });
    const b = memory.remember({ kind: 'similar', imageId: 3 });
    const c = memory.remember({ kind: 'photo', fileId: 'F' });
    assert.equal(memory.recall(a), undefined);
    assert.deepEqual(memory.recall(b), { kind: 'similar', imageId: 3 });
    assert.ok(c.length <= 8);
  });
});
