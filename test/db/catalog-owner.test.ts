/**
 * The owner's catalog operations behind the dashboard: listing with filters, sorting and paging,
 * editing with validation, creating with several photos, and the one-click demo catalog.
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { Assistant } from '../../src/core/assistant.ts';
import { InvalidProductError, ProductExistsError, UnknownProductError } from '../../src/core/errors.ts';
import { seedCatalog } from '../helpers/bot-fixtures.ts';
import { ColourHistogramModel, bandsPng } from '../helpers/colour-model.ts';
import { testEngines } from '../helpers/databases.ts';

const exists = (file: string) => access(file).then(() => true, () => false);

for (const engine of testEngines()) {
  describe(`owner catalog operations on ${engine.name}`, { skip: engine.skip }, () => {
    let assistant: Assistant;
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-owner-'));
      const config = loadConfig({ DATA_DIR: dataDir, SHOP_CURRENCY: 'EUR', LOG_LEVEL: 'silent' }, process.cwd());
      const model = new ColourHistogramModel();
      assistant = await Assistant.create({ config, logger: pino({ level: 'silent' }), loadModel: () => Promise.resolve(model), db: await engine.open() });
      await seedCatalog(assistant);
    });
    after(async () => {
      await assistant?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('lists with search, category and stock filters, sorting and paging', async () => {
      const all = await assistant.catalog.list({ limit: 3, sort: 'name' });
      assert.equal(all.total, 8);
      assert.deepEqual(all.items.map((item) => item.product.name), ['Blue jeans', 'Christmas scarf', 'Green hat']);
      assert.equal(all.items[0]!.imageCount, 1);
      assert.ok(all.items[0]!.image);
      const second = await assistant.catalog.list({ limit: 3, offset: 3, sort: 'name' });
      assert.deepEqual(second.items.map((item) => item.product.name), ['Patriot shirt', 'Red dress', 'Striped cap']);
      const hats = await assistant.catalog.list({ limit: 10, category: 'Hats', sort: 'sku', direction: 'desc' });
      assert.deepEqual(hats.items.map((item) => item.product.sku), ['RED-WHITE-CAP', 'GREEN-HAT']);
      const red = await assistant.catalog.list({ limit: 10, search: 'red' });
      assert.deepEqual(red.items.map((item) => item.product.sku).sort(), ['RED-BLUE-SHIRT', 'RED-DRESS', 'RED-GREEN-SCARF', 'RED-WHITE-CAP', 'RED-YELLOW-BAG']);
      await assistant.catalog.setStock('GREEN-HAT', 0);
      assert.deepEqual((await assistant.catalog.list({ limit: 10, stock: 'out' })).items.map((item) => item.product.sku), ['GREEN-HAT']);
      assert.equal((await assistant.catalog.list({ limit: 10, stock: 'in' })).total, 7);
      const beyond = await assistant.catalog.list({ limit: 3, offset: 30 });
      assert.deepEqual(beyond, { items: [], total: 8 });
      const categories = await assistant.catalog.categories();
      assert.deepEqual(categories.find((entry) => entry.category === 'Shirts'), { category: 'Shirts', products: 2 });
    });

    it('edits fields with the same validation as new products, changing nothing on bad input', async () => {
      const updated = await assistant.catalog.update('RED-DRESS', { price: '59,5', stock: 7, name: '  Long red dress ' });
      assert.equal(updated.price, '59.50');
      assert.equal(updated.stock, 7);
      assert.equal(updated.name, 'Long red dress');
      await assert.rejects(assistant.catalog.update('RED-DRESS', { price: '-3', stock: 'many' }), (error: unknown) => {
        assert.ok(error instanceof InvalidProductError);
        assert.equal(error.problems.length, 2);
        return true;
      });
      assert.equal((await assistant.catalog.findProduct('RED-DRESS'))!.price, '59.50');
      await assert.rejects(assistant.catalog.update('NOPE', { stock: 1 }), UnknownProductError);
      await assistant.catalog.remove('RED-DRESS');
      assert.equal((await assistant.catalog.list({ limit: 10, status: 'inactive' })).items[0]!.product.sku, 'RED-DRESS');
      assert.equal((await assistant.catalog.restore('RED-DRESS')).active, true);
    });

    it('creates a product with several photos, refusing unreadable photos and taken SKUs', async () => {
      const photos = [{ data: await bandsPng(['#ff00ff']), source: 'front.png' }, { data: await bandsPng(['#ff00ff', '#000000']), source: 'back.png' }];
      const raw = { sku: 'PINK-TOP', name: 'Pink top', price: '25', currency: 'EUR', category: 'Shirts', stock: 2 };
      await assert.rejects(assistant.catalog.createProduct(raw, [...photos, { data: Buffer.from('junk'), source: 'notes.txt' }]), (error: unknown) => {
        assert.ok(error instanceof InvalidProductError);
        assert.match(error.message, /notes\.txt/);
        return true;
      });
      assert.equal(await assistant.catalog.findProduct('PINK-TOP'), undefined);
      await assert.rejects(assistant.catalog.createProduct(raw, []), /at least one photo/);
      const outcome = await assistant.catalog.createProduct(raw, photos);
      assert.equal(outcome.kind, 'created');
      assert.equal(outcome.addedImages.length, 2);
      await assert.rejects(assistant.catalog.createProduct(raw, photos), ProductExistsError);
    });

    it('loads a labelled demo catalog that search finds, and removes exactly it with its files', async () => {
      assert.equal(await assistant.demo.loaded(), 0);
      const added = await assistant.demo.load();
      assert.equal(added, 12);
      assert.equal(await assistant.demo.load(), 0);
      assert.equal(await assistant.demo.loaded(), 12);
      const demoItems = (await assistant.catalog.list({ limit: 50, search: 'demo' })).items;
      assert.ok(demoItems.every((item) => item.demo && item.product.name.startsWith('Demo ') && item.product.currency === 'EUR'));
      const files = demoItems.map((item) => path.join(dataDir, item.image!.filePath));
      assert.ok(await exists(files[0]!));
      const samples = await assistant.demo.samples();
      assert.ok(samples.length >= 3);
      for (const sample of samples) {
        const answer = await assistant.search.searchByImage(sample.jpeg, 'sample', { limit: 3 }, { channel: 'test' });
        assert.equal(answer.hits[0]!.product.sku.toLowerCase(), sample.id, `sample ${sample.id}`);
      }
      assert.equal(await assistant.demo.remove(), 12);
      assert.equal(await assistant.demo.loaded(), 0);
      assert.equal((await assistant.catalog.list({ limit: 50 })).total, 9);
      assert.equal(await exists(files[0]!), false);
    });
  });
}
