import { StatsService } from '../../src/core/stats/stats-service.ts';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../../src/db/database.ts';
import { ClassifierModelRepository } from '../../src/db/repositories/classifier-models.ts';
import { FeatureCacheRepository } from '../../src/db/repositories/feature-cache.ts';
import { ImageRepository } from '../../src/db/repositories/images.ts';
import { ProductRepository } from '../../src/db/repositories/products.ts';
import { TrainingLockRepository } from '../../src/db/repositories/training-lock.ts';
import { TrainingRunRepository } from '../../src/db/repositories/training-runs.ts';
import { CategoryClassifier } from '../../src/core/training/category-classifier.ts';
import { HeadRegistry } from '../../src/core/training/head-registry.ts';
import { RetrainJob } from '../../src/core/training/retrain-job.ts';
import { TrainingService, type TrainingSuccess } from '../../src/core/training/training-service.ts';
import { testEngines } from '../helpers/databases.ts';
import { COLOURS, FakeBackbone, colourImage, writeImageFolder } from '../helpers/training-fixtures.ts';
import { unitVector } from '../helpers/vectors.ts';

const FAST = { epochs: 20 };

function success(result: Awaited<ReturnType<TrainingService['startTraining']>>): TrainingSuccess {
  assert.equal(result.status, 'success', result.status === 'skipped' ? result.reason : '');
  return result;
}

