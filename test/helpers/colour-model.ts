/**
 * A fake embedding model for bot tests: the embedding is the image's colour histogram (4 bins per
 * RGB channel, 64 values, zero-padded to 2048, unit length). Images with the same colours match
 * exactly, images sharing half their colours score 0.5, disjoint colours score 0 — so tests can
 * reason about which product comes first and what counts as "no match".
 */
import { createHash } from 'node:crypto';
import sharp, { type OutputInfo } from 'sharp';
import type { ClosableEmbeddingModel } from '../../src/core/assistant.ts';
import type { EmbedOutcome, ImageEmbedding, ImageInput, ImageRejection } from '../../src/core/ports.ts';
import { ImageRejectedError } from '../../src/ml/image-errors.ts';

const DIMENSION = 2048;
const BINS = 4;

export class ColourHistogramModel implements ClosableEmbeddingModel {
  readonly modelId = 'test-colour-histogram@1';
  readonly pretrained = false;
  readonly dimension = DIMENSION;
  /** Images embedded so far (tests check the bot did not embed more than needed). */
  embedded = 0;

  async embed(data: Buffer, source: string): Promise<ImageEmbedding> {
    let pixels: { data: Buffer; info: OutputInfo };
    try {
      pixels = await sharp(data).removeAlpha().resize(32, 32, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    } catch {
      throw new ImageRejectedError(source, 'not-an-image');
    }
    const meta = await sharp(data).metadata();
    this.embedded += 1;
    return {
      features: histogram(pixels.data),
      embedding: histogram(pixels.data),
      width: meta.width ?? 1,
      height: meta.height ?? 1,
      sha256: createHash('sha256').update(data).digest('hex'),
    };
  }

  async *embedAll(inputs: readonly ImageInput[]): AsyncGenerator<EmbedOutcome> {
    for (const input of inputs) {
      try {
        const { readFile } = await import('node:fs/promises');
        const data = input.data ?? (await readFile(input.path!));
        yield { input, ok: true, image: await this.embed(data, input.source) };
      } catch (error) {
        yield { input, ok: false, error: error as ImageRejection };
      }
    }
  }

  async close(): Promise<void> {}
}

function histogram(rgb: Buffer): Float32Array {
  const vector = new Float32Array(DIMENSION);
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const bin = (r: number) => Math.min(BINS - 1, Math.floor((r * BINS) / 256));
    vector[bin(rgb[i]!) * BINS * BINS + bin(rgb[i + 1]!) * BINS + bin(rgb[i + 2]!)]! += 1;
  }
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

/** A PNG split into vertical bands of the given CSS colours (equal widths). */
export async function bandsPng(colours: readonly string[], size = 120): Promise<Buffer> {
  const width = size / colours.length;
  const rects = colours.map((colour, index) => `<rect x="${index * width}" y="0" width="${width}" height="${size}" fill="${colour}"/>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">${rects.join('')}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The same bands as a JPEG with slight noise, like a customer's photo of the product. */
export async function customerPhoto(colours: readonly string[]): Promise<Buffer> {
  return sharp(await bandsPng(colours, 200)).jpeg({ quality: 80 }).toBuffer();
}
