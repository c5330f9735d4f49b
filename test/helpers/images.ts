/** Synthetic product photos made with sharp, so tests need no image files or network. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { seededRandom } from './vectors.ts';

/** An SVG "product photo": background colour, a few shapes and stripes, all from `seed`. */
export function productSvg(seed: number, width = 480, height = 360): string {
  const random = seededRandom(seed * 7919 + 13);
  const colour = () => `rgb(${Math.floor(random() * 256)},${Math.floor(random() * 256)},${Math.floor(random() * 256)})`;
  const shapes: string[] = [`<rect width="${width}" height="${height}" fill="${colour()}"/>`];
  const stripes = 2 + Math.floor(random() * 6);
  for (let i = 0; i < stripes; i += 1) {
    const y = random() * height;
    shapes.push(`<rect x="0" y="${y.toFixed(1)}" width="${width}" height="${(6 + random() * 30).toFixed(1)}" fill="${colour()}" transform="rotate(${(random() * 60 - 30).toFixed(1)} ${width / 2} ${height / 2})"/>`);
  }
  for (let i = 0; i < 3; i += 1) {
    shapes.push(`<circle cx="${(random() * width).toFixed(1)}" cy="${(random() * height).toFixed(1)}" r="${(20 + random() * 90).toFixed(1)}" fill="${colour()}"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
}

/** Writes `productSvg(seed)` as a JPEG and returns its path. */
export async function writeProductPhoto(file: string, seed: number, options: { width?: number; height?: number } = {}): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(productSvg(seed, options.width, options.height))).jpeg({ quality: 90 }).toFile(file);
  return file;
}

/** The transformations a customer's photo of a catalog item typically goes through. */
export const CUSTOMER_TRANSFORMS: Record<string, (image: Sharp) => Sharp> = {
  resized: (image) => image.resize(200),
  'low-quality JPEG': (image) => image.jpeg({ quality: 15 }),
  'small crop': (image) => image.extract({ left: 24, top: 18, width: 432, height: 324 }),
  // ±10 %: the generated (random-weight) backbones are not brightness-invariant; at ×1.2 the
  // tiny test model ranks 6 of 9 first (ResNet-50: 8 of 9), so larger changes test the model, not our code.
  brighter: (image) => image.modulate({ brightness: 1.1 }),
};
