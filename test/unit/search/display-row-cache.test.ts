/**
 * The display-row cache of photo search: which rows it asks the database for, depending on the
 * catalog revision the index reflects and the one the search read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DisplayRowCache, type DisplayRow } from '../../../src/core/search/in-memory-index/row-cache.ts';

const QUERY = { modelId: 'm@1' };

function row(imageId: number, name: string): DisplayRow {
  const at = new Date(0);
  return {
    product: { id: imageId * 10, sku: `S${imageId}`, name, description: '', price: '1.00', currency: 'EUR', category: 'c', stock: 1, url: null, active: true, createdAt: at, updatedAt: at },
    image: { id: imageId, productId: imageId * 10, source: 's', filePath: 'f', sha256: '0'.repeat(64), width: 1, height: 1, modelId: 'm@1' },
  };
}

/** A database whose catalog is at `revision`, names its rows `name`, and hides `hidden` ids. */
function database(state: { revision: number; name: string; hidden?: Set<number> }) {
  const asked: number[][] = [];
  return {
    asked,
    searchableImages: (_query: unknown, imageIds: readonly number[]) => {
      asked.push([...imageIds]);
      const visible = imageIds.filter((id) => !state.hidden?.has(id));
      return Promise.resolve({ hits: new Map(visible.map((id) => [id, row(id, state.name)])), catalogRevision: state.revision });
    },
  };
}

const names = (rows: { hits: ReadonlyMap<number, DisplayRow> }) => [...rows.hits].map(([id, found]) => `${id}:${found.product.name}`).sort();

describe('display-row cache', () => {
  it('asks the database only for rows it has not seen at the current revision', async () => {
    const db = database({ revision: 7, name: 'a' });
    const cache = new DisplayRowCache(db);
    assert.deepEqual(names(await cache.read(QUERY, [1, 2, 3], 7, 7)), ['1:a', '2:a', '3:a']);
    const second = await cache.read(QUERY, [3, 1, 4], 7, 7);
    assert.deepEqual(db.asked, [[1, 2, 3], [4]]);
    assert.deepEqual(names(second), ['1:a', '3:a', '4:a']);
    assert.equal(second.catalogRevision, 7);
    await cache.read(QUERY, [2, 4], 7, 7);
    assert.equal(db.asked.length, 2, 'everything remembered: no database round trip');
  });

  it('reads every row when the search saw no revision, or one the index does not reflect', async () => {
    const db = database({ revision: 7, name: 'a' });
    const cache = new DisplayRowCache(db);
    await cache.read(QUERY, [1, 2], 7, 7);
    await cache.read(QUERY, [1, 2], 7);
    await cache.read(QUERY, [1, 2], 7, 8);
    assert.deepEqual(db.asked, [[1, 2], [1, 2], [1, 2]]);
  });

  it('forgets every row when the index moves to another revision', async () => {
    const state = { revision: 7, name: 'old' };
    const db = database(state);
    const cache = new DisplayRowCache(db);
    await cache.read(QUERY, [1, 2], 7, 7);
    Object.assign(state, { revision: 8, name: 'new' });
    assert.deepEqual(names(await cache.read(QUERY, [1, 2], 8, 8)), ['1:new', '2:new']);
    assert.deepEqual(db.asked, [[1, 2], [1, 2]]);
  });

  it('returns the database answer as it is, and keeps none of it, when the catalog moved past the index', async () => {
    const state = { revision: 9, name: 'newer' };
    const db = database(state);
    const cache = new DisplayRowCache(db);
    const read = await cache.read(QUERY, [1], 8, 8);
    assert.equal(read.catalogRevision, 9, 'the caller sees the revision moved and syncs the index');
    await cache.read(QUERY, [1], 8, 8);
    assert.deepEqual(db.asked, [[1], [1]]);
  });

  it('leaves out rows the database no longer shows, and asks for them again next time', async () => {
    const db = database({ revision: 7, name: 'a', hidden: new Set([2]) });
    const cache = new DisplayRowCache(db);
    assert.deepEqual(names(await cache.read(QUERY, [1, 2], 7, 7)), ['1:a']);
    assert.deepEqual(names(await cache.read(QUERY, [1, 2], 7, 7)), ['1:a']);
    assert.deepEqual(db.asked, [[1, 2], [2]]);
  });

  it('keeps at most its capacity, dropping the least recently stored rows first', async () => {
    const db = database({ revision: 7, name: 'a' });
    const cache = new DisplayRowCache(db, 2);
    await cache.read(QUERY, [1, 2], 7, 7);
    await cache.read(QUERY, [3], 7, 7);
    assert.deepEqual(names(await cache.read(QUERY, [1, 2, 3], 7, 7)), ['1:a', '2:a', '3:a'], 'rows dropped while answering still count');
    assert.deepEqual(db.asked, [[1, 2], [3], [1]]);
  });
});
