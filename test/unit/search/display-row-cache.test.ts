/**
 * The display-row cache of photo search: which rows it asks the database for, depending on the
 * catalog revision the index reflects and the one the search read, how it follows the index's
 * syncs, and how it is filled before the first customer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IndexUpdate } from '../../../src/core/search/in-memory-index/embedding-index.ts';
import { DisplayRowCache, type DisplayRow } from '../../../src/core/search/in-memory-index/row-cache.ts';

const QUERY = { modelId: 'm@1' };

function row(imageId: number, name: string): DisplayRow {
  const at = new Date(0);
  return {
    product: { id: imageId * 10, sku: `S${imageId}`, name, description: '', price: '1.00', currency: 'EUR', category: 'c', stock: 1, url: null, active: true, createdAt: at, updatedAt: at },
    image: { id: imageId, productId: imageId * 10, source: 's', filePath: 'f', sha256: '0'.repeat(64), width: 1, height: 1, modelId: 'm@1' },
  };
}

/**
 * A database whose catalog is at `revision`, names its rows `name`, hides `hidden` ids and holds
 * searchable images 1…`images` (for filling).
 */
function database(state: { revision: number; name: string; hidden?: Set<number>; images?: number }) {
  const asked: number[][] = [];
  const pages: [after: number, limit: number][] = [];
  return {
    asked,
    pages,
    searchableImages: (_query: unknown, imageIds: readonly number[]) => {
      asked.push([...imageIds]);
      const visible = imageIds.filter((id) => !state.hidden?.has(id));
      return Promise.resolve({ hits: new Map(visible.map((id) => [id, row(id, state.name)])), catalogRevision: state.revision });
    },
    searchableImagesAfter: (_modelId: string, after: number, limit: number) => {
      pages.push([after, limit]);
      const ids = Array.from({ length: state.images ?? 0 }, (_, i) => i + 1).filter((id) => id > after && !state.hidden?.has(id)).slice(0, limit);
      return Promise.resolve({ hits: new Map(ids.map((id) => [id, row(id, state.name)])), catalogRevision: state.revision });
    },
  };
}

/** An index at `catalogRevision` whose syncs the test announces. */
function index(catalogRevision: number) {
  const listeners = new Set<(update: IndexUpdate) => void>();
  return {
    catalogRevision,
    onUpdate: (listener: (update: IndexUpdate) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    announce(update: IndexUpdate) {
      this.catalogRevision = update.kind === 'reloaded' ? update.revision : update.to;
      for (const listener of listeners) listener(update);
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

  it('follows the index: a catalog change drops only the rows of the products and images it touched', async () => {
    const state = { revision: 7, name: 'a' };
    const db = database(state);
    const cache = new DisplayRowCache(db);
    const followed = index(7);
    cache.follow(followed);
    await cache.read(QUERY, [1, 2, 3, 4], 7, 7);
    Object.assign(state, { revision: 8, name: 'b' });
    // Image 2 belongs to product 20 (see row()); image 3 itself changed.
    followed.announce({ kind: 'advanced', from: 7, to: 8, productIds: [20], imageIds: [3] });
    assert.deepEqual(names(await cache.read(QUERY, [1, 2, 3, 4], 8, 8)), ['1:a', '2:b', '3:b', '4:a']);
    assert.deepEqual(db.asked, [[1, 2, 3, 4], [2, 3]]);
  });

  it('empties itself when the index reloads, skips a revision it did not hold, or another index is followed', async () => {
    const state = { revision: 7, name: 'a' };
    const db = database(state);
    const cache = new DisplayRowCache(db);
    const followed = index(7);
    cache.follow(followed);
    await cache.read(QUERY, [1, 2], 7, 7);
    followed.announce({ kind: 'reloaded', revision: 3 });
    assert.equal(cache.size, 0, 'a restored backup');
    state.revision = 3;
    await cache.read(QUERY, [1, 2], 3, 3);
    followed.announce({ kind: 'advanced', from: 5, to: 6, productIds: [], imageIds: [] });
    assert.equal(cache.size, 0, 'changes from a revision the rows were not read at');
    state.revision = 6;
    await cache.read(QUERY, [1, 2], 6, 6);
    cache.follow(followed);
    assert.equal(cache.size, 2, 'following the same index again keeps the rows');
    const reopened = index(6);
    cache.follow(reopened);
    assert.equal(cache.size, 0, 'a reopened index starts empty');
    followed.announce({ kind: 'advanced', from: 6, to: 9, productIds: [], imageIds: [] });
    await cache.read(QUERY, [1], 6, 6);
    assert.equal(cache.size, 1, 'the index no longer followed has no say');
  });

  it('fills with the searchable catalog a chunk at a time, after which searches need no database', async () => {
    const db = database({ revision: 7, name: 'a', images: 600, hidden: new Set([5]) });
    const cache = new DisplayRowCache(db);
    cache.follow(index(7));
    assert.equal(await cache.fill(QUERY.modelId), 599);
    assert.deepEqual(db.pages, [[0, 250], [251, 250], [501, 250]]);
    assert.deepEqual(names(await cache.read(QUERY, [1, 600], 7, 7)), ['1:a', '600:a']);
    assert.deepEqual(db.asked, [], 'every row was there already');
  });

  it('fills up to its capacity, and keeps nothing read after the catalog moved past the index', async () => {
    const full = database({ revision: 7, name: 'a', images: 600 });
    const small = new DisplayRowCache(full, 300);
    small.follow(index(7));
    assert.equal(await small.fill(QUERY.modelId), 300);
    assert.deepEqual(full.pages, [[0, 250], [250, 50]]);

    const moved = database({ revision: 8, name: 'a', images: 600 });
    const behind = new DisplayRowCache(moved);
    behind.follow(index(7));
    assert.equal(await behind.fill(QUERY.modelId), 0);
    assert.equal(moved.pages.length, 1, 'stops at the first chunk');
  });
});
