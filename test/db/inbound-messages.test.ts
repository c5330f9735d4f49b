import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { InboundLedger } from '../../src/core/conversation/inbound-ledger.ts';
import type { Database } from '../../src/db/database.ts';
import { InboundMessageRepository } from '../../src/db/repositories/inbound-messages.ts';
import { testEngines } from '../helpers/databases.ts';

const silent = pino({ level: 'silent' });

for (const engine of testEngines()) {
  describe(`inbound message ids on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    let repository: InboundMessageRepository;

    before(async () => {
      db = await engine.open();
      repository = new InboundMessageRepository(db);
    });
    after(() => db?.close());

    it('claims an id once per channel', async () => {
      assert.equal(await repository.claim('instagram', 'mid.1'), true);
      assert.equal(await repository.claim('instagram', 'mid.1'), false);
      assert.equal(await repository.claim('web', 'mid.1'), true);
    });

    it('prunes only records older than the retention', async () => {
      await repository.claim('instagram', 'mid.old');
      await db.query("UPDATE inbound_messages SET received_at = now() - interval '8 days' WHERE message_id = 'mid.old'");
      assert.equal(await repository.pruneOlderThan(7), 1);
      assert.equal(await repository.claim('instagram', 'mid.old'), true);
      assert.equal(await repository.claim('instagram', 'mid.1'), false);
    });

    it('a new ledger on the same database (a restart) still refuses a redelivery', async () => {
      const before = new InboundLedger(repository, silent);
      assert.equal(await before.firstDelivery('instagram', 'mid.restart'), true);
      const afterRestart = new InboundLedger(new InboundMessageRepository(db), silent);
      assert.equal(await afterRestart.firstDelivery('instagram', 'mid.restart'), false);
    });
  });
}

describe('inbound ledger without its database', () => {
  it('lets one of two concurrent deliveries through and falls back to memory when the store fails', async () => {
    let claims = 0;
    const failing = {
      claim: () => {
        claims += 1;
        return Promise.reject(new Error('database down'));
      },
      pruneOlderThan: () => Promise.resolve(0),
    };
    const ledger = new InboundLedger(failing, silent, { memory: 2 });
    const [first, second] = await Promise.all([ledger.firstDelivery('instagram', 'a'), ledger.firstDelivery('instagram', 'a')]);
    assert.deepEqual([first, second], [true, false]);
    assert.equal(claims, 1);
    // Bounded memory: after two newer ids, "a" is forgotten.
    await ledger.firstDelivery('instagram', 'b');
    await ledger.firstDelivery('instagram', 'c');
    assert.equal(await ledger.firstDelivery('instagram', 'a'), true);
  });
});
