/**
 * `npm run bench:embed`: is the embedding pipeline as fast as the network allows?
 *
 * Measures, on the same backbone session and thread settings:
 *   raw  – ONNX Runtime alone on ready-made tensors (the ceiling);
 *   e2e  – `ImageEmbedder.embedAll` on JPEG files: read + decode + preprocess + inference.
 * and checks e2e ≥ 0.90 × raw. Uses a generated (random-weight) ResNet-50: same compute as the
 * pretrained one, no download. Model and photos are cached in `.bench/` between runs.
 *
 * Knobs (environment): ML_THREADS, ML_BATCH_SIZE, PREPROCESS_MODE as in the app, plus
 * BENCH_IMAGES (96), BENCH_ROUNDS (3), BENCH_DECODE_CONCURRENCY, BENCH_SHARP_CONCURRENCY,
 * BENCH_NICE (decoder thread niceness, default 10), BENCH_SPIN (1 = let ONNX Runtime threads spin-wait).
 */
import { seededRandom } from '../training/random.ts';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../src/config/index.ts';
import { Backbone } from '../src/ml/backbone.ts';
import { embedderOptionsFromConfig, ImageEmbedder, type ImageInput } from '../src/ml/embedder.ts';
import { manifestPathFor, readManifest } from '../src/ml/manifest.ts';
import { writeGeneratedModel } from '../src/ml/model-generator/index.ts';
import { preprocessFile } from '../src/ml/preprocess.ts';
import { reportFigure } from './support/summary.ts';

const BENCH_DIR = resolve('.bench');
const SEED = 42;
/** Typical phone photo sizes: 4:3 landscape, 3:4 portrait (iPhone), 9:16 screenshot-ish, 12 MP. */
const PHOTO_SIZES: readonly [number, number][] = [
  [1280, 960],
  [3024, 4032],
  [1080, 1920],
  [4000, 3000],
];
/** Bump when the photo recipe changes so cached photos are regenerated. */
const PHOTO_RECIPE = 'v2';

const { values: cli } = parseArgs({ options: { device: { type: 'string' } } });
// `--device cuda` is ML_DEVICE=cuda for this run; the provider that actually ran is printed.
const config = loadConfig(cli.device ? { ...process.env, ML_DEVICE: cli.device } : process.env);
const imageCount = intFromEnv('BENCH_IMAGES', 96);
const rounds = intFromEnv('BENCH_ROUNDS', 3);
const decodeConcurrency = optionalIntFromEnv('BENCH_DECODE_CONCURRENCY');
const sharpConcurrency = optionalIntFromEnv('BENCH_SHARP_CONCURRENCY');
const allowSpinning = process.env.BENCH_SPIN === '1';
const decodeNiceness = optionalIntFromEnv('BENCH_NICE');
const batchSize = config.model.batchSize;

function intFromEnv(name: string, fallback: number): number {
  return optionalIntFromEnv(name) ?? fallback;
}

function optionalIntFromEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got ${value}`);
  return parsed;
}

/** The generated ResNet-50 for SEED, created once (≈4 s) and reused while its hash still matches. */
async function benchModel(): Promise<string> {
  const modelPath = join(BENCH_DIR, `generated-resnet50-seed${SEED}.onnx`);
  if (existsSync(modelPath) && existsSync(manifestPathFor(modelPath))) {
    const manifest = await readManifest(modelPath).catch(() => undefined);
    if (manifest?.source === 'generated') return modelPath;
  }
  console.log(`generating ResNet-50 (seed ${SEED}) → ${modelPath}`);
  await writeGeneratedModel({ arch: 'resnet50', seed: SEED, out: modelPath });
  return modelPath;
}


/**
 * A synthetic "phone photo" as a q85 JPEG: a smooth two-colour gradient, a few solid shapes and
 * sensor-like noise. The noise matters: without it JPEGs compress to almost nothing and decode
 * unrealistically fast (real 12 MP phone photos are 2–5 MB; these come out around 2.4 MB).
 * Pixels are painted in JS rather than rendered by sharp because that is several times faster.
 */
async function makePhoto(index: number, width: number, height: number): Promise<Buffer> {
  const random = seededRandom(1000 + index);
  const colour = (): [number, number, number] => [random() * 255, random() * 255, random() * 255];
  const [from, to] = [colour(), colour()];
  const slope = random();
  const shapes = Array.from({ length: 6 }, () => ({
    x: random() * width,
    y: random() * height,
    r: (0.05 + random() * 0.2) * Math.min(width, height),
    round: random() < 0.5,
    fill: colour(),
  }));
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const t = (x * slope + y) / (width * slope + height);
      let pixel: readonly number[] = [from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t, from[2] + (to[2] - from[2]) * t];
      for (const shape of shapes) {
        const inside = shape.round
          ? (x - shape.x) ** 2 + (y - shape.y) ** 2 < shape.r ** 2
          : Math.abs(x - shape.x) < shape.r && Math.abs(y - shape.y) < shape.r / 2;
        if (inside) pixel = shape.fill;
      }
      const offset = (y * width + x) * 3;
      for (let c = 0; c < 3; c += 1) {
        // Sum of two uniforms: cheap, roughly Gaussian noise with σ ≈ 10 grey levels.
        const noise = (random() + random() - 1) * 24;
        data[offset + c] = Math.max(0, Math.min(255, Math.round(pixel[c]! + noise)));
      }
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85, chromaSubsampling: '4:2:0' }).toBuffer();
}

async function benchPhotos(): Promise<string[]> {
  const dir = join(BENCH_DIR, `photos-${PHOTO_RECIPE}`);
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  let made = 0;
  for (let i = 0; i < imageCount; i += 1) {
    const [width, height] = PHOTO_SIZES[i % PHOTO_SIZES.length]!;
    const path = join(dir, `photo-${String(i).padStart(3, '0')}-${width}x${height}.jpg`);
    if (!existsSync(path)) {
      await writeFile(path, await makePhoto(i, width, height));
      made += 1;
    }
    paths.push(path);
  }
  if (made > 0) console.log(`generated ${made} photos in ${dir}`);
  return paths;
}

interface Measurement {
  seconds: number;
  imagesPerSecond: number;
  /** CPU time of this process (all threads) per image, in milliseconds. */
  cpuMsPerImage: number;
}

interface Stopwatch {
  startedMs: number;
  cpu: NodeJS.CpuUsage;
}

function startStopwatch(): Stopwatch {
  return { startedMs: performance.now(), cpu: process.cpuUsage() };
}

function measurement(images: number, { startedMs, cpu }: Stopwatch): Measurement {
  const seconds = (performance.now() - startedMs) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, imagesPerSecond: images / seconds, cpuMsPerImage: (used.user + used.system) / 1000 / images };
}

/** ONNX Runtime alone: `count` images in batches, two batches in flight like the pipeline keeps. */
async function measureRaw(backbone: Backbone, tensors: Float32Array[], count: number): Promise<Measurement> {
  const batches: Float32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const batch = new Float32Array(size * backbone.imageLength);
    for (let i = 0; i < size; i += 1) batch.set(tensors[(start + i) % tensors.length]!, i * backbone.imageLength);
    batches.push(batch);
  }
  const started = startStopwatch();
  const inFlight: Promise<Float32Array>[] = [];
  for (const batch of batches) {
    inFlight.push(backbone.run(batch, batch.length / backbone.imageLength));
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return measurement(count, started);
}

async function measureEndToEnd(embedder: ImageEmbedder, paths: readonly string[]): Promise<Measurement> {
  const inputs: ImageInput[] = paths.map((path) => ({ source: path, path }));
  const started = startStopwatch();
  let failed = 0;
  for await (const outcome of embedder.embedAll(inputs)) if (!outcome.ok) failed += 1;
  if (failed > 0) throw new Error(`${failed} bench photos were rejected`);
  return measurement(paths.length, started);
}

/** Decoding alone at the pipeline's concurrency, to show how much CPU the images cost. */
async function measureDecode(paths: readonly string[], concurrency: number): Promise<Measurement> {
  const settings = {
    mode: config.model.preprocessMode,
    inputSize: 224,
    mean: [0.485, 0.456, 0.406] as const,
    std: [0.229, 0.224, 0.225] as const,
    maxBytes: config.images.maxBytes,
    maxPixels: config.images.maxPixels,
  };
  const started = startStopwatch();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < paths.length) await preprocessFile(paths[next++]!, settings);
    }),
  );
  return measurement(paths.length, started);
}

function format(m: Measurement): string {
  return `${m.imagesPerSecond.toFixed(2)} img/s (${m.seconds.toFixed(2)} s, ${m.cpuMsPerImage.toFixed(0)} CPU-ms/img)`;
}

function best(results: Measurement[]): Measurement {
  return results.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  await mkdir(BENCH_DIR, { recursive: true });
  if (sharpConcurrency !== undefined) sharp.concurrency(sharpConcurrency);
  const modelPath = await benchModel();
  const paths = await benchPhotos();
  const backbone = await Backbone.load(modelPath, {
    device: config.model.device,
    threads: config.model.threads,
    allowSpinning,
    logger: { warn: (obj, msg) => console.warn(`warning: ${msg}`, obj) },
  });
  const embedder = new ImageEmbedder(backbone, { ...embedderOptionsFromConfig(config), decodeConcurrency, decodeNiceness });
  const concurrencyUsed = embedder.decodeConcurrency;
  const totalMegabytes = (await Promise.all(paths.map((p) => readFile(p)))).reduce((sum, b) => sum + b.length, 0) / 1e6;

  console.log(
    `execution provider ${backbone.provider} (ML_DEVICE ${config.model.device}), ` +
    `cores ${availableParallelism()}, ML_THREADS ${config.model.threads} (0 = all), batch ${batchSize}, ` +
      `decode concurrency ${concurrencyUsed}, decoder nice ${embedder.decodeNiceness}, sharp.concurrency ${sharp.concurrency()}, ` +
      `UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, spinning ${allowSpinning ? 'on' : 'off'}, ` +
      `mode ${config.model.preprocessMode}`,
  );
  console.log(`${paths.length} JPEG photos, ${totalMegabytes.toFixed(1)} MB, sizes ${PHOTO_SIZES.map(([w, h]) => `${w}×${h}`).join(', ')}`);

  const tensors = await Promise.all(
    paths.slice(0, batchSize).map(async (path) => (await preprocessFile(path, { ...embedderSettings(backbone) })).tensor),
  );
  // Warm-up: first runs pay for memory arenas, kernel selection and the page cache.
  await measureRaw(backbone, tensors, batchSize * 2);
  await measureEndToEnd(embedder, paths.slice(0, batchSize * 2));
  const decode = await measureDecode(paths, concurrencyUsed);
  console.log(`decode only (no inference): ${format(decode)}`);

  // Raw and e2e alternate so both see the same background load; the verdict uses the median of
  // the per-round ratios, which a burst of load elsewhere on the machine cannot swing much.
  const raw: Measurement[] = [];
  const e2e: Measurement[] = [];
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    raw.push(await measureRaw(backbone, tensors, paths.length));
    e2e.push(await measureEndToEnd(embedder, paths));
    ratios.push(e2e.at(-1)!.imagesPerSecond / raw.at(-1)!.imagesPerSecond);
    console.log(`round ${round}: raw ${format(raw.at(-1)!)}, e2e ${format(e2e.at(-1)!)}, ratio ${ratios.at(-1)!.toFixed(3)}`);
  }
  await backbone.close();

  const ratio = median(ratios);
  const load = loadavg()[0]!;
  console.log('');
  console.log(`raw onnxruntime : ${format(best(raw))}  (best of ${rounds})`);
  console.log(`end-to-end      : ${format(best(e2e))}  (best of ${rounds})`);
  console.log(`ratio e2e/raw   : ${ratio.toFixed(3)}  (median of per-round ratios)  target ≥ 0.90: ${ratio >= 0.9 ? 'PASS' : 'FAIL'}`);
  // On the CPU, decoding runs on the same cores as inference: when both keep the cores busy, about
  // inference's share of the CPU time per photo goes to inference (an estimate: decoding also
  // fills moments when inference's threads wait for each other, and both CPU figures are noisy).
  const ceiling = backbone.provider === 'cpu' ? best(raw).cpuMsPerImage / (best(raw).cpuMsPerImage + decode.cpuMsPerImage) : undefined;
  if (ceiling !== undefined) {
    console.log(`expected when decoding shares the cores: ${ceiling.toFixed(3)} = ${best(raw).cpuMsPerImage.toFixed(0)} inference / (${best(raw).cpuMsPerImage.toFixed(0)} + ${decode.cpuMsPerImage.toFixed(0)} decoding) CPU-ms per photo; reached ${(ratio / ceiling).toFixed(2)} of it`);
  }
  reportFigure({
    bench: 'bench:embed', name: `catalog embedding end to end (${paths.length} phone photos, ${backbone.provider})`, value: `${best(e2e).imagesPerSecond.toFixed(1)} img/s = ${ratio.toFixed(2)}×`,
    baseline: `${best(raw).imagesPerSecond.toFixed(1)} img/s raw ONNX Runtime${ceiling !== undefined ? `; ≈ ${ceiling.toFixed(2)}× expected while decoding shares the cores` : ''}`, target: '≥ 0.90×', met: ratio >= 0.9,
  });
  if (load > availableParallelism()) {
    console.log(`note: 1-minute load average ${load.toFixed(1)} on ${availableParallelism()} cores; other processes skew these numbers`);
  }
}

function embedderSettings(backbone: Backbone) {
  return {
    mode: config.model.preprocessMode,
    inputSize: backbone.inputSize,
    mean: backbone.manifest.mean,
    std: backbone.manifest.std,
    maxBytes: config.images.maxBytes,
    maxPixels: config.images.maxPixels,
  };
}

await main();
