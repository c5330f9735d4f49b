/** Small generated images and a fast fake backbone for training tests. */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { EmbeddingModel, EmbedOutcome, ImageEmbedding, ImageInput } from '../../src/core/ports.ts';
import { seededRandom } from '../../training/random.ts';

/** Category → base RGB colour; visually separable. */
export const COLOURS: Record<string, [number, number, number]> = {
  red: [210, 40, 40],
  green: [40, 180, 60],
  blue: [40, 60, 210],
};

/** A 32×32 PNG of `colour` with per-image brightness noise and a random grey square. */
export async function colourImage(colour: [number, number, number], seed: number): Promise<Buffer> {
  const random = seededRandom(seed);
  const shift = () => Math.round((random() - 0.5) * 40);
  const [r, g, b] = colour.map((c) => Math.min(255, Math.max(0, c + shift()))) as [number, number, number];
  const square = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
  return sharp({ create: { width: 32, height: 32, channels: 3, background: { r, g, b } } })
    .composite([{ input: square, left: Math.floor(random() * 24), top: Math.floor(random() * 24) }])
    .png()
    .toBuffer();
}

/** Writes `<root>/<category>/<n>.png`, `perCategory` images of each category. */
export async function writeImageFolder(root: string, perCategory: number, categories = Object.keys(COLOURS)): Promise<void> {
  for (const category of categories) {
    await mkdir(path.join(root, category), { recursive: true });
    for (let i = 0; i < perCategory; i++) {
      await writeFile(path.join(root, category, `${i}.png`), await colourImage(COLOURS[category]!, i * 31 + category.length));
    }
  }
}

/**
 * A backbone stand-in: the image shrunk to 8×8 RGB, scaled to [0, 1] and tiled to 2048 values, so
 * magnitudes resemble ResNet-50's non-negative pooled features (which the thesis recipe relies on).
 */
export class FakeBackbone implements EmbeddingModel {
  readonly modelId: string;
  readonly pretrained = false;
  readonly dimension = 2048;
  embedCalls = 0;

  constructor(modelId = 'fake-backbone@000000') {
    this.modelId = modelId;
  }

  async embed(data: Buffer, _source: string): Promise<ImageEmbedding> {
    this.embedCalls++;
    const pixels = await sharp(data).removeAlpha().resize(8, 8, { fit: 'fill' }).raw().toBuffer();
    const features = Float32Array.from({ length: this.dimension }, (_, i) => pixels[i % pixels.length]! / 255);
    const norm = Math.hypot(...features) || 1;
    return { features, embedding: features.map((v) => v / norm), width: 32, height: 32, sha256: createHash('sha256').update(data).digest('hex') };
  }

  async *embedAll(inputs: readonly ImageInput[]): AsyncGenerator<EmbedOutcome> {
    for (const input of inputs) {
      try {
        yield { input, ok: true, image: await this.embed(input.data!, input.source) };
      } catch (error) {
        const rejection = Object.assign(new Error(`${input.source}: not an image`), { source: input.source, reason: 'not an image', cause: error });
        yield { input, ok: false, error: rejection };
      }
    }
  }
}
