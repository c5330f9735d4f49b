import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/ml/manifest.ts';
import { ImageRejectedError, type ImageRejectionReason } from '../../src/ml/image-errors.ts';
import {
  centerCropGeometry,
  preprocessFile,
  preprocessImage,
  type PreprocessOptions,
} from '../../src/ml/preprocess.ts';

const S = 224;
const PLANE = S * S;

function options(overrides: Partial<PreprocessOptions> = {}): PreprocessOptions {
  return {
    source: 'photos/test.jpg',
    mode: 'center-crop',
    inputSize: S,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    maxBytes: 5 * 1024 * 1024,
    maxPixels: 50_000_000,
    ...overrides,
  };
}

/** Value of channel c at (x, y) of a CHW tensor. */
function at(tensor: Float32Array, c: number, x: number, y: number): number {
  return tensor[c * PLANE + y * S + x]!;
}

/** What a byte value becomes after normalization in channel c. */
function normalized(value: number, c: number): number {
  return (value / 255 - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
}

/** Raw RGB(A) image where `colour(x, y)` picks each pixel. */
function paint(width: number, height: number, channels: 3 | 4, colour: (x: number, y: number) => readonly number[]) {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      data.set(colour(x, y), (y * width + x) * channels);
    }
  }
  return sharp(data, { raw: { width, height, channels } });
}

