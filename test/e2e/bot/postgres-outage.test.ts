/**
 * The bot on a real PostgreSQL: an owner's /add whose transaction loses its connection (the
 * backend is terminated while it waits on a row lock) gets "temporarily unavailable", nothing is
 * half-written, the process does not crash, and the next /add works. Needs TEST_DATABASE_URL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Database } from '../../../src/db/database.ts';
import { bandsPng } from '../../helpers/colour-model.ts';
import { startBotHarness, type BotHarness } from '../../helpers/bot-fixtures.ts';
import { openTestPostgres } from '../../helpers/databases.ts';

const url = process.env.TEST_DATABASE_URL;
const skip = url ? false : 'TEST_DATABASE_URL is not set: no real PostgreSQL to test against (.ci/run sets it up)';

describe('bot on PostgreSQL: connection lost inside a transaction', { skip }, () => {
  let harness: BotHarness;
  let db: Database;
  let admin: pg.Client;
  let uncaught: unknown;
  const onUncaught = (error: unknown) => (uncaught = error);

  before(async () => {
    process.on('uncaughtException', onUncaught);
    harness = await startBotHarness({ openDatabase: async () => (db = await openTestPostgres(url!)) });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  after(async () => {
    process.off('uncaughtException', onUncaught);
    await admin?.end();
    await harness?.close();
  });

  test('the owner hears "temporarily unavailable" and the next /add works', async () => {
    const schema = (await db.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
    const owner = harness.owner();
    owner.sendPhoto(await bandsPng(['#ff00ff']), { caption: '/add Purple coat | 120.50 | Coats | 2 | COAT-PURPLE' });
    assert.match((await owner.answer()).text, /COAT-PURPLE/);

    // Another session holds the product's row; the owner's next /add of that SKU waits on it.
    await admin.query('BEGIN');
    await admin.query(`SELECT * FROM ${schema}.products WHERE sku = 'COAT-PURPLE' FOR UPDATE`);
    owner.sendPhoto(await bandsPng(['#aa00aa']), { caption: '/add Purple coat | 99 | Coats | 5 | COAT-PURPLE' });
    let waiting: number | undefined;
    for (let i = 0; i < 400 && waiting === undefined; i++) {
      const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()`);
      waiting = rows[0]?.pid;
      if (waiting === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(waiting, 'the /add transaction waits on the lock');
    await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
    assert.match((await owner.answer()).text, /temporarily unavailable, please try again in a minute/);
    await admin.query('ROLLBACK');
    assert.equal(uncaught, undefined, 'no crash');
    const { rows } = await db.query<{ price: string; stock: number }>(`SELECT price::text AS price, stock FROM products WHERE sku = 'COAT-PURPLE'`);
    assert.deepEqual(rows, [{ price: '120.50', stock: 2 }], 'the failed /add changed nothing');

    owner.sendPhoto(await bandsPng(['#aa00aa']), { caption: '/add Purple coat | 99 | Coats | 5 | COAT-PURPLE' });
    assert.match((await owner.answer()).text, /COAT-PURPLE/);
  });
});
