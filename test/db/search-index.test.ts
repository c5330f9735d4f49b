/**
 * The in-memory search index gives the same answers as the exact database scan, and keeps giving
 * them while the catalog changes: stock, activity, new products and images, re-embedding with
 * another model, deleted rows, and changes made by another connection (another process).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EmbeddingIndex } from '../../src/core/search/in-memory-index/embedding-index.ts';
import { nearestThroughIndex } from '../../src/core/search/in-memory-index/nearest.ts';
import { DisplayRowCache } from '../../src/core/search/in-memory-index/row-cache.ts';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/engines/postgres.ts';
import { CatalogStateRepository } from '../../src/db/repositories/catalog-state.ts';
import { ImageRepository, type NearestQuery } from '../../src/db/repositories/images.ts';
import { ProductRepository } from '../../src/db/repositories/products.ts';
import type { SearchHit } from '../../src/domain/catalog.ts';
import { testEngines } from '../helpers/databases.ts';
import { near, unitVector } from '../helpers/vectors.ts';

const MODEL = 'index-model@000000000000';
const OTHER_MODEL = 'other-model@111111111111';
const DIM = 2048;
const CENTRES = Array.from({ length: 6 }, (_, i) => unitVector(500 + i));

for (const engine of testEngines()) {
  describe(`in-memory search index on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    let index: EmbeddingIndex;
    let products: ProductRepository;
    let images: ImageRepository;
    let rows: DisplayRowCache;
    let rowReads: number[][];
    let nextSeed = 1;

    /** A search as the assistant runs it: with the catalog revision its catalog check just read. */
    async function indexed(query: NearestQuery): Promise<SearchHit[]> {
      const { revision } = await new CatalogStateRepository(db).revision();
      return nearestThroughIndex(index, rows, query, revision);
    }

    /** A product with `count` images around centre `cluster`. */
    async function addProduct(sku: string, cluster: number, options: { stock?: number; count?: number; category?: string; model?: string } = {}): Promise<number> {
      const { product } = await products.upsert({ sku, name: sku, price: '1.00', currency: 'USD', category: options.category ?? `c${cluster % 2}`, stock: options.stock ?? 2 });
      for (let i = 0; i < (options.count ?? 1); i += 1) {
        const seed = nextSeed++;
        await images.add({
          productId: product.id, source: 's', filePath: 'f', width: 1, height: 1, modelId: options.model ?? MODEL,
          sha256: seed.toString(16).padStart(64, '0'), embedding: near(CENTRES[cluster % CENTRES.length]!, seed, 0.6),
        });
      }
      return product.id;
    }

    const queries = CENTRES.map((centre, i) => near(centre, 9_000 + i, 0.5));

    /** Index answer and exact database answer for the same query. */
    async function both(query: NearestQuery): Promise<{ indexed: string[]; exact: string[]; scores: [number[], number[]] }> {
      const indexedHits = await indexed(query);
      const exactHits = await images.nearest(query);
      return {
        indexed: indexedHits.map((hit) => hit.product.sku),
        exact: exactHits.map((hit) => hit.product.sku),
        scores: [indexedHits.map((hit) => hit.score), exactHits.map((hit) => hit.score)],
      };
    }

    async function assertSameAsExact(extra: Partial<NearestQuery> = {}): Promise<void> {
      for (const query of queries) {
        // pgvector sums in float32, the index in float64: scores agree to ~1e-6.
        const { indexed, exact, scores } = await both({ near: { embedding: query }, modelId: MODEL, limit: 8, ...extra });
        assert.deepEqual(indexed, exact);
        scores[0].forEach((score, i) => assert.ok(Math.abs(score - scores[1][i]!) < 1e-5, `score ${score} vs ${scores[1][i]}`));
      }
    }

    before(async () => {
      db = await engine.open();
      products = new ProductRepository(db);
      images = new ImageRepository(db);
      rowReads = [];
      rows = new DisplayRowCache({
        searchableImages: (query, imageIds) => {
          rowReads.push([...imageIds]);
          return images.searchableImages(query, imageIds);
        },
        searchableImagesAfter: (modelId, after, limit) => images.searchableImagesAfter(modelId, after, limit),
      });
      for (let i = 0; i < 60; i += 1) await addProduct(`P${i}`, i, { stock: i % 4 === 0 ? 0 : 2, count: 1 + (i % 3) });
      await addProduct('OTHER-MODEL', 0, { model: OTHER_MODEL });
      index = await EmbeddingIndex.open({ db, modelId: MODEL, dimension: DIM });
      rows.follow(index);
    });
    after(async () => {
      await index?.close();
      await db?.close();
    });

    it('holds every image of the active model and nothing else', async () => {
      const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM product_images WHERE model_id = $1', [MODEL]);
      assert.equal((await index.stats()).images, Number(rows[0]!.count));
    });

    it('answers exactly like the database scan: in stock only, one hit per product, best first', async () => {
      await assertSameAsExact();
      const { indexed } = await both({ near: { embedding: queries[0]! }, modelId: MODEL, limit: 60 });
      const soldOut = new Set(Array.from({ length: 15 }, (_, i) => `P${i * 4}`));
      assert.ok(indexed.every((sku) => !soldOut.has(sku) && sku !== 'OTHER-MODEL'));
      assert.equal(new Set(indexed).size, indexed.length);
    });

    it('pages, filters by category, excludes a product and searches from a stored image like the database', async () => {
      await assertSameAsExact({ offset: 5, limit: 4 });
      await assertSameAsExact({ categories: ['c1'] });
      const [image] = await images.listForProduct((await products.findBySku('P1'))!.id);
      const fromImage: NearestQuery = { near: { imageId: image!.id }, modelId: MODEL, limit: 6, excludeProductId: image!.productId };
      const similar = await indexed(fromImage);
      assert.deepEqual(similar.map((hit) => hit.product.sku), (await images.nearest(fromImage)).map((hit) => hit.product.sku));
      assert.ok(similar.every((hit) => hit.product.sku !== 'P1'));
    });

    it('follows stock, activity and new products', async () => {
      const [best] = await indexed({ near: { embedding: queries[1]! }, modelId: MODEL, limit: 1 });
      await products.setStock(best!.product.sku, 0);
      await assertSameAsExact();
      let skus = (await indexed({ near: { embedding: queries[1]! }, modelId: MODEL, limit: 60 })).map((hit) => hit.product.sku);
      assert.ok(!skus.includes(best!.product.sku));
      await products.setStock(best!.product.sku, 5);
      await products.deactivate('P5');
      await addProduct('NEW', 1, { count: 2 });
      await assertSameAsExact();
      skus = (await indexed({ near: { embedding: queries[1]! }, modelId: MODEL, limit: 60 })).map((hit) => hit.product.sku);
      assert.ok(skus.includes(best!.product.sku) && skus.includes('NEW') && !skus.includes('P5'));
    });

    it('reads no product rows again while the catalog is unchanged, and shows every change at once', async () => {
      const query: NearestQuery = { near: { embedding: queries[4]! }, modelId: MODEL, limit: 5 };
      const first = await indexed(query);
      const readsBefore = rowReads.length;
      const again = await indexed(query);
      assert.equal(rowReads.length, readsBefore, 'an unchanged catalog is answered from the remembered rows');
      assert.deepEqual(again, first);

      const [best, second] = first;
      await products.upsert({ sku: best!.product.sku, name: 'Renamed', price: '9.50', currency: 'USD', category: best!.product.category, stock: 3 });
      await products.setStock(second!.product.sku, 0);
      const changed = await indexed(query);
      assert.ok(rowReads.length > readsBefore, 'a changed catalog is read again');
      assert.equal(changed[0]!.product.sku, best!.product.sku);
      assert.equal(changed[0]!.product.name, 'Renamed');
      assert.equal(changed[0]!.product.price, '9.50');
      assert.ok(!changed.some((hit) => hit.product.sku === second!.product.sku), 'a product that sold out is not offered');
      await products.setStock(second!.product.sku, 2);
    });

    it('after a sale, reads again only the rows of the product sold, and a filled cache reads none at all', async () => {
      const query: NearestQuery = { near: { embedding: queries[2]! }, modelId: MODEL, limit: 5 };
      const first = await indexed(query);
      const [sold, kept] = first;
      await products.setStock(sold!.product.sku, sold!.product.stock - 1);
      const readsBefore = rowReads.length;
      const after = await indexed(query);
      const soldImages = (await images.listForProduct(sold!.product.id)).map((image) => image.id);
      assert.deepEqual(rowReads.slice(readsBefore).flat().sort(), after.filter((hit) => hit.product.id === sold!.product.id).map((hit) => hit.image.id));
      assert.ok(soldImages.includes(after.find((hit) => hit.product.id === sold!.product.id)!.image.id));
      assert.equal(after.find((hit) => hit.product.id === sold!.product.id)!.product.stock, sold!.product.stock - 1, 'the new stock shows at once');
      assert.deepEqual(after.find((hit) => hit.product.id === kept!.product.id), kept, 'the other products kept their rows');

      const filled = await rows.fill(MODEL);
      const { rows: searchable } = await db.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM product_images pi JOIN products p ON p.id = pi.product_id WHERE pi.model_id = $1 AND p.active AND p.stock > 0',
        [MODEL],
      );
      assert.equal(filled, Number(searchable[0]!.count), 'every searchable image of the model, and nothing else');
      const readsAfterFill = rowReads.length;
      for (const near of queries) await indexed({ near: { embedding: near }, modelId: MODEL, limit: 8 });
      assert.equal(rowReads.length, readsAfterFill, 'no search needed the database for its rows');
      await assertSameAsExact();
    });

    it('reads every row from the database when the caller saw no revision or another one', async () => {
      const query: NearestQuery = { near: { embedding: queries[5]! }, modelId: MODEL, limit: 4 };
      const remembered = await indexed(query);
      const { revision } = await new CatalogStateRepository(db).revision();
      for (const seen of [undefined, revision - 1]) {
        const readsBefore = rowReads.length;
        const hits = await nearestThroughIndex(index, rows, query, seen);
        assert.equal(rowReads.length, readsBefore + 1);
        assert.deepEqual(hits, remembered);
      }
    });

    it('follows re-embedding with another model and deleted rows', async () => {
      const moved = (await images.listForProduct((await products.findBySku('P2'))!.id))[0]!;
      await images.updateEmbedding(moved.id, OTHER_MODEL, unitVector(77));
      const otherImage = (await images.listForProduct((await products.findBySku('OTHER-MODEL'))!.id))[0]!;
      await images.updateEmbedding(otherImage.id, MODEL, near(CENTRES[2]!, 4242, 0.1));
      await db.query('DELETE FROM product_images WHERE product_id = (SELECT id FROM products WHERE sku = $1)', ['P3']);
      await db.query('DELETE FROM products WHERE sku = $1', ['P7']);
      await assertSameAsExact();
      const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM product_images WHERE model_id = $1', [MODEL]);
      assert.equal((await index.stats()).images, Number(rows[0]!.count));
    });

    it('starts over when the catalog revision goes backwards (a restored backup)', async () => {
      await db.query('UPDATE catalog_state SET revision = 0');
      await db.query('DELETE FROM product_images WHERE product_id = (SELECT id FROM products WHERE sku = $1)', ['P9']);
      await db.query('UPDATE catalog_state SET revision = 1');
      await assertSameAsExact();
      const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM product_images WHERE model_id = $1', [MODEL]);
      assert.equal((await index.stats()).images, Number(rows[0]!.count));
    });

    if (engine.name === 'postgres') {
      it('sees changes another process makes on the shared database', async () => {
        const schema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
        const other = await openPostgres({ url: process.env.TEST_DATABASE_URL!, schema, maxConnections: 1 });
        try {
          const otherProducts = new ProductRepository(other);
          const [best] = await indexed({ near: { embedding: queries[3]! }, modelId: MODEL, limit: 1 });
          await otherProducts.setStock(best!.product.sku, 0);
          const { product } = await otherProducts.upsert({ sku: 'ELSEWHERE', name: 'x', price: '1.00', currency: 'USD', category: 'c1', stock: 1 });
          await new ImageRepository(other).add({
            productId: product.id, source: 's', filePath: 'f', width: 1, height: 1, modelId: MODEL,
            sha256: 'e'.repeat(64), embedding: near(queries[3]!, 1, 0.01),
          });
          const skus = (await indexed({ near: { embedding: queries[3]! }, modelId: MODEL, limit: 3 })).map((hit) => hit.product.sku);
          assert.equal(skus[0], 'ELSEWHERE');
          assert.ok(!skus.includes(best!.product.sku));
          await assertSameAsExact();
        } finally {
          await other.close();
        }
      });
    }
  });
}
