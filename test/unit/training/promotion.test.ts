import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decidePromotion } from '../../../src/core/training/promotion.ts';

const base = { candidateBackbone: 'b1', candidateCategories: ['a', 'b'], tolerancePoints: 1 };
const active = { id: 'old', backbone: 'b1', categories: ['a', 'b'], accuracyOnSameSplit: 0.9 };

describe('promotion rule', () => {
  test('a worse head is not promoted; within the tolerance it is', () => {
    assert.equal(decidePromotion({ ...base, candidateAccuracy: 0.85, active }).promote, false);
    assert.match(decidePromotion({ ...base, candidateAccuracy: 0.85, active }).reason, /keeping it/);
    assert.equal(decidePromotion({ ...base, candidateAccuracy: 0.89, active }).promote, true);
    assert.equal(decidePromotion({ ...base, candidateAccuracy: 0.95, active }).promote, true);
    assert.equal(decidePromotion({ ...base, candidateAccuracy: 0.89, active, tolerancePoints: 0 }).promote, false);
  });

  test('a head that is not comparable is replaced', () => {
    assert.equal(decidePromotion({ ...base, candidateAccuracy: 0.1 }).promote, true);
    assert.equal(decidePromotion({ ...base, candidateAccuracy: 0.1, active: { ...active, backbone: 'b0' } }).promote, true);
    assert.equal(decidePromotion({ ...base, candidateAccuracy: 0.1, active: { ...active, categories: ['a'] } }).promote, true);
  });
});
