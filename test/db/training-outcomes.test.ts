/**
 * Training outcomes are never silent: shutdown interrupts any run (chat, cron, CLI) through the
 * training service's signal, the scheduled job reports every outcome through its hooks, and the
 * last outcome reaches `stats` / `/stats`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StatsService } from '../../src/core/stats/stats-service.ts';
import { RetrainJob } from '../../src/core/training/retrain-job.ts';
import { TrainingService, type TrainingResult } from '../../src/core/training/training-service.ts';
import { TrainingAbortedError } from '../../training/run-in-worker.ts';
import type { Database } from '../../src/db/database.ts';
import { openTestPglite } from '../helpers/databases.ts';
import { FakeBackbone, writeImageFolder } from '../helpers/training-fixtures.ts';

describe('training outcomes', () => {
  let db: Database;
  let root: string;
  let folder: string;
  const backbone = new FakeBackbone();
  const stats = () => new StatsService({ db, backbone: () => Promise.resolve({ modelId: backbone.modelId, pretrained: false }) });
  const service = () => new TrainingService({
    db, model: () => Promise.resolve(backbone), resolveImage: (relative) => path.join(root, relative),
    modelsDir: path.join(root, 'models'), minImagesPerCategory: 4, promotionTolerance: 1,
  });

  before(async () => {
    db = await openTestPglite();
    root = await mkdtemp(path.join(os.tmpdir(), 'shoplens-outcomes-'));
    folder = path.join(root, 'folder');
    await writeImageFolder(folder, 8);
  });
  after(async () => {
    await db.close();
    await rm(root, { recursive: true, force: true });
  });

  it('no outcome yet: lastTraining is null', async () => {
    assert.equal((await stats().collect()).lastTraining, null);
  });

  it('abortAll() interrupts a run started without a signal (as /train does) and it is recorded as failed', async () => {
    const training = service();
    let epochs = 0;
    const run = training.startTraining({ data: folder, trigger: 'chat', recipe: 'thesis', overrides: { epochs: 1000 }, onEpoch: () => epochs++ });
    while (epochs === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    training.abortAll();
    await assert.rejects(run, TrainingAbortedError);
    await training.idle();
    assert.equal(training.isRunning(), false);
    await assert.rejects(training.startTraining({ data: folder }), TrainingAbortedError, 'no new run after shutdown began');
    const last = (await stats().collect()).lastTraining!;
    assert.deepEqual({ status: last.status, trigger: last.trigger, reason: last.reason }, { status: 'failed', trigger: 'chat', reason: 'Training was interrupted.' });
  });

  it('the scheduled job hands every outcome to its hooks, and stats show the latest', async () => {
    const job = new RetrainJob({ db, training: service(), backboneModelId: () => Promise.resolve(backbone.modelId), minImagesPerCategory: 4 });
    const outcome = new Promise<TrainingResult>((resolve, reject) => job.start('* * * * * *', { onResult: resolve, onError: reject }));
    try {
      const result = await outcome;
      assert.equal(result.status, 'skipped');
      const last = (await stats().collect()).lastTraining!;
      assert.equal(last.status, 'skipped');
      assert.equal(last.trigger, 'cron');
      assert.equal(last.reason, result.status === 'skipped' ? result.reason : '');
      assert.ok(last.at instanceof Date);
    } finally {
      await job.stop();
    }
  });
});
