/**
 * Search with an active category head: confident predictions move that category ahead unless
 * another product is clearly (by more than the margin) more similar; nothing is dropped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ModelConsistency } from '../../src/core/catalog/model-consistency.ts';
import type { EmbeddingModel } from '../../src/core/ports.ts';
import { SearchService, type CategoryPredictor } from '../../src/core/search/search-service.ts';
import type { Database } from '../../src/db/database.ts';
import { ImageRepository } from '../../src/db/repositories/images.ts';
import { ProductRepository } from '../../src/db/repositories/products.ts';
import { openTestPglite } from '../helpers/databases.ts';

const MODEL = 'fake@000000000000';
const DIM = 2048;

/** Unit vector with cosine `similarity` to the first axis, its remainder on axis `axis`. */
function withSimilarity(similarity: number, axis: number): Float32Array {
  const vector = new Float32Array(DIM);
  vector[0] = similarity;
  vector[axis] = Math.sqrt(1 - similarity * similarity);
  return vector;
}

const query = withSimilarity(1, 1);
const fakeModel: EmbeddingModel = {
  modelId: MODEL,
  pretrained: false,
  dimension: DIM,
  embed: () => Promise.resolve({ features: query, embedding: query, width: 1, height: 1, sha256: '0'.repeat(64) }),
  embedAll: () => { throw new Error('not used'); },
};
const consistent = { assertConsistent: () => Promise.resolve() } as unknown as ModelConsistency;

describe('category-aware image search', () => {
  let db: Database;
  before(async () => {
    db = await openTestPglite();
    const products = new ProductRepository(db);
    const images = new ImageRepository(db);
    const catalog: Array<[string, string, number]> = [['OTHER-CLOSE', 'bags', 0.93], ['SHOE-BEST', 'shoes', 0.9], ['SHOE-FAR', 'shoes', 0.7], ['OTHER-FAR', 'bags', 0.6]];
    for (const [index, [sku, category, similarity]] of catalog.entries()) {
      const { product } = await products.upsert({ sku, name: sku, price: '1.00', currency: 'USD', category, stock: 1 });
      await images.add({ productId: product.id, source: 's', filePath: 'f', width: 1, height: 1, modelId: MODEL, sha256: String(index).padStart(64, '0'), embedding: withSimilarity(similarity, index + 2) });
    }
  });
  after(async () => db?.close());

  async function search(prediction: { category: string; confidence: number } | undefined, margin = 0.05) {
    const classifier: CategoryPredictor = { predict: () => Promise.resolve(prediction) };
    const service = new SearchService({
      db, model: () => Promise.resolve(fakeModel), consistency: () => Promise.resolve(consistent), minScore: 0.3,
      classifier, ranking: { threshold: 0.6, margin },
    });
    const answer = await service.searchByImage(Buffer.from('x'), 'q', { limit: 4 }, { channel: 'test' });
    await service.settled();
    return answer;
  }

  it('ranks by similarity alone without a confident prediction', async () => {
    assert.deepEqual((await search(undefined)).hits.map((hit) => hit.product.sku), ['OTHER-CLOSE', 'SHOE-BEST', 'SHOE-FAR', 'OTHER-FAR']);
    assert.deepEqual((await search({ category: 'shoes', confidence: 0.5 })).hits.map((hit) => hit.product.sku), ['OTHER-CLOSE', 'SHOE-BEST', 'SHOE-FAR', 'OTHER-FAR']);
  });

  it('moves the predicted category ahead when the other product is not clearly better', async () => {
    const answer = await search({ category: 'shoes', confidence: 0.9 });
    assert.deepEqual(answer.hits.map((hit) => hit.product.sku), ['SHOE-BEST', 'SHOE-FAR', 'OTHER-CLOSE', 'OTHER-FAR']);
    assert.equal(answer.predictedCategory?.category, 'shoes');
    const { rows } = await db.query<{ predicted_category: string }>('SELECT predicted_category FROM search_log ORDER BY id DESC LIMIT 1');
    assert.equal(rows[0]?.predicted_category, 'shoes');
  });

  it('keeps a clearly more similar product of another category first', async () => {
    // 0.93 beats the best shoe (0.90) by more than a 0.02 margin: it stays ahead; nothing is dropped.
    const answer = await search({ category: 'shoes', confidence: 0.9 }, 0.02);
    assert.deepEqual(answer.hits.map((hit) => hit.product.sku), ['OTHER-CLOSE', 'SHOE-BEST', 'SHOE-FAR', 'OTHER-FAR']);
  });
});
