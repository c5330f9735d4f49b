import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { CatalogStateRepository } from '../../src/db/repositories/catalog-state.ts';
import { ImageRepository, type NewProductImage } from '../../src/db/repositories/images.ts';
import { ProductRepository } from '../../src/db/repositories/products.ts';
import { SearchLogRepository } from '../../src/db/repositories/search-log.ts';
import type { ProductInput } from '../../src/domain/catalog.ts';
import { testEngines } from '../helpers/databases.ts';
import { near, unitVector } from '../helpers/vectors.ts';

const MODEL = 'test-model@000000000000';

function product(sku: string, overrides: Partial<ProductInput> = {}): ProductInput {
  return { sku, name: `Product ${sku}`, price: '10.00', currency: 'USD', category: 'shirts', stock: 3, ...overrides };
}

function image(productId: number, seed: number, overrides: Partial<NewProductImage> = {}): NewProductImage {
  return {
    productId,
    source: `/photos/${seed}.jpg`,
    filePath: `images/${seed}.jpg`,
    sha256: seed.toString(16).padStart(64, '0'),
    width: 640,
    height: 480,
    modelId: MODEL,
    embedding: unitVector(seed),
    ...overrides,
  };
}

for (const engine of testEngines()) {
  describe(`catalog repositories on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    let products: ProductRepository;
    let images: ImageRepository;

    before(async () => {
      db = await engine.open();
      products = new ProductRepository(db);
      images = new ImageRepository(db);
    });
    after(async () => db?.close());

    it('re-running migrations applies nothing', async () => {
      assert.deepEqual(await migrate(db), []);
    });

    it('creates a product, then updates it by SKU keeping the price exact', async () => {
      const first = await products.upsert(product('P1', { price: '1234567.89' }));
      assert.equal(first.created, true);
      assert.equal(first.product.price, '1234567.89');
      const second = await products.upsert(product('P1', { name: 'Renamed', price: '0.10' }));
      assert.equal(second.created, false);
      assert.equal(second.product.id, first.product.id);
      assert.equal(second.product.name, 'Renamed');
      assert.equal(second.product.price, '0.10');
    });

    it('rejects invalid rows at the database too (negative stock)', async () => {
      await assert.rejects(products.upsert(product('NEG', { stock: -1 })));
      assert.equal(await products.findBySku('NEG'), undefined);
    });

    it('changes stock and price, deactivates, and reports unknown SKUs as undefined', async () => {
      await products.upsert(product('P2'));
      assert.equal((await products.setStock('P2', 0))?.stock, 0);
      assert.equal((await products.setPrice('P2', '99.90'))?.price, '99.90');
      assert.equal((await products.deactivate('P2'))?.active, false);
      assert.equal(await products.setStock('NOPE', 1), undefined);
    });

    it('bumps the catalog revision on every catalog change', async () => {
      const state = new CatalogStateRepository(db);
      const before = (await state.revision()).revision;
      await products.setStock('P1', 7);
      const afterStock = (await state.revision()).revision;
      assert.ok(afterStock > before);
      const { product: stored } = await products.upsert(product('P3'));
      await images.add(image(stored.id, 3));
      assert.ok((await state.revision()).revision > afterStock);
    });

    it('rolls back a failed transaction completely', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          const { product: stored } = await products.within(tx).upsert(product('HALF'));
          await images.within(tx).add(image(stored.id, 4, { sha256: 'not-a-hash' }));
        }),
      );
      assert.equal(await products.findBySku('HALF'), undefined);
    });

    it('deduplicates an image by SHA-256 per product', async () => {
      const { product: stored } = await products.upsert(product('DUP'));
      assert.ok(await images.add(image(stored.id, 5)));
      assert.equal(await images.add(image(stored.id, 5)), undefined);
      assert.equal((await images.listForProduct(stored.id)).length, 1);
      assert.equal((await images.findBySha256(image(0, 5).sha256)).length, 1);
    });

    describe('nearest', () => {
      const query = unitVector(1000);
      let ids: Record<string, number>;

      before(async () => {
        ids = {};
        const add = async (sku: string, seed: number, amount: number, overrides: Partial<ProductInput> = {}) => {
          const { product: stored } = await products.upsert(product(sku, { category: 'nn', ...overrides }));
          ids[sku] = stored.id;
          await images.add(image(stored.id, seed, { embedding: near(query, seed, amount), sha256: (seed + 1e6).toString(16).padStart(64, '0') }));
          return stored.id;
        };
        await add('CLOSEST', 1, 0.1);
        await add('SECOND', 2, 0.3);
        await add('THIRD', 3, 0.6);
        await add('SOLDOUT', 4, 0.05, { stock: 0 });
        const many = await add('MANY', 5, 0.9);
        for (let seed = 100; seed < 160; seed += 1) {
          await images.add(image(many, seed, { embedding: near(query, seed, 0.2 + seed / 1000), sha256: (seed + 2e6).toString(16).padStart(64, '0') }));
        }
        const removed = await add('REMOVED', 6, 0.01);
        assert.ok(removed);
        await products.deactivate('REMOVED');
        const { product: other } = await products.upsert(product('OTHERMODEL', { category: 'nn' }));
        await images.add(image(other.id, 7, { embedding: near(query, 7, 0.01), modelId: 'other@111111111111', sha256: (7 + 1e6).toString(16).padStart(64, '0') }));
      });

      it('returns in-stock active products of the model, best first, one hit per product', async () => {
        const hits = await images.nearest({ near: { embedding: query }, modelId: MODEL, limit: 4, categories: ['nn'] });
        assert.deepEqual(hits.map((hit) => hit.product.sku), ['CLOSEST', 'MANY', 'SECOND', 'THIRD']);
        assert.ok(hits.every((hit, i) => i === 0 || hits[i - 1]!.score >= hit.score));
        assert.ok(hits[0]!.score > 0.9 && hits[0]!.score <= 1.0001);
      });

      it('pages with an offset without repeating products', async () => {
        const first = await images.nearest({ near: { embedding: query }, modelId: MODEL, limit: 2, categories: ['nn'] });
        const second = await images.nearest({ near: { embedding: query }, modelId: MODEL, limit: 2, offset: 2, categories: ['nn'] });
        assert.deepEqual([...first, ...second].map((hit) => hit.product.sku), ['CLOSEST', 'MANY', 'SECOND', 'THIRD']);
      });

      it('searches from a stored image and can exclude its product', async () => {
        const [closestImage] = await images.listForProduct(ids.CLOSEST!);
        const hits = await images.nearest({ near: { imageId: closestImage!.id }, modelId: MODEL, limit: 2, excludeProductId: ids.CLOSEST!, categories: ['nn'] });
        assert.equal(hits.length, 2);
        assert.ok(hits.every((hit) => hit.product.sku !== 'CLOSEST'));
      });

      it('counts embeddings per model', async () => {
        const counts = await images.countByModel();
        assert.equal(counts.get('other@111111111111'), 1);
        assert.ok((counts.get(MODEL) ?? 0) > 60);
      });
    });

    it('writes many search-log rows in one statement and summarises them with latency percentiles', async () => {
      const log = new SearchLogRepository(db);
      await log.recordAll([
        ...[10, 20, 30, 40, 1000].map((latencyMs) => ({ channel: 'test', userRef: '1', queryKind: 'image' as const, modelId: MODEL, latencyMs, matched: latencyMs < 1000, topProductIds: [1, latencyMs], topScores: [0.9, 0.5], predictedCategory: 'hats', categoryConfidence: 0.75 })),
        { channel: 'test', userRef: null, queryKind: 'text', modelId: null, latencyMs: 5000, matched: true, topProductIds: [], topScores: [] },
      ]);
      const { rows } = await db.query<{ user_ref: string | null; top_product_ids: number[]; top_scores: number[]; predicted_category: string | null; category_confidence: number | null }>(
        'SELECT user_ref, top_product_ids, top_scores, predicted_category, category_confidence FROM search_log ORDER BY id',
      );
      assert.deepEqual(rows.map((row) => row.top_product_ids), [[1, 10], [1, 20], [1, 30], [1, 40], [1, 1000], []]);
      assert.deepEqual(rows[0], { user_ref: '1', top_product_ids: [1, 10], top_scores: [0.9, 0.5], predicted_category: 'hats', category_confidence: 0.75 });
      assert.deepEqual(rows[5], { user_ref: null, top_product_ids: [], top_scores: [], predicted_category: null, category_confidence: null });
      const summary = await log.summary();
      assert.equal(summary.total, 6);
      assert.equal(summary.last24h, 6);
      assert.equal(summary.noMatch, 1);
      assert.equal(summary.imageLatencyP50Ms, 30);
      assert.ok(summary.imageLatencyP95Ms! > 40 && summary.imageLatencyP95Ms! <= 1000);
    });
  });
}
