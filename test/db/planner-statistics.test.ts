/**
 * PGlite runs no autovacuum, so the app refreshes the catalog tables' planner statistics itself:
 * when the embedded database opens and after bulk changes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { openDatabase } from '../../src/db/open.ts';
import { refreshPlannerStatistics } from '../../src/db/planner-statistics.ts';

/** Rows the planner believes product_images holds (-1: never analysed). */
async function plannedRows(db: Database): Promise<number> {
  const { rows } = await db.query<{ reltuples: number }>("SELECT reltuples FROM pg_class WHERE relname = 'product_images'");
  return Number(rows[0]!.reltuples);
}

async function addProducts(db: Database, from: number, count: number): Promise<void> {
  await db.exec(`
    INSERT INTO products (sku, name, price, currency, category, stock)
      SELECT 'S' || n, 'Product ' || n, 10, 'EUR', 'Hats', 1 FROM generate_series(${from}, ${from + count - 1}) AS n;
    INSERT INTO product_images (product_id, source, file_path, sha256, width, height, model_id, embedding)
      SELECT id, 'src' || id, 'images/' || id || '.jpg', md5(id::text) || md5(id::text), 10, 10, 'm@1', array_fill(0.5, ARRAY[2048])::halfvec
      FROM products WHERE NOT EXISTS (SELECT 1 FROM product_images pi WHERE pi.product_id = products.id)`);
}

test('opening the embedded database refreshes the statistics the planner has of the catalog', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-stats-'));
  try {
    const first = await openDatabase({ url: undefined, dataDir });
    await addProducts(first, 1, 40);
    assert.ok((await plannedRows(first)) < 40, 'nothing analysed the new rows yet');
    await first.close();
    const again = await openDatabase({ url: undefined, dataDir });
    assert.equal(await plannedRows(again), 40);
    await addProducts(again, 41, 10);
    await refreshPlannerStatistics(again);
    assert.equal(await plannedRows(again), 50, 'and after a bulk change');
    await again.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