async function assertRejected(promise: Promise<unknown>, reason: ImageRejectionReason, source: string): Promise<ImageRejectedError> {
  const error = await promise.then(
    () => assert.fail(`expected a ${reason} rejection`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ImageRejectedError, `expected ImageRejectedError, got ${String(error)}`);
  assert.equal(error.reason, reason);
  assert.equal(error.source, source);
  assert.ok(error.message.startsWith(`${source}: `), error.message);
  assert.ok(!error.message.includes('\n'), 'message is one line');
  return error;
}

/** Settings without a source, so preprocessFile labels errors with the path. */
function settings(overrides: Partial<PreprocessOptions> = {}): Omit<PreprocessOptions, 'source'> {
  const { source: _source, ...rest } = options(overrides);
  return rest;
}

const RED = [255, 0, 0] as const;
const GREEN = [0, 255, 0] as const;
const BLUE = [0, 0, 255] as const;

describe('preprocessImage', () => {
  test('honours EXIF orientation 6 (rotate 90° clockwise)', async () => {
    // Stored as 40×20, left half red / right half blue. Displayed rotated clockwise it is 20×40
    // with red on top and blue at the bottom.
    const jpeg = await paint(40, 20, 3, (x) => (x < 20 ? RED : BLUE))
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    assert.equal((await sharp(jpeg).metadata()).orientation, 6);

    const result = await preprocessImage(jpeg, options({ mode: 'stretch' }));
    assert.equal(result.width, 20);
    assert.equal(result.height, 40);
    const top = { x: S / 2, y: 20 };
    const bottom = { x: S / 2, y: S - 20 };
    assert.ok(at(result.tensor, 0, top.x, top.y) > 1.5, 'top is red');
    assert.ok(at(result.tensor, 2, top.x, top.y) < 0, 'top is not blue');
    assert.ok(at(result.tensor, 2, bottom.x, bottom.y) > 1.5, 'bottom is blue');
    assert.ok(at(result.tensor, 0, bottom.x, bottom.y) < 0, 'bottom is not red');
  });

  test('reports the same oriented size as libvips for every EXIF orientation, progressive JPEGs too', async () => {
    for (const progressive of [false, true]) {
      for (let orientation = 1; orientation <= 8; orientation += 1) {
        const jpeg = await paint(36, 20, 3, (x) => (x < 18 ? RED : BLUE)).jpeg({ progressive }).withMetadata({ orientation }).toBuffer();
        const { autoOrient } = await sharp(jpeg, { autoOrient: true }).metadata();
        const result = await preprocessImage(jpeg, options());
        assert.deepEqual({ width: result.width, height: result.height }, autoOrient, `orientation ${orientation}, progressive ${progressive}`);
      }
    }
  });

  test('flattens transparency onto white', async () => {
    const png = await paint(64, 48, 4, () => [0, 0, 0, 0]).png().toBuffer();
    const { tensor } = await preprocessImage(png, options({ source: 'clear.png' }));
    for (let c = 0; c < 3; c += 1) {
      const white = normalized(255, c);
      for (let i = c * PLANE; i < (c + 1) * PLANE; i += 1) {
        assert.ok(Math.abs(tensor[i]! - white) < 1e-3, `channel ${c} index ${i} is ${tensor[i]}, want ${white}`);
      }
    }
  });

  test('center-crop drops the side bands that stretch keeps', async () => {
    // 512×256 with 64 px red on the left, 64 px blue on the right, green in between.
    const png = await paint(512, 256, 3, (x) => (x < 64 ? RED : x >= 448 ? BLUE : GREEN)).png().toBuffer();

    const cropped = await preprocessImage(png, options({ mode: 'center-crop' }));
    assert.equal(cropped.tensor.length, 3 * S * S);
    for (const x of [0, S / 2, S - 1]) {
      assert.ok(at(cropped.tensor, 1, x, S / 2) > 1.5, `column ${x} is green after the crop`);
      assert.ok(at(cropped.tensor, 0, x, S / 2) < 0, `column ${x} has no red after the crop`);
      assert.ok(at(cropped.tensor, 2, x, S / 2) < 0, `column ${x} has no blue after the crop`);
    }

    const stretched = await preprocessImage(png, options({ mode: 'stretch' }));
    assert.equal(stretched.tensor.length, 3 * S * S);
    assert.ok(at(stretched.tensor, 0, 5, S / 2) > 1.5, 'left band is red');
    assert.ok(at(stretched.tensor, 2, S - 6, S / 2) > 1.5, 'right band is blue');
    assert.ok(at(stretched.tensor, 1, S / 2, S / 2) > 1.5, 'middle is green');
    assert.equal(stretched.width, 512);
    assert.equal(stretched.height, 256);
  });

  test('normalizes mid-grey to (128/255 - mean) / std per channel', async () => {
    const png = await paint(300, 200, 3, () => [128, 128, 128]).png().toBuffer();
    const { tensor } = await preprocessImage(png, options());
    for (let c = 0; c < 3; c += 1) {
      const expected = normalized(128, c);
      for (const i of [0, 1234, PLANE - 1]) {
        assert.ok(Math.abs(tensor[c * PLANE + i]! - expected) < 1e-3, `channel ${c}: ${tensor[c * PLANE + i]} vs ${expected}`);
      }
    }
  });

  test('lays the tensor out CHW: all R, then all G, then all B', async () => {
    const png = await paint(100, 100, 3, () => [255, 0, 128]).png().toBuffer();
    const { tensor } = await preprocessImage(png, options({ mode: 'stretch' }));
    const planes = [0, 1, 2].map((c) => tensor.subarray(c * PLANE, (c + 1) * PLANE));
    const expected = [normalized(255, 0), normalized(0, 1), normalized(128, 2)];
    planes.forEach((plane, c) => {
      const min = plane.reduce((a, b) => Math.min(a, b));
      const max = plane.reduce((a, b) => Math.max(a, b));
      assert.ok(Math.abs(min - expected[c]!) < 1e-3 && Math.abs(max - expected[c]!) < 1e-3, `plane ${c} is uniform ${expected[c]}`);
    });
  });

  test('reports the SHA-256 of the input bytes', async () => {
    const png = await paint(10, 10, 3, () => GREEN).png().toBuffer();
    const { sha256 } = await preprocessImage(png, options());
    assert.equal(sha256, createHash('sha256').update(png).digest('hex'));
  });

  test('greyscale input fills all three channels', async () => {
    const grey = await sharp({ create: { width: 50, height: 50, channels: 3, background: { r: 200, g: 200, b: 200 } } })
      .greyscale()
      .png()
      .toBuffer();
    const { tensor } = await preprocessImage(grey, options());
    for (let c = 0; c < 3; c += 1) assert.ok(Math.abs(at(tensor, c, 7, 7) - normalized(200, c)) < 2e-2);
  });
});

describe('centerCropGeometry', () => {
  test('matches torchvision Resize(256) + CenterCrop(224)', () => {
    // torchvision: long side int(256·640/480) = 341; crop left round(58.5) = 58 (half to even).
    assert.deepEqual(centerCropGeometry(640, 480, 224), { resizeWidth: 341, resizeHeight: 256, left: 58, top: 16 });
    assert.deepEqual(centerCropGeometry(480, 640, 224), { resizeWidth: 256, resizeHeight: 341, left: 16, top: 58 });
    assert.deepEqual(centerCropGeometry(3024, 4032, 224), { resizeWidth: 256, resizeHeight: 341, left: 16, top: 58 });
    assert.deepEqual(centerCropGeometry(500, 500, 224), { resizeWidth: 256, resizeHeight: 256, left: 16, top: 16 });
    // 259 − 224 = 35 → 17.5 rounds to the even 18.
    assert.deepEqual(centerCropGeometry(1036, 1024, 224).left, 18);
  });
});

describe('rejections', () => {
  test('zero-byte input', async () => {
    const error = await assertRejected(preprocessImage(Buffer.alloc(0), options({ source: 'photos/a.jpg' })), 'empty', 'photos/a.jpg');
    assert.equal(error.message, 'photos/a.jpg: file is empty (0 bytes)');
  });

  test('over the byte limit, before decoding', async () => {
    const error = await assertRejected(
      preprocessImage(Buffer.alloc(2048, 0xff), options({ source: 'big.jpg', maxBytes: 1024 })),
      'too-many-bytes',
      'big.jpg',
    );
    assert.match(error.message, /2 KB, over the 1 KB limit/);
  });

  test('over the pixel limit, from the header alone', async () => {
    const png = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#777' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const started = performance.now();
    const error = await assertRejected(preprocessImage(png, options({ source: 'x.png', maxPixels: 1_000_000 })), 'too-many-pixels', 'x.png');
    // Stating the dimensions proves the header check fired; the pixel-limit error from the decoder has none.
    assert.equal(error.message, 'x.png: image is 5000×5000 = 25.0 MP, over the 1.0 MP limit');
    assert.ok(performance.now() - started < 500, 'no full decode of 25 MP');
  });

  test('a JPEG over the pixel limit states its oriented size', async () => {
    const jpeg = await paint(400, 300, 3, () => RED).jpeg().withMetadata({ orientation: 8 }).toBuffer();
    const error = await assertRejected(preprocessImage(jpeg, options({ source: 'big.jpg', maxPixels: 100_000 })), 'too-many-pixels', 'big.jpg');
    assert.equal(error.message, 'big.jpg: image is 300×400 = 0.1 MP, over the 0.1 MP limit');
  });

  test('bytes that only start like a JPEG are refused as corrupt', async () => {
    const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'.repeat(50))]);
    const error = await assertRejected(preprocessImage(fake, options({ source: 'fake.jpg' })), 'truncated', 'fake.jpg');
    assert.equal(error.message, 'fake.jpg: image data is truncated or corrupt');
  });

  test('random bytes are not an image', async () => {
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    const error = await assertRejected(preprocessImage(noise, options({ source: 'upload-17' })), 'not-an-image', 'upload-17');
    assert.equal(error.message, 'upload-17: not an image (expected JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF)');
  });

  test('a JPEG cut in half is truncated', async () => {
    const jpeg = await paint(400, 300, 3, (x, y) => [(x * 3) % 256, (y * 5) % 256, (x * y) % 256]).jpeg({ quality: 85 }).toBuffer();
    const half = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const error = await assertRejected(preprocessImage(half, options({ source: 'cut.jpg' })), 'truncated', 'cut.jpg');
    assert.equal(error.message, 'cut.jpg: image data is truncated or corrupt');
  });

  test('SVG is refused as an unsupported format', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    const error = await assertRejected(preprocessImage(svg, options({ source: 'logo.svg' })), 'unsupported-format', 'logo.svg');
    assert.match(error.message, /SVG images are not supported/);
  });
});

