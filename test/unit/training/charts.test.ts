import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { confusionSpec, curvesSpec, renderPng, renderSvg } from '../../../src/core/training/charts.ts';

const history = [1, 2, 3].map((epoch) => ({ epoch, epochs: 3, trainLoss: 1 / epoch, valLoss: 1.1 / epoch, trainAccuracy: 0.5 + epoch / 10, valAccuracy: 0.4 + epoch / 10 }));

describe('training charts', () => {
  test('curves show loss and accuracy for train and validation', async () => {
    const svg = await renderSvg(curvesSpec(history, 'run 1'));
    for (const text of ['Cross-entropy loss', 'Accuracy', 'train', 'validation', 'epoch']) assert.ok(svg.includes(text), text);
    const meta = await sharp(await renderPng(curvesSpec(history, 'run 1'))).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(meta.width > 400);
  });

  test('the confusion matrix names the classes and prints the counts', async () => {
    const svg = await renderSvg(confusionSpec([[5, 1], [0, 7]], ['shoes', 'bags'], 'confusion'));
    for (const text of ['shoes', 'bags', '>5<', '>7<', 'predicted', 'actual']) assert.ok(svg.includes(text), text);
  });
});