for (const engine of testEngines()) {
  describe(`training on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Database;
    let root: string;
    let folder: string;
    let backbone: FakeBackbone;
    let changes = 0;
    const service = (overrides: { promotionTolerance?: number } = {}) =>
      new TrainingService({
        db,
        model: () => Promise.resolve(backbone),
        resolveImage: (relative) => path.join(root, 'data', relative),
        modelsDir: path.join(root, 'models'),
        minImagesPerCategory: 4,
        promotionTolerance: overrides.promotionTolerance ?? 1,
        onActiveHeadChanged: () => changes++,
      });
    const headCount = async () => (await new ClassifierModelRepository(db).list()).length;
    const headFiles = async () => (await readdir(path.join(root, 'models', 'heads')).catch(() => [])).length;

    before(async () => {
      db = await engine.open();
      root = await mkdtemp(path.join(os.tmpdir(), 'shoplens-training-'));
      folder = path.join(root, 'folder');
      await writeImageFolder(folder, 10);
      backbone = new FakeBackbone();
    });
    after(async () => {
      await db.close();
      await rm(root, { recursive: true, force: true });
    });

    it('trains on an ImageFolder with the best recipe, writes charts, metrics and the head, and promotes it', async () => {
      const epochs: number[] = [];
      const result = success(await service().startTraining({ data: folder, recipe: 'best', onEpoch: (m) => epochs.push(m.epoch) }));
      assert.ok(result.valAccuracy >= 0.9, `accuracy ${result.valAccuracy}`);
      assert.deepEqual(result.classes, ['blue', 'green', 'red']);
      assert.equal(result.valSize, 6);
      assert.equal(result.trainSize, 24 * 2, 'each training image plus one augmented copy');
      assert.ok(result.promoted);
      assert.equal(epochs.length, result.history.length);
      for (const file of [result.files.metrics, result.files.curves, result.files.confusion, result.files.head]) assert.ok((await stat(file)).size > 0, file);
      assert.equal((await new ClassifierModelRepository(db).active())?.id, result.headId);
      const stats = await new StatsService({
        db,
        backbone: () => Promise.resolve({ modelId: backbone.modelId, pretrained: false }),
        activeHead: () => new ClassifierModelRepository(db).active(),
      }).collect();
      assert.equal(stats.classifier?.recipe, 'best', '/stats and `stats` show the active head');
      assert.ok(Math.abs(stats.classifier.valAccuracy - result.valAccuracy) < 1e-6);
      assert.equal((await new TrainingRunRepository(db).find(result.runId))?.status, 'success');
      assert.equal(result.embedded, 30 + 24);
      assert.equal(await new FeatureCacheRepository(db).count(backbone.modelId), 54);
    });

    it('a second run hits the feature cache and embeds nothing; the thesis recipe also learns', async () => {
      const before = backbone.embedCalls;
      const result = success(await service().startTraining({ data: folder, recipe: 'thesis' }));
      assert.equal(backbone.embedCalls, before);
      assert.equal(result.embedded, 0);
      assert.equal(result.cacheHits, 54);
      assert.equal(result.history.length, 34);
      assert.deepEqual({ lr: result.hyperparameters.learningRate, batch: result.hyperparameters.batchSize }, { lr: 1e-4, batch: 64 });
      assert.ok(result.valAccuracy >= 0.9, `accuracy ${result.valAccuracy}`);
    });

    it('the classifier predicts with the active head from raw features', async () => {
      const classifier = new CategoryClassifier({ db, backboneModelId: () => Promise.resolve(backbone.modelId) });
      const { features } = await backbone.embed(await colourImage(COLOURS.green!, 999), 'probe');
      const prediction = await classifier.predict(features);
      assert.equal(prediction?.category, 'green');
      assert.ok(prediction.confidence > 0.5 && prediction.confidence <= 1);
      assert.equal(prediction.top3[0]?.category, 'green');
    });

    it('a worse head is not promoted and the active head stays', async () => {
      const active = (await new ClassifierModelRepository(db).active())!.id;
      // From scratch: continuing from a good active head would not give a worse one.
      const result = success(await service({ promotionTolerance: 1 }).startTraining({ data: folder, recipe: 'thesis', overrides: { epochs: 1, learningRate: 1e-7 }, warmStart: false }));
      assert.ok(result.valAccuracy < 0.9);
      assert.equal(result.promoted, false);
      assert.match(result.promotionReason, /keeping it/);
      assert.equal((await new ClassifierModelRepository(db).active())?.id, active);
    });

    it('a retrain continues from the active head when backbone, categories and recipe match', async () => {
      const active = (await new ClassifierModelRepository(db).active())!;
      const result = success(await service().startTraining({ data: folder, recipe: active.recipe }));
      assert.equal(result.warmStartedFrom, active.id);
      assert.ok(result.history.length <= 12, `${result.history.length} epochs`);
      assert.ok(result.valAccuracy >= 0.9, `accuracy ${result.valAccuracy}`);
      const other = success(await service().startTraining({ data: folder, recipe: active.recipe === 'best' ? 'thesis' : 'best' }));
      assert.equal(other.warmStartedFrom, undefined);
    });

    it('model promote / rollback switch the active head; a head of another backbone is refused', async () => {
      const registry = new HeadRegistry({ db });
      const heads = await registry.list();
      const active = (await registry.active())!;
      const other = heads.find((head) => head.id !== active.id)!;
      await registry.promote(other.id, backbone.modelId);
      assert.equal((await registry.active())?.id, other.id);
      assert.equal((await registry.rollback(backbone.modelId)).id, active.id);
      await assert.rejects(registry.promote(active.id, 'another-backbone'), /trained on backbone/);
      await assert.rejects(registry.promote('nope', backbone.modelId), /No trained head/);
    });

    it('bad input gives a clear message, no new head, and leaves the active head unchanged', async () => {
      const active = (await new ClassifierModelRepository(db).active())!.id;
      const [heads, files] = [await headCount(), await headFiles()];
      const single = path.join(root, 'single');
      await writeImageFolder(single, 6, ['red']);
      await assert.rejects(service().startTraining({ data: single }), /at least 2 categories/);
      const few = path.join(root, 'few');
      await writeImageFolder(few, 2);
      await assert.rejects(service().startTraining({ data: few }), /at least 4 images; too few in blue \(2\)/);
      const broken = path.join(root, 'broken');
      await writeImageFolder(broken, 5);
      await writeFile(path.join(broken, 'red', 'corrupt.png'), 'not an image');
      await assert.rejects(service().startTraining({ data: broken }), /Unreadable images in .*corrupt\.png/s);
      const empty = path.join(root, 'empty');
      await writeImageFolder(empty, 5, ['red', 'blue']);
      await writeImageFolder(empty, 0, ['green']);
      await assert.rejects(service().startTraining({ data: empty }), /without images in .*: green/);
      await assert.rejects(service().startTraining({ data: folder, overrides: { batchSize: 0 } }), { name: 'InvalidHyperparametersError' });
      await assert.rejects(service().startTraining({ data: folder, overrides: { learningRate: -1 } }), /learning rate/);
      assert.equal(await headCount(), heads);
      assert.equal(await headFiles(), files);
      assert.equal((await new ClassifierModelRepository(db).active())?.id, active);
      const failed = (await new TrainingRunRepository(db).recent(10)).filter((run) => run.status === 'failed');
      assert.ok(failed.length >= 4);
    });

    it('two concurrent runs cannot happen: in one process, or across processes sharing the database', async () => {
      const one = service();
      const [a, b] = await Promise.all([one.startTraining({ data: folder, overrides: FAST }), one.startTraining({ data: folder, overrides: FAST })]);
      assert.deepEqual([a.status, b.status].sort(), ['skipped', 'success']);
      const lock = new TrainingLockRepository(db);
      assert.ok(await lock.tryAcquire('training', 'other-process', 60));
      const blocked = await service().startTraining({ data: folder, overrides: FAST });
      assert.equal(blocked.status, 'skipped');
      assert.match(blocked.status === 'skipped' ? blocked.reason : '', /Another process/);
      await lock.release('training', 'other-process');
      assert.equal((await service().startTraining({ data: folder, overrides: FAST })).status, 'success');
    });

    it('the cron job trains only when the catalog revision changed, and skips with a reason otherwise', async () => {
      const products = new ProductRepository(db);
      const images = new ImageRepository(db);
      const job = () => new RetrainJob({ db, training: service(), backboneModelId: () => Promise.resolve(backbone.modelId), minImagesPerCategory: 4 });
      const first = await job().runOnce();
      assert.equal(first.status, 'skipped');
      assert.match(first.status === 'skipped' ? first.reason : '', /at least 2 categories/);
      for (const [category, colour] of Object.entries(COLOURS)) {
        for (let i = 0; i < 5; i++) {
          const { product } = await products.upsert({ sku: `${category}-${i}`, name: `${category} ${i}`, price: '1.00', currency: 'USD', category, stock: 1 });
          const bytes = await colourImage(colour, 500 + i);
          const relative = `images/${category}-${i}.png`;
          await writeFile(path.join(root, 'data', relative), bytes).catch(async () => {
            await import('node:fs/promises').then((fs) => fs.mkdir(path.join(root, 'data', 'images'), { recursive: true }));
            await writeFile(path.join(root, 'data', relative), bytes);
          });
          await images.add({ productId: product.id, source: relative, filePath: relative, sha256: `${i}${category}`.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'), width: 32, height: 32, modelId: backbone.modelId, embedding: unitVector(i + 1) });
        }
      }
      assert.equal((await job().runOnce()).status, 'success');
      const unchanged = await job().runOnce();
      assert.equal(unchanged.status, 'skipped');
      assert.match(unchanged.status === 'skipped' ? unchanged.reason : '', /unchanged/);
      await products.setStock('red-0', 9);
      assert.equal((await job().runOnce()).status, 'success');
    });

    it('a backbone change invalidates the active head and makes a retrain due', async () => {
      const registry = new HeadRegistry({ db });
      assert.equal(await registry.invalidateForBackbone('new-backbone@1'), true);
      assert.equal(await registry.active(), undefined);
      const check = await new RetrainJob({ db, training: service(), backboneModelId: () => Promise.resolve('new-backbone@1'), minImagesPerCategory: 4 }).check();
      assert.equal(check.due, true);
      assert.ok(changes > 0);
    });
  });
}