describe('preprocessFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoplens-preprocess-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads a file and uses its path as the source', async () => {
    const path = join(dir, 'ok.png');
    await writeFile(path, await paint(30, 60, 3, () => GREEN).png().toBuffer());
    const result = await preprocessFile(path, settings());
    assert.equal(result.width, 30);
    assert.equal(result.height, 60);
    assert.equal(result.tensor.length, 3 * PLANE);
  });

  test('a missing file is unreadable and says why', async () => {
    const path = join(dir, 'nope.jpg');
    const error = await assertRejected(preprocessFile(path, settings()), 'unreadable', path);
    assert.equal(error.message, `${path}: cannot read the file (no such file)`);
  });

  test('an oversized file is refused from its size alone', async () => {
    const path = join(dir, 'huge.jpg');
    await writeFile(path, Buffer.alloc(4096));
    await assertRejected(preprocessFile(path, settings({ maxBytes: 1000 })), 'too-many-bytes', path);
  });

  test('an empty file is refused', async () => {
    const path = join(dir, 'empty.jpg');
    await writeFile(path, Buffer.alloc(0));
    await assertRejected(preprocessFile(path, settings()), 'empty', path);
  });

  test('a directory is unreadable', async () => {
    await assertRejected(preprocessFile(dir, settings()), 'unreadable', dir);
  });
});
