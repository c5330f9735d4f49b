import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameFromFileName, skuFromFileName, validateProductInput } from '../../src/core/catalog/product-input.ts';

const valid = { sku: 'TEE-1', name: 'Tee', price: '19.9', currency: 'eur', category: 'shirts', stock: '3' };

describe('product input validation', () => {
  it('normalises price to two decimals, currency to upper case and stock to a number', () => {
    const result = validateProductInput({ ...valid, price: '19,9' });
    assert.deepEqual(result, { ok: true, value: { sku: 'TEE-1', name: 'Tee', price: '19.90', currency: 'EUR', category: 'shirts', stock: 3 } });
  });

  it('names every bad field at once', () => {
    const result = validateProductInput({ sku: 'bad sku', price: '1.999', currency: 'XYZ', category: '', stock: '-1', url: 'ftp://x' });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.problems.length, 7);
    for (const fragment of ['sku must be', 'name is missing', 'price must be', 'unknown currency "XYZ"', 'category is empty', 'stock cannot be negative, got -1', 'url must start']) {
      assert.ok(result.problems.some((problem) => problem.includes(fragment)), fragment);
    }
  });

  it('rejects fractional and non-numeric stock and malformed prices', () => {
    for (const [field, value, fragment] of [['stock', '1.5', 'whole number'], ['stock', 'lots', 'whole number'], ['price', '-3', 'price must be'], ['price', '1e3', 'price must be']] as const) {
      const result = validateProductInput({ ...valid, [field]: value });
      assert.equal(result.ok, false, `${field}=${value}`);
      assert.match(result.ok ? '' : result.problems.join(';'), new RegExp(fragment));
    }
  });

  it('derives SKUs and names from file names', () => {
    assert.equal(skuFromFileName('Red Dress (2).JPG'), 'Red-Dress-2');
    assert.equal(skuFromFileName('__odd__name__.png'), 'odd__name');
    assert.equal(nameFromFileName('red_dress-02.jpg'), 'Red dress 02');
  });
});
