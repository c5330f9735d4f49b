import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deserializeHead, predictCategory, serializeHead } from '../../../training/head.ts';
import { trainHead, warmStartFor, type TrainingSamples } from '../../../training/pipeline.ts';
import { seededRandom } from '../../../training/random.ts';
import { BEST, InvalidHyperparametersError, resolveHyperparameters, THESIS } from '../../../training/recipes.ts';
import { runTrainingInWorker } from '../../../training/run-in-worker.ts';
import { batchLoss, initDense, type DenseParameters, type FeatureSet } from '../../../training/softmax.ts';
import { stratifiedSplit } from '../../../training/split.ts';

/** Gaussian-ish clusters: class c has mean +shift on features c, c+C, c+2C…; non-negative like ReLU'd GAP features. */
function clusters(count: number, dimension: number, classes: number, seed: number, shift = 1): TrainingSamples {
  const random = seededRandom(seed);
  const x = new Float32Array(count * dimension);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % classes;
    for (let d = 0; d < dimension; d++) x[i * dimension + d] = Math.max(0, random() * 2 - 0.5 + (d % classes === y[i] ? shift : 0));
  }
  return { x, y, count, dimension, group: Int32Array.from({ length: count }, (_, i) => i) };
}

describe('warm start', () => {
  test('continues from the given head: its standardization is kept and the first epoch starts where it ended', () => {
    const train = clusters(300, 12, 3, 11, 0.6);
    const validation = clusters(90, 12, 3, 12, 0.6);
    const h = { ...BEST, epochs: 30 };
    const first = trainHead({ categories: ['a', 'b', 'c'], hyperparameters: h, train, validation });
    const more = clusters(330, 12, 3, 13, 0.6);
    const cold = trainHead({ categories: ['a', 'b', 'c'], hyperparameters: h, train: more, validation });
    const warm = trainHead({ categories: ['a', 'b', 'c'], hyperparameters: h, train: more, validation, warmStart: warmStartFor(first.head, h) });
    assert.deepEqual(Array.from(warm.head.mean!), Array.from(first.head.mean!));
    assert.ok(warm.history.length <= 12, `warm run took ${warm.history.length} epochs`);
    assert.ok(warm.history[0]!.trainLoss < cold.history[0]!.trainLoss * 0.8, `first epoch loss warm ${warm.history[0]!.trainLoss} vs cold ${cold.history[0]!.trainLoss}`);
    assert.ok(warm.valAccuracy >= first.valAccuracy - 0.05);
  });

  test('refuses weights of another shape', () => {
    const train = clusters(60, 12, 3, 11);
    const head = trainHead({ categories: ['a', 'b', 'c'], hyperparameters: { ...BEST, epochs: 2 }, train, validation: train }).head;
    const other = clusters(60, 8, 3, 11);
    assert.throws(() => trainHead({ categories: ['a', 'b', 'c'], hyperparameters: { ...BEST, standardize: false }, train: other, validation: other, warmStart: warmStartFor(head, BEST) }), RangeError);
  });
});

