/**
 * `npm start` warms photo search up before it reports ready (Assistant.prepareSearch): one search
 * runs through the in-memory index and the database, so the first customer does not pay the
 * path's one-time costs, and the searchable catalog's display rows are read; it is neither logged
 * nor allowed to fail the start.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { ImageRepository } from '../../src/db/repositories/images.ts';
import { seedCatalog, seededAssistantPerTest, TRAINABLE_CATALOG } from '../helpers/bot-fixtures.ts';
import { ColourHistogramModel, customerPhoto } from '../helpers/colour-model.ts';

describe('warming photo search up at start', () => {
  const seeded = seededAssistantPerTest();

  const searchCount = async () => Number((await seeded().db.query<{ count: number }>('SELECT count(*)::int AS count FROM search_log')).rows[0]!.count);

  it('runs one search through the in-memory index and the rows query, and logs no search', async () => {
    const { assistant, log } = seeded();
    const rowsQuery = mock.method(ImageRepository.prototype, 'searchableImages');
    const exactScan = mock.method(ImageRepository.prototype, 'nearest');
    await assistant.prepareSearch();
    assert.equal(rowsQuery.mock.callCount(), 1, 'the index path ran once');
    assert.equal(exactScan.mock.callCount(), 0, 'not the database scan');
    assert.ok(await assistant.searchIndex(), 'the index is open');
    assert.equal(await searchCount(), 0);
    assert.deepEqual(log.matching(/warm up/), []);
  });

  it('reads the display rows of the searchable catalog, so the first customer\'s search reads none', async () => {
    const { assistant } = seeded();
    // More products than the warm-up search itself shows (10), so only reading the catalog covers them all.
    await seedCatalog(assistant, TRAINABLE_CATALOG);
    const { total } = await assistant.catalog.list({ limit: 1 });
    await assistant.prepareSearch();
    const rowsQuery = mock.method(ImageRepository.prototype, 'searchableImages');
    const answer = await assistant.search.searchByImage(await customerPhoto(['#ff0000']), 'customer', { limit: total }, { channel: 'test' });
    assert.equal(answer.hits.length, total);
    assert.match(answer.hits[0]!.product.name, /Red dress/);
    assert.equal(rowsQuery.mock.callCount(), 0, 'every row was read at start');
  });

  it('only warns when search cannot be warmed up (the catalog needs reindexing), and the start goes on', async () => {
    const { assistant, db, log } = seeded();
    const { items: [first] } = await assistant.catalog.list({ limit: 1 });
    await new ImageRepository(db).add({
      productId: first!.product.id, source: 's', filePath: 'f', width: 1, height: 1, modelId: 'another-model@000000000000',
      sha256: 'f'.repeat(64), embedding: new Float32Array(new ColourHistogramModel().dimension).fill(0.1),
    });
    await assistant.prepareSearch();
    assert.equal(log.matching(/could not warm up photo search/).length, 1);
    assert.equal(await searchCount(), 0);
  });
});
