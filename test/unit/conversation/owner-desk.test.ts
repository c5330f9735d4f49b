/** The owner desk with fake services: permissions, parsing, answers, and /train in the background. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { OwnerDesk, type Asker, type OwnerAnswer } from '../../../src/core/conversation/index.ts';
import { UnknownProductError } from '../../../src/core/errors.ts';
import type { StartTrainingOptions, TrainingResult } from '../../../src/core/training/training-service.ts';
import { TrainingAbortedError } from '../../../src/core/training/index.ts';
import type { Product } from '../../../src/domain/catalog.ts';

const owner: Asker = { channel: 'telegram', userRef: '1', lang: 'en', isOwner: true };
const customer: Asker = { channel: 'telegram', userRef: '2', lang: 'en' };

const coat: Product = {
  id: 1, sku: 'COAT', name: 'Coat', description: '', price: '10.00', currency: 'EUR', category: 'Coats', stock: 3, url: null, active: true,
  createdAt: new Date(0), updatedAt: new Date(0),
};

function desk(training: { startTraining(options: StartTrainingOptions): Promise<TrainingResult> } = { startTraining: () => new Promise(() => undefined) }) {
  const changes: string[] = [];
  const instance = new OwnerDesk({
    catalog: {
      addProductWithPhoto: () => Promise.reject(new Error('not used')),
      setStock: (sku, stock) => (sku === 'COAT' ? Promise.resolve((changes.push(`stock ${stock}`), { ...coat, stock })) : Promise.reject(new UnknownProductError(sku))),
      setPrice: () => Promise.reject(new Error('not used')),
      remove: () => Promise.reject(new Error('not used')),
    },
    stats: { collect: () => Promise.reject(new Error('not used')) },
    training: { isRunning: () => false, ...training },
    logger: pino({ level: 'silent' }),
    currency: 'EUR',
  });
  return { desk: instance, changes };
}

describe('owner desk', () => {
  test('customers are refused every action and nothing changes', async () => {
    const { desk: d, changes } = desk();
    for (const answer of [await d.setStock(customer, 'COAT 1'), await d.remove(customer, 'COAT'), await d.stats(customer), d.train(customer, { onProgress: () => undefined, onFinished: () => undefined })]) {
      assert.equal(answer.kind, 'not-allowed');
    }
    assert.deepEqual(changes, []);
  });

  test('stock: usage, strict numbers, unknown SKUs, then the change', async () => {
    const { desk: d, changes } = desk();
    assert.equal((await d.setStock(owner, 'COAT')).kind, 'usage');
    const hex = await d.setStock(owner, 'COAT 0x10');
    assert.equal(hex.kind, 'invalid');
    assert.match(hex.text, /^Not changed: stock must be a whole number/);
    assert.equal((await d.setStock(owner, 'NOPE 1')).kind, 'unknown-product');
    const done = await d.setStock(owner, 'COAT 7');
    assert.equal(done.kind, 'product');
    assert.equal(done.text, 'COAT: stock is now 7.');
    assert.deepEqual(changes, ['stock 7']);
  });

  test('/train answers at once, refuses a second run, reports the end once, and close() aborts it', async () => {
    let started: StartTrainingOptions | undefined;
    const { desk: d } = desk({
      startTraining: (options) => {
        started = options;
        return new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(new TrainingAbortedError())));
      },
    });
    const finished: OwnerAnswer[] = [];
    const events = { onProgress: () => undefined, onFinished: (answer: OwnerAnswer) => void finished.push(answer) };
    assert.equal(d.train(owner, events).kind, 'training-started');
    assert.equal(started?.trigger, 'chat');
    assert.equal(d.train(owner, events).kind, 'training-running');
    assert.equal(d.isTraining(), true);
    await d.close();
    assert.equal(d.isTraining(), false);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]!.kind, 'training-failed');
    assert.match(finished[0]!.text, /shutting down/);
  });
});
