import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { ImageRepository } from '../../src/db/repositories/images.ts';
import { ProductRepository } from '../../src/db/repositories/products.ts';
import { applyVectorIndexPolicy, wantsHnswIndex } from '../../src/db/vector-index.ts';
import { openTestPostgres } from '../helpers/databases.ts';
import { near, unitVector } from '../helpers/vectors.ts';

const MODEL = 'test-model@000000000000';

describe('vector index policy', () => {
  it('indexes PostgreSQL servers and leaves embedded PGlite unindexed under auto', () => {
    assert.equal(wantsHnswIndex('postgres', 'auto'), true);
    assert.equal(wantsHnswIndex('pglite', 'auto'), false);
    assert.equal(wantsHnswIndex('pglite', 'hnsw'), true);
    assert.equal(wantsHnswIndex('postgres', 'none'), false);
  });
});

const url = process.env.TEST_DATABASE_URL;

describe('HNSW search with the in-stock filter on PostgreSQL', { skip: url ? false : 'TEST_DATABASE_URL is not set: no real PostgreSQL to test against' }, () => {
  let db: Database;
  const query = unitVector(42);

  before(async () => {
    db = await openTestPostgres(url!);
    assert.equal(await applyVectorIndexPolicy(db, 'hnsw'), true);
    const products = new ProductRepository(db);
    const images = new ImageRepository(db);
    // 400 sold-out products sit closer to the query than the 5 in stock: without iterative
    // scans the index's first ef_search=40 candidates would all be filtered away.
    for (let i = 0; i < 405; i += 1) {
      const inStock = i >= 400;
      const { product } = await products.upsert({ sku: `S${i}`, name: `n${i}`, price: '1.00', currency: 'USD', category: 'c', stock: inStock ? 1 : 0 });
      await images.add({
        productId: product.id, source: 's', filePath: 'f', width: 1, height: 1, modelId: MODEL,
        sha256: i.toString(16).padStart(64, '0'),
        embedding: near(query, i, inStock ? 1.5 : 0.3),
      });
    }
    await db.exec('ANALYZE product_images; ANALYZE products');
  });
  after(async () => db?.close());

  it('still returns the top-K in-stock products through the index', async () => {
    await db.transaction(async (tx) => {
      // 405 rows are cheaper to scan than to look up; make the planner use the index as it would at scale.
      await tx.query('SET LOCAL enable_seqscan = off');
      const plan = await tx.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM product_images ORDER BY embedding <=> $1::halfvec LIMIT 5`,
        [`[${Array.from(query).join(',')}]`],
      );
      const usesIndex = plan.rows.some((row) => row['QUERY PLAN'].includes('product_images_embedding_hnsw_idx'));
      assert.equal(usesIndex, true, 'the HNSW index is used');
      const hits = await new ImageRepository(tx).nearest({ near: { embedding: query }, modelId: MODEL, limit: 5 });
      assert.deepEqual(hits.map((hit) => hit.product.sku).sort(), ['S400', 'S401', 'S402', 'S403', 'S404']);
    });
  });
});
