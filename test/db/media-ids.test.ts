/**
 * The file_ids Telegram gave uploaded product photos: stored in one statement per answer, read
 * from memory once known, forgotten when Telegram refuses them; on both engines. On the embedded
 * database (one process owns it) every id of the bot is read once and missing ones are never
 * looked up; on PostgreSQL another assistant may have stored them, so they are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MediaIdCache } from '../../src/core/catalog/media-id-cache.ts';
import type { Database } from '../../src/db/database.ts';
import { testEngines } from '../helpers/databases.ts';

const BOT = 42;

/** The database, counting the statements that reach it. */
function counting(db: Database): { db: Database; statements: () => number } {
  let statements = 0;
  const counted: Database = { ...db, query: (sql, params) => ((statements += 1), db.query(sql, params)) };
  return { db: counted, statements: () => statements };
}

async function addImages(db: Database, count: number): Promise<number[]> {
  await db.exec(`
    INSERT INTO products (sku, name, price, currency, category, stock)
      SELECT 'MEDIA' || n, 'Product ' || n, 10, 'EUR', 'Hats', 1 FROM generate_series(1, ${count}) AS n;
    INSERT INTO product_images (product_id, source, file_path, sha256, width, height, model_id, embedding)
      SELECT id, 'src' || id, 'images/' || id || '.jpg', md5(id::text) || md5(id::text), 10, 10, 'm@1', array_fill(0.5, ARRAY[2048])::halfvec
      FROM products WHERE sku LIKE 'MEDIA%'`);
  const { rows } = await db.query<{ id: number }>("SELECT pi.id FROM product_images pi JOIN products p ON p.id = pi.product_id WHERE p.sku LIKE 'MEDIA%' ORDER BY pi.id");
  return rows.map((row) => Number(row.id));
}

for (const engine of testEngines()) {
  describe(`product photo file_ids on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    let images: number[];

    before(async () => {
      db = await engine.open();
      images = await addImages(db, 4);
    });
    after(() => db?.close());

    it('stores an answer’s new file_ids in one statement and skips images deleted meanwhile', async () => {
      const { db: counted, statements } = counting(db);
      const cache = new MediaIdCache(counted);
      await db.query('DELETE FROM product_images WHERE id = $1', [images[3]]);
      await cache.saveAll(BOT, new Map([[images[0]!, 'FILE-a'], [images[1]!, 'FILE-b'], [images[3]!, 'FILE-gone']]));
      assert.equal(statements(), 1);
      const { rows } = await db.query<{ image_id: number; file_id: string }>('SELECT image_id, file_id FROM telegram_media WHERE bot_id = $1 ORDER BY image_id', [BOT]);
      assert.deepEqual(rows.map((row) => [Number(row.image_id), row.file_id]), [[images[0], 'FILE-a'], [images[1], 'FILE-b']]);
    });

    it('reads known file_ids from memory and only looks up the others', async () => {
      const { db: counted, statements } = counting(db);
      const fresh = new MediaIdCache(counted);
      assert.deepEqual(await fresh.fileIds(BOT, [images[0]!, images[2]!]), new Map([[images[0]!, 'FILE-a']]));
      assert.equal(statements(), 1, 'a new process reads what earlier ones stored');
      assert.deepEqual(await fresh.fileIds(BOT, [images[0]!]), new Map([[images[0]!, 'FILE-a']]));
      assert.equal(statements(), 1, 'known now: no database round trip');
      await fresh.fileIds(BOT, [images[0]!, images[2]!]);
      if (engine.name === 'pglite') {
        assert.equal(statements(), 1, 'the only process storing file_ids already read them all: an image without one has none');
      } else {
        assert.equal(statements(), 2, 'an image without a file_id is looked up again, since another process may have sent it');
      }
      assert.deepEqual(await fresh.fileIds(BOT + 1, [images[0]!]), new Map(), 'file_ids belong to one bot');
    });

    it('when the channel starts, reads every file_id of the bot at once on the embedded database only', async () => {
      const { db: counted, statements } = counting(db);
      const fresh = new MediaIdCache(counted);
      await fresh.prepare(BOT);
      assert.equal(statements(), engine.name === 'pglite' ? 1 : 0);
      const before = statements();
      assert.deepEqual(await fresh.fileIds(BOT, [images[0]!, images[2]!]), new Map([[images[0]!, 'FILE-a']]));
      assert.equal(statements(), engine.name === 'pglite' ? before : before + 1);
    });

    it('on the embedded database, goes back to looking file_ids up once they no longer fit in memory', { skip: engine.name !== 'pglite' }, async () => {
      await new MediaIdCache(db).saveAll(BOT, new Map([[images[1]!, 'FILE-b'], [images[2]!, 'FILE-c']]));
      const tooMany = counting(db);
      await new MediaIdCache(tooMany.db, 2).fileIds(BOT, [images[0]!]);
      assert.equal(tooMany.statements(), 2, 'three stored, room for two: the missing one is looked up');

      const full = counting(db);
      const cache = new MediaIdCache(full.db, 3);
      await cache.fileIds(BOT, [images[0]!]);
      assert.equal(full.statements(), 1, 'all three read at once');
      await cache.saveAll(BOT + 1, new Map([[images[0]!, 'FILE-other-bot']]));
      const before = full.statements();
      const all = await cache.fileIds(BOT, [images[0]!, images[1]!, images[2]!]);
      assert.deepEqual([...all.values()].sort(), ['FILE-a', 'FILE-b', 'FILE-c'], 'the one dropped from memory is read again');
      assert.equal(full.statements(), before + 1);
      await db.query('DELETE FROM telegram_media WHERE bot_id = $1', [BOT + 1]);
      await new MediaIdCache(db).forget(BOT, images[2]!);
    });

    it('forgets a refused file_id in memory and in the database', async () => {
      const cache = new MediaIdCache(db);
      await cache.fileIds(BOT, [images[1]!]);
      await cache.forget(BOT, images[1]!);
      assert.deepEqual(await cache.fileIds(BOT, [images[1]!]), new Map());
      assert.deepEqual(await new MediaIdCache(db).fileIds(BOT, [images[1]!]), new Map());
    });

    it('keeps at most its capacity in memory, dropping the least recently used', async () => {
      await new MediaIdCache(db).saveAll(BOT, new Map([[images[1]!, 'FILE-b'], [images[2]!, 'FILE-c']]));
      const { db: counted, statements } = counting(db);
      const small = new MediaIdCache(counted, 2);
      await small.fileIds(BOT, [images[0]!, images[1]!]);
      await small.fileIds(BOT, [images[0]!]);
      await small.fileIds(BOT, [images[2]!]);
      const before = statements();
      assert.equal((await small.fileIds(BOT, [images[0]!])).get(images[0]!), 'FILE-a');
      assert.equal(statements(), before, 'used recently, so kept');
      assert.equal((await small.fileIds(BOT, [images[1]!])).get(images[1]!), 'FILE-b');
      assert.equal(statements(), before + 1, 'the least recently used was dropped and read again');
    });

    it('does not bring back a file_id refused while all of the bot\'s were being read', { skip: engine.name !== 'pglite' }, async () => {
      const cache = new MediaIdCache(db);
      const reading = cache.fileIds(BOT, [images[0]!]);
      const refused = cache.forget(BOT, images[0]!);
      await Promise.all([reading, refused]);
      assert.deepEqual(await cache.fileIds(BOT, [images[0]!]), new Map());
    });
  });
}
