/**
 * The thesis's training augmentations, done with sharp: horizontal flip, rotation up to ±10°,
 * colour jitter (brightness, contrast, saturation ×0.8–1.2; hue ±0.1 of the colour wheel = ±36°).
 * Parameters are drawn from a seeded generator, so the augmentation of an image is a pure
 * function of (image bytes, seed, copy index) and its backbone features can be cached.
 */
import { deriveSeed, seededRandom } from '../../training/random.ts';
import sharp from 'sharp';

/** Ranges of the thesis's torchvision transforms. */
export const AUGMENTATION_RANGES = Object.freeze({
  /** Probability of a horizontal flip (`RandomHorizontalFlip`). */
  flipProbability: 0.5,
  /** `RandomRotation(10)`: degrees, uniform in [−10, 10]. */
  maxRotationDeg: 10,
  /** `ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2)`: factors uniform in [0.8, 1.2]. */
  factorMin: 0.8,
  factorMax: 1.2,
  /** `ColorJitter(hue=0.1)`: a tenth of the hue circle, i.e. degrees in [−36, 36]. */
  maxHueDeg: 36,
});

/** One concrete augmentation. */
export interface AugmentationParams {
  readonly flip: boolean;
  /** Degrees, positive = clockwise (sharp's convention). */
  readonly rotationDeg: number;
  /** Multiplies every channel (torchvision brightness). */
  readonly brightness: number;
  /** Blends with the mean grey level: out = c·x + (1 − c)·mean (torchvision contrast). */
  readonly contrast: number;
  /** Multiplies chroma. */
  readonly saturation: number;
  /** Hue rotation in degrees. */
  readonly hueDeg: number;
}

/** Version of the augmentation code, part of every cache key: bump it when the pixels change. */
export const AUGMENTATION_VERSION = 'aug1';

/** Cache key of copy `copy` (1-based) for run seed `seed`; copy 0 is the original image. */
export function augmentationId(seed: number, copy: number): string {
  return copy === 0 ? 'original' : `${AUGMENTATION_VERSION}:s${seed}:c${copy}`;
}

/** A uniform generator over [0, 1) seeded from the parts (Mulberry32 over a SHA-256 seed). */
function randomFrom(...parts: ReadonlyArray<string | number>): () => number {
  return seededRandom(deriveSeed(...parts));
}

/** The parameters of copy `copy` of the image with hash `sha256` under run seed `seed`, within {@link AUGMENTATION_RANGES}. */
export function sampleAugmentation(sha256: string, seed: number, copy: number): AugmentationParams {
  const random = randomFrom(AUGMENTATION_VERSION, sha256, seed, copy);
  const r = AUGMENTATION_RANGES;
  const between = (low: number, high: number) => low + (high - low) * random();
  return {
    flip: random() < r.flipProbability,
    rotationDeg: between(-r.maxRotationDeg, r.maxRotationDeg),
    brightness: between(r.factorMin, r.factorMax),
    contrast: between(r.factorMin, r.factorMax),
    saturation: between(r.factorMin, r.factorMax),
    hueDeg: between(-r.maxHueDeg, r.maxHueDeg),
  };
}

/**
 * Applies `params` to an encoded image and returns a PNG of the same size. Rotation keeps the
 * frame (like torchvision's `expand=False`): the rotated image is cropped back to the original
 * size around its centre and the uncovered corners are black.
 */
export async function augmentImage(data: Buffer, params: AugmentationParams): Promise<Buffer> {
  const { data: pixels, info } = await sharp(data, { failOn: 'error' }).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const raw = { raw: { width, height, channels: 3 as const } };
  let image = sharp(pixels, raw);
  if (params.flip) image = image.flop();
  const rotated = await image.rotate(params.rotationDeg, { background: { r: 0, g: 0, b: 0 } }).raw().toBuffer({ resolveWithObject: true });
  const left = Math.floor((rotated.info.width - width) / 2);
  const top = Math.floor((rotated.info.height - height) / 2);
  const framed = await sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: 3 } })
    .extract({ left, top, width, height })
    .raw()
    .toBuffer();
  return jitter(framed, width, height, params);
}

/** Brightness and contrast as one linear map on the grey mean, then saturation and hue in sharp's LCh space. */
async function jitter(pixels: Buffer, width: number, height: number, params: AugmentationParams): Promise<Buffer> {
  const mean = greyMean(pixels);
  const gain = params.contrast * params.brightness;
  const offset = (1 - params.contrast) * params.brightness * mean;
  const adjusted = await sharp(pixels, { raw: { width, height, channels: 3 } }).linear(gain, offset).raw().toBuffer();
  return sharp(adjusted, { raw: { width, height, channels: 3 } })
    .modulate({ saturation: params.saturation, hue: Math.round(params.hueDeg) })
    .png()
    .toBuffer();
}

/** Mean of the ITU-R 601 grey level over interleaved RGB bytes. */
function greyMean(pixels: Buffer): number {
  let sum = 0;
  for (let i = 0; i < pixels.length; i += 3) sum += 0.299 * pixels[i]! + 0.587 * pixels[i + 1]! + 0.114 * pixels[i + 2]!;
  return sum / Math.max(1, pixels.length / 3);
}
