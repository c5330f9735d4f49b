/** Pure parts of the conversation core: translations, /add captions, owner numbers and names, typo correction, rate limit. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cleanLine, parsePrice, parseQuantity, skuFromName, validateProductInput } from '../../../src/core/catalog/product-input.ts';
import { addArguments, parseAddCaption } from '../../../src/core/conversation/add-caption.ts';
import en from '../../../src/core/conversation/i18n/en.json' with { type: 'json' };
import ru from '../../../src/core/conversation/i18n/ru.json' with { type: 'json' };
import { languageOf, translator } from '../../../src/core/conversation/i18n/translator.ts';
import { QueryMemory } from '../../../src/core/conversation/query-memory.ts';
import { SearchLimiter } from '../../../src/core/conversation/rate-limiter.ts';
import { correctTypos, editDistance } from '../../../src/core/search/text-search.ts';

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

});

describe('/add captions', () => {
  test('recognises /add and /add@this_bot only at the start; /add@other_bot is not for us', () => {
    assert.equal(addArguments('/add A | 1 | B | 2', 'shop_bot'), 'A | 1 | B | 2');
    assert.equal(addArguments('/add@shop_bot A', 'shop_bot'), 'A');
    assert.equal(addArguments('/add@Shop_Bot A', 'shop_bot'), 'A', 'usernames are case-insensitive');
    assert.equal(addArguments('/add@other_bot A', 'shop_bot'), undefined);
    assert.equal(addArguments('/add', 'shop_bot'), '');
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

  test('SKUs derived from names: Latin kept, other scripts transliterated, the rest hashed stably', () => {
    assert.equal(skuFromName('Red Dress №5'), 'Red-Dress-No5');
    assert.equal(skuFromName('  Cap.  '), 'Cap');
    assert.equal(skuFromName('Красное платье'), 'Krasnoe-plate');
    assert.equal(skuFromName('Größe Weiß'), 'Groesse-Weiss');
    const emoji = skuFromName('👗✨');
    assert.match(emoji, /^P-[0-9a-f]{10}$/);
    assert.equal(skuFromName('👗✨'), emoji, 'the same name maps to the same product');
    assert.notEqual(skuFromName('👒'), emoji);
    for (const name of ['Красное платье', '👗✨', '东京']) assert.ok(validateProductInput({ sku: skuFromName(name), name, price: '1', currency: 'EUR', category: 'X', stock: '1' }).ok, name);
  });
});

describe('owner numbers and names', () => {
  test('quantities: decimal digits only, bounded, with a message naming the value', () => {
    assert.deepEqual(parseQuantity(' 12 '), { ok: true, value: 12 });
    assert.deepEqual(parseQuantity('0'), { ok: true, value: 0 });
    for (const bad of ['0x10', '1e3', '1.5', '+3', '', 'three', '١٢']) assert.equal(parseQuantity(bad).ok, false, bad);
    assert.match(failed(parseQuantity('-1')), /cannot be negative, got -1/);
    assert.match(failed(parseQuantity('99999999999')), /at most 1,000,000/);
    assert.match(failed(parseQuantity('1e10')), /digits 0–9, got "1e10"/);
  });

  test('prices: comma or point, two decimals at most, bounded', () => {
    assert.deepEqual(parsePrice('49,9'), { ok: true, value: '49.90' });
    assert.deepEqual(parsePrice('007'), { ok: true, value: '7.00' });
    for (const bad of ['1e3', '0x10', '-3', '1.999', '', 'free']) assert.equal(parsePrice(bad).ok, false, bad);
    assert.match(failed(parsePrice('123456789012')), /at most 9999999999\.99/);
  });

  test('stock through the validator follows the same parser', () => {
    for (const stock of ['0x10', '1e3', '99999999999']) assert.equal(validateProductInput({ sku: 'A', name: 'A', price: '1', currency: 'EUR', category: 'X', stock }).ok, false, stock);
  });

  test('names: NFC, invisible and direction-override characters removed, white space collapsed', () => {
    assert.equal(cleanLine('Re\u200Bd\u00A0 dress\u202E'), 'Red dress');
    assert.equal(cleanLine('Cafe\u0301'), 'Café');
    assert.equal(cleanLine('a\tb\nc\u0007'), 'a b c');
    const result = validateProductInput({ sku: 'A', name: '\u202Egnp.exe', price: '1', currency: 'EUR', category: '\u200B', stock: '1' });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.problems.join(';'), /category is empty/);
  });
});

function failed(parsed: { ok: boolean; problem?: string }): string {
  return parsed.ok ? '' : parsed.problem ?? '';
}

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
    assert.equal(limiter.tryAcquire('telegram:1').allowed, true);
    now = 10_000;
    assert.equal(limiter.tryAcquire('telegram:1').allowed, true);
    const refused = limiter.tryAcquire('telegram:1');
    assert.deepEqual(refused, { allowed: false, retryAfterSeconds: 50 });
    assert.equal(limiter.tryAcquire('telegram:2').allowed, true, 'other users unaffected');
    assert.equal(limiter.tryAcquire('web:1').allowed, true, 'the same id on another channel is another person');
    now = 60_001;
    assert.equal(limiter.tryAcquire('telegram:1').allowed, true);
  });

  test('query memory is bounded, ids are short, and one person cannot recall another\'s query', () => {
    const memory = new QueryMemory(2);
    const a = memory.remember('web:x', { kind: 'text', text: 'a' });
    const b = memory.remember('web:x', { kind: 'similar', imageId: 3 });
    const c = memory.remember('web:x', { kind: 'text', text: 'c' });
    assert.equal(memory.recall('web:x', a), undefined);
    assert.deepEqual(memory.recall('web:x', b), { kind: 'similar', imageId: 3 });
    assert.equal(memory.recall('web:y', b), undefined);
    assert.ok(c.length <= 8);
  });
});
