/** The dashboard's background training: single-flight, progress replayed to late listeners, interrupted on shutdown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { StartTrainingOptions, TrainingResult } from '../../../src/core/training/index.ts';
import { TrainingAbortedError } from '../../../src/core/training/index.ts';
import { TrainingRelay, type TrainingEvent } from '../../../src/web/training-relay.ts';

/** A training service whose run reports two epochs, then waits until released or aborted. */
function fakeTraining() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let running = false;
  const service = {
    isRunning: () => running,
    async startTraining(options: StartTrainingOptions = {}): Promise<TrainingResult> {
      running = true;
      try {
        options.onFeatures?.(1, 2);
        options.onFeatures?.(2, 2);
        for (const epoch of [1, 2]) options.onEpoch?.({ epoch, epochs: 2, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.5 });
        await new Promise<void>((resolve, reject) => {
          void released.then(resolve);
          options.signal?.addEventListener('abort', () => reject(new TrainingAbortedError()));
        });
        return { status: 'skipped', runId: 'run-1', reason: 'nothing changed' };
      } finally {
        running = false;
      }
    },
  };
  return { service, release };
}

const types = (events: readonly TrainingEvent[]) => events.map((event) => (event.type === 'progress' ? `${event.type}:${event.phase}` : event.type));

describe('training relay', () => {
  it('runs one training at a time and replays its progress to a listener that arrives late', async () => {
    const { service, release } = fakeTraining();
    const relay = new TrainingRelay({ training: service, logger: pino({ level: 'silent' }) });
    assert.equal(relay.start(), true);
    assert.equal(relay.start(), false);
    assert.equal(relay.busy(), true);
    const seen: TrainingEvent[] = [];
    const ended = new Promise<void>((resolve) => relay.subscribe({ event: (event) => seen.push(event), end: resolve }));
    // Feature progress is kept as its latest value only; epochs are all kept.
    assert.deepEqual(types(seen), ['started', 'progress:features', 'progress:epoch', 'progress:epoch']);
    release();
    await ended;
    assert.deepEqual(seen.at(-1), { type: 'finished', status: 'skipped', runId: 'run-1', reason: 'nothing changed' });
    assert.equal(relay.busy(), false);
    const replay: TrainingEvent[] = [];
    relay.subscribe({ event: (event) => replay.push(event), end: () => undefined });
    assert.deepEqual(replay, seen);
  });

  it('interrupts its run on stop, reporting it as failed', async () => {
    const { service } = fakeTraining();
    const relay = new TrainingRelay({ training: service, logger: pino({ level: 'silent' }) });
    relay.start();
    await relay.stop();
    assert.equal(relay.busy(), false);
    const events: TrainingEvent[] = [];
    relay.subscribe({ event: (event) => events.push(event), end: () => undefined });
    assert.deepEqual(events.at(-1), { type: 'failed', error: 'Training was interrupted.' });
  });
});