describe('softmax head', () => {
  test('the analytic gradient matches finite differences (label smoothing and class weights on)', () => {
    const set = clusters(12, 7, 3, 1);
    const params = initDense(3, 7, seededRandom(2));
    const options = { labelSmoothing: 0.1, classWeights: Float64Array.from([1, 2, 0.5]) };
    const rows = Int32Array.from({ length: 12 }, (_, i) => i);
    const grad: DenseParameters = { classes: 3, dimension: 7, weights: new Float32Array(21), bias: new Float32Array(3) };
    batchLoss(params, set, rows, options, grad);
    const h = 1e-3;
    for (const [tensor, g] of [[params.weights, grad.weights], [params.bias, grad.bias]] as const) {
      for (let i = 0; i < tensor.length; i++) {
        const held = tensor[i]!;
        tensor[i] = held + h;
        const plus = batchLoss(params, set, rows, options).objective;
        tensor[i] = held - h;
        const minus = batchLoss(params, set, rows, options).objective;
        tensor[i] = held;
        const numeric = (plus - minus) / (2 * h);
        assert.ok(Math.abs(numeric - g[i]!) < 2e-3, `component ${i}: numeric ${numeric} vs analytic ${g[i]}`);
      }
    }
  });

  test('the thesis recipe uses exactly the thesis hyperparameters', () => {
    const h = resolveHyperparameters('thesis');
    assert.deepEqual(h, THESIS);
    assert.deepEqual(
      { epochs: h.epochs, batchSize: h.batchSize, learningRate: h.learningRate, schedule: h.schedule, weightDecay: h.weightDecay, labelSmoothing: h.labelSmoothing, standardize: h.standardize, classBalanced: h.classBalanced, patience: h.patience, validationFraction: h.validationFraction },
      { epochs: 34, batchSize: 64, learningRate: 1e-4, schedule: 'constant', weightDecay: 0, labelSmoothing: 0, standardize: false, classBalanced: false, patience: 0, validationFraction: 0.2 },
    );
  });

  test('both recipes learn separable clusters to high validation accuracy, and history has one row per epoch', () => {
    for (const recipe of ['thesis', 'best'] as const) {
      const hyperparameters = resolveHyperparameters(recipe);
      const output = trainHead({ categories: ['a', 'b', 'c'], hyperparameters, train: clusters(600, 512, 3, 3), validation: clusters(60, 512, 3, 4) });
      assert.ok(output.valAccuracy >= 0.95, `${recipe}: ${output.valAccuracy}`);
      if (recipe === 'thesis') assert.equal(output.history.length, 34);
      assert.equal(output.head.mean === undefined, recipe === 'thesis', 'only best standardizes');
      const prediction = predictCategory(deserializeHead(serializeHead(output.head)), clusters(3, 512, 3, 5).x.subarray(512, 1024));
      assert.equal(prediction.category, 'b');
      assert.equal(prediction.top3.length, 3);
    }
  });

  test('training in a worker thread reports every epoch and can be aborted', async () => {
    const epochs: number[] = [];
    const job = { categories: ['a', 'b'], hyperparameters: resolveHyperparameters('thesis', { epochs: 5 }), train: clusters(100, 32, 2, 6), validation: clusters(20, 32, 2, 7) };
    const output = await runTrainingInWorker(job, { onEpoch: (m) => epochs.push(m.epoch) });
    assert.deepEqual(epochs, [1, 2, 3, 4, 5]);
    assert.ok(output.head.weights instanceof Float32Array);
    const controller = new AbortController();
    const running = runTrainingInWorker({ ...job, hyperparameters: resolveHyperparameters('thesis', { epochs: 1000 }) }, { signal: controller.signal, onEpoch: () => controller.abort() });
    await assert.rejects(running, { name: 'TrainingAbortedError' });
  });

  test('invalid hyperparameters are refused with a message naming each', () => {
    assert.throws(() => resolveHyperparameters('best', { batchSize: 0 }), (error: unknown) => error instanceof InvalidHyperparametersError && /batch size/.test(error.message));
    assert.throws(() => resolveHyperparameters('best', { learningRate: -0.1 }), /learning rate/);
    assert.throws(() => resolveHyperparameters('thesis', { epochs: 100000 }), /epochs must be an integer from 1 to 1000/);
    assert.equal(resolveHyperparameters('best', { epochs: undefined }).epochs, BEST.epochs);
  });

  test('the split is stratified, seeded and independent of listing order', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ sha256: `h${i}`, label: i < 30 ? 0 : 1 }));
    const split = stratifiedSplit(items, 0.2, 42);
    assert.equal(split.validation.filter((i) => items[i]!.label === 0).length, 6);
    assert.equal(split.validation.filter((i) => items[i]!.label === 1).length, 4);
    const reversed = [...items].reverse();
    const again = stratifiedSplit(reversed, 0.2, 42).validation.map((i) => reversed[i]!.sha256).sort();
    assert.deepEqual(again, split.validation.map((i) => items[i]!.sha256).sort());
    assert.notDeepEqual(stratifiedSplit(items, 0.2, 7).validation, split.validation);
  });
});

export type { FeatureSet };
