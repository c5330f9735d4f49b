import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { AUGMENTATION_RANGES, augmentImage, augmentationId, sampleAugmentation, type AugmentationParams } from '../../../src/ml/augment.ts';

const IDENTITY: AugmentationParams = { flip: false, rotationDeg: 0, brightness: 1, contrast: 1, saturation: 1, hueDeg: 0 };

/** 40×20: left half red, right half blue. */
async function halves(): Promise<Buffer> {
  const blue = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#0000ff' } }).png().toBuffer();
  return sharp({ create: { width: 40, height: 20, channels: 3, background: '#ff0000' } }).composite([{ input: blue, left: 20, top: 0 }]).png().toBuffer();
}

async function rawOf(png: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('augmentations', () => {
  test('flip mirrors the image left to right', async () => {
    const source = await rawOf(await halves());
    const flipped = await rawOf(await augmentImage(await halves(), { ...IDENTITY, flip: true }));
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 40; x++) {
        for (let c = 0; c < 3; c++) assert.equal(flipped.data[(y * 40 + x) * 3 + c], source.data[(y * 40 + (39 - x)) * 3 + c]);
      }
    }
  });

  test('identity parameters leave pixels unchanged; rotation keeps the frame size', async () => {
    const source = await rawOf(await halves());
    assert.deepEqual((await rawOf(await augmentImage(await halves(), IDENTITY))).data, source.data);
    const rotated = await rawOf(await augmentImage(await halves(), { ...IDENTITY, rotationDeg: 10 }));
    assert.deepEqual([rotated.width, rotated.height], [40, 20]);
    assert.notDeepEqual(rotated.data, source.data);
  });

  test('sampled parameters stay within the thesis ranges and are deterministic per seed', () => {
    let flips = 0;
    for (let copy = 1; copy <= 400; copy++) {
      const p = sampleAugmentation('ab'.repeat(32), 42, copy);
      assert.ok(Math.abs(p.rotationDeg) <= AUGMENTATION_RANGES.maxRotationDeg);
      for (const factor of [p.brightness, p.contrast, p.saturation]) assert.ok(factor >= 0.8 && factor <= 1.2, String(factor));
      assert.ok(Math.abs(p.hueDeg) <= 36);
      if (p.flip) flips++;
    }
    assert.ok(flips > 150 && flips < 250, `flip rate ${flips}/400`);
    assert.deepEqual(sampleAugmentation('x', 1, 3), sampleAugmentation('x', 1, 3));
    assert.notDeepEqual(sampleAugmentation('x', 1, 3), sampleAugmentation('x', 2, 3));
    assert.equal(augmentationId(42, 0), 'original');
    assert.match(augmentationId(42, 2), /^aug1:s42:c2$/);
  });

  test('brightness scales a grey image by its factor; contrast pulls towards the mean', async () => {
    const grey = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 100, g: 100, b: 100 } } }).png().toBuffer();
    for (const factor of [0.8, 1.2]) {
      const out = await rawOf(await augmentImage(grey, { ...IDENTITY, brightness: factor }));
      assert.ok(Math.abs(out.data[0]! - 100 * factor) <= 1, `${out.data[0]} vs ${100 * factor}`);
    }
    const source = await rawOf(await halves());
    const lowContrast = await rawOf(await augmentImage(await halves(), { ...IDENTITY, contrast: 0.8 }));
    assert.ok(lowContrast.data[0]! < source.data[0]!, 'red channel of the red half drops towards the grey mean');
  });
});
