import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rankByCategory } from '../../../src/core/search/category-ranking.ts';

interface Hit { id: string; category: string; score: number }
const hit = (id: string, category: string, score: number): Hit => ({ id, category, score });
const access = { category: (h: Hit) => h.category, score: (h: Hit) => h.score };
const options = { threshold: 0.6, margin: 0.05 };
const ids = (hits: Hit[]) => hits.map((h) => h.id);

describe('category-aware ranking', () => {
  const hits = [hit('a', 'bags', 0.9), hit('b', 'shoes', 0.87), hit('c', 'bags', 0.8), hit('d', 'shoes', 0.7)];

  test('confident prediction moves the category ahead when others are not clearly better', () => {
    assert.deepEqual(ids(rankByCategory(hits, { category: 'shoes', confidence: 0.9 }, options, access)), ['b', 'd', 'a', 'c']);
  });

  test('an off-category hit more than the margin above the best in-category hit stays ahead', () => {
    const clear = [hit('a', 'bags', 0.95), hit('b', 'shoes', 0.87), hit('c', 'bags', 0.8)];
    assert.deepEqual(ids(rankByCategory(clear, { category: 'shoes', confidence: 0.9 }, options, access)), ['a', 'b', 'c']);
    const exactlyMargin = [hit('a', 'bags', 0.92), hit('b', 'shoes', 0.87)];
    assert.deepEqual(ids(rankByCategory(exactlyMargin, { category: 'shoes', confidence: 0.9 }, { threshold: 0.6, margin: 0.0625 }, access)), ['b', 'a']);
  });

  test('below the threshold, without a prediction, or without in-category hits the order is unchanged', () => {
    assert.deepEqual(ids(rankByCategory(hits, { category: 'shoes', confidence: 0.59 }, options, access)), ['a', 'b', 'c', 'd']);
    assert.deepEqual(ids(rankByCategory(hits, undefined, options, access)), ['a', 'b', 'c', 'd']);
    assert.deepEqual(ids(rankByCategory(hits, { category: 'hats', confidence: 1 }, options, access)), ['a', 'b', 'c', 'd']);
  });

  test('no hit is ever dropped and the input is not mutated', () => {
    const copy = [...hits];
    const ranked = rankByCategory(hits, { category: 'shoes', confidence: 1 }, options, access);
    assert.equal(ranked.length, hits.length);
    assert.deepEqual(new Set(ranked), new Set(hits));
    assert.deepEqual(hits, copy);
  });
});
