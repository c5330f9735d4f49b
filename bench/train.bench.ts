/**
 * `npm run bench:train`: how long does a retrain take after a catalog change, and how do the two
 * recipes compare on the same split?
 *
 * 1. Set-up (cached in `.bench/`): a generated ResNet-50 (seed 42), 3,000 synthetic product photos
 *    in 10 visually distinct categories, and an embedded database whose feature cache holds their
 *    backbone features (first run: ~5,400 embeddings, a few minutes on 2 cores).
 * 2. Both recipes train on the same seeded 80/20 split; validation accuracy is printed.
 * 3. Ten new products (one photo each) are added and the `best` head retrained; the time includes
 *    hashing the catalog, reading cached features, embedding the new photos (and their augmented
 *    copies) and training, warm-started from the active head; the same retrain from scratch is the
 *    baseline. Target ≤ 10 s on 2 cores.
 * `--int8`: every step runs on the int8 copy `npx shoplens model quantize` makes of the generated
 * model, calibrated on the synthetic catalog, to compare the recipes' accuracy on its features.
 *
 * 4. If `/usr/share/datasets/fashion-mnist/` exists (Debian `dataset-fashion-mnist`), both recipes
 *    also train on a Fashion-MNIST catalog (BENCH_FMNIST_PER_CLASS images per class, upscaled).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { loadConfig } from '../src/config/index.ts';
import type { EmbeddingModel } from '../src/core/ports.ts';
import { TrainingService, type TrainingSuccess } from '../src/core/training/training-service.ts';
import { openDatabase } from '../src/db/open.ts';
import { Backbone } from '../src/ml/backbone.ts';
import { embedderOptionsFromConfig, ImageEmbedder } from '../src/ml/embedder.ts';
import { manifestPathFor, readManifest } from '../src/ml/manifest.ts';
import { writeGeneratedModel } from '../src/ml/model-generator/index.ts';
import { seededRandom } from '../training/random.ts';
import { int8Copy } from './support/int8.ts';
import { reportFigure } from './support/summary.ts';

const BENCH_DIR = resolve('.bench');
const CATALOG_DIR = join(BENCH_DIR, 'train-catalog-v1');
const CATEGORIES = ['bags', 'belts', 'boots', 'caps', 'dresses', 'gloves', 'jackets', 'scarves', 'shirts', 'socks'];
const PER_CATEGORY = Number(process.env.BENCH_PER_CATEGORY ?? 300);
const FASHION_PER_CLASS = Number(process.env.BENCH_FMNIST_PER_CLASS ?? 200);
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';
const FASHION_CLASSES = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];
const config = loadConfig();
const { values: args } = parseArgs({ options: { int8: { type: 'boolean', default: false } } });
const BENCH = args.int8 ? 'bench:train --int8' : 'bench:train';

async function benchModel(): Promise<string> {
  const modelPath = join(BENCH_DIR, 'generated-resnet50-seed42.onnx');
  if (existsSync(modelPath) && existsSync(manifestPathFor(modelPath))) {
    const manifest = await readManifest(modelPath).catch(() => undefined);
    if (manifest?.source === 'generated') return modelPath;
  }
  console.log(`generating ResNet-50 (seed 42) → ${modelPath}`);
  await writeGeneratedModel({ arch: 'resnet50', seed: 42, out: modelPath });
  return modelPath;
}

/** Category c: a hue band, one shape kind and a stripe frequency; within it, random placement and shade. */
async function productPhoto(category: number, seed: number): Promise<Buffer> {
  const random = seededRandom(seed);
  const hue = (category * 36 + (random() - 0.5) * 30 + 360) % 360;
  const light = 35 + random() * 30;
  const size = 224;
  const r = 40 + random() * 50;
  const x = 60 + random() * 104;
  const y = 60 + random() * 104;
  const fill = `hsl(${hue.toFixed(0)},70%,${light.toFixed(0)}%)`;
  const kinds = [
    `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"/>`,
    `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" fill="${fill}"/>`,
    `<polygon points="${x},${y - r} ${x + r},${y + r} ${x - r},${y + r}" fill="${fill}"/>`,
    `<ellipse cx="${x}" cy="${y}" rx="${r}" ry="${r / 2}" fill="${fill}"/>`,
    `<rect x="${x - r}" y="${y - r / 4}" width="${2 * r}" height="${r / 2}" fill="${fill}"/>`,
  ];
  const stripes = Array.from({ length: 2 + (category % 4) * 2 }, (_, i) => `<rect x="0" y="${(i * size) / (2 + (category % 4) * 2)}" width="${size}" height="3" fill="#0002"/>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="hsl(${((hue + 180) % 360).toFixed(0)},15%,${(80 + random() * 15).toFixed(0)}%)"/>${stripes}${kinds[category % kinds.length]!}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

async function ensureCatalog(): Promise<void> {
  const marker = join(CATALOG_DIR, `.complete-${PER_CATEGORY}`);
  if (existsSync(marker)) return;
  console.log(`writing ${CATEGORIES.length * PER_CATEGORY} product photos → ${CATALOG_DIR}`);
  for (const [c, category] of CATEGORIES.entries()) {
    await mkdir(join(CATALOG_DIR, category), { recursive: true });
    for (let i = 0; i < PER_CATEGORY; i++) await writeFile(join(CATALOG_DIR, category, `${i}.jpg`), await productPhoto(c, c * 100_000 + i));
  }
  await writeFile(marker, '');
}

function embeddingModel(embedder: ImageEmbedder, backbone: Backbone): EmbeddingModel {
  return {
    modelId: backbone.modelId,
    pretrained: backbone.pretrained,
    dimension: backbone.dimension,
    embed: (data, source) => embedder.embed(data, source),
    embedAll: (inputs, options) => embedder.embedAll(inputs, options),
  };
}

function describe(label: string, result: TrainingSuccess, seconds: number): void {
  console.log(
    `${label.padEnd(34)} val acc ${(result.valAccuracy * 100).toFixed(1).padStart(5)}%  val loss ${result.valLoss.toFixed(3)}  epochs ${result.history.length} (best ${result.bestEpoch})  ` +
      `train ${result.trainSize} / val ${result.valSize}  embedded ${result.embedded}, cache hits ${result.cacheHits}  ${seconds.toFixed(1)} s`,
  );
}

async function timed(service: TrainingService, options: Parameters<TrainingService['startTraining']>[0]): Promise<[TrainingSuccess, number]> {
  const started = performance.now();
  let lastShown = 0;
  const result = await service.startTraining({
    ...options,
    onFeatures: (done, total) => {
      if (done === total || performance.now() - lastShown > 10_000) {
        lastShown = performance.now();
        console.log(`  embedding ${done}/${total}`);
      }
    },
  });
  if (result.status !== 'success') throw new Error(`training skipped: ${result.reason}`);
  return [result, (performance.now() - started) / 1000];
}

/** Writes FASHION_PER_CLASS images per class of the Fashion-MNIST test set, upscaled to 224 px. */
async function fashionCatalog(perClass: number): Promise<string | undefined> {
  const images = join(FASHION_DIR, 't10k-images-idx3-ubyte.gz');
  const labels = join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz');
  if (!existsSync(images) || !existsSync(labels)) return undefined;
  const dir = join(BENCH_DIR, `fashion-mnist-${perClass}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const pixels = gunzipSync(await readFile(images));
  const classes = gunzipSync(await readFile(labels));
  const count = pixels.readUInt32BE(4);
  const written = new Array<number>(10).fill(0);
  for (const name of FASHION_CLASSES) await mkdir(join(dir, name), { recursive: true });
  for (let i = 0; i < count && written.some((n) => n < perClass); i++) {
    const label = classes[8 + i]!;
    if (written[label]! >= perClass) continue;
    const raw = pixels.subarray(16 + i * 784, 16 + (i + 1) * 784);
    const png = await sharp(Buffer.from(raw), { raw: { width: 28, height: 28, channels: 1 } }).resize(224, 224, { kernel: 'cubic' }).negate().png().toBuffer();
    await writeFile(join(dir, FASHION_CLASSES[label]!, `${i}.png`), png);
    written[label]!++;
  }
  await writeFile(join(dir, '.complete'), '');
  return dir;
}

async function main(): Promise<void> {
  await mkdir(BENCH_DIR, { recursive: true });
  await ensureCatalog();
  const floatPath = await benchModel();
  const modelPath = args.int8 ? await int8Copy(floatPath, CATALOG_DIR, 'bench-train-resnet50-seed42-int8') : floatPath;
  const backbone = await Backbone.load(modelPath, { device: 'cpu', threads: config.model.threads, logger: { warn: (_details: object, message: string) => console.warn(message) } });
  const model = embeddingModel(new ImageEmbedder(backbone, embedderOptionsFromConfig(config)), backbone);
  const db = await openDatabase({ url: undefined, dataDir: join(BENCH_DIR, 'train-data') });
  const service = new TrainingService({
    db, model: () => Promise.resolve(model), resolveImage: (p) => p, modelsDir: join(BENCH_DIR, 'train-models'),
    minImagesPerCategory: 5, promotionTolerance: 1, warn: (m) => console.warn(m),
  });
  const added: string[] = [];
  try {
    console.log(`catalog: ${CATEGORIES.length} categories × ${PER_CATEGORY} photos; backbone ${model.modelId} (random weights)`);
    const [best, bestSeconds] = await timed(service, { data: CATALOG_DIR, recipe: 'best' });
    describe('best (set-up run)', best, bestSeconds);
    const [thesis, thesisSeconds] = await timed(service, { data: CATALOG_DIR, recipe: 'thesis' });
    describe('thesis (same split)', thesis, thesisSeconds);

    const stamp = Date.now();
    for (let i = 0; i < 10; i++) {
      const file = join(CATALOG_DIR, CATEGORIES[i]!, `new-${stamp}-${i}.jpg`);
      await writeFile(file, await productPhoto(i, stamp + i));
      added.push(file);
    }
    const [retrained, retrainSeconds] = await timed(service, { data: CATALOG_DIR, recipe: 'best' });
    describe(`best retrain after +10 products (warm from ${retrained.warmStartedFrom ?? 'nothing'})`, retrained, retrainSeconds);
    // Baseline, same run and data: training from scratch (the new images' features are cached by now).
    const [cold, coldSeconds] = await timed(service, { data: CATALOG_DIR, recipe: 'best', warmStart: false });
    describe('best retrain from scratch (baseline)', cold, coldSeconds);
    console.log(`RETRAIN TIME: ${retrainSeconds.toFixed(1)} s warm (target ≤ 10 s) vs ${coldSeconds.toFixed(1)} s from scratch — includes hashing the catalog, ` +
      `reading cached features and embedding ${retrained.embedded} new images/augmented copies; val acc ${(retrained.valAccuracy * 100).toFixed(1)}% warm vs ${(cold.valAccuracy * 100).toFixed(1)}% from scratch`);
    reportFigure({
      bench: BENCH, name: `retrain after +10 products, ${(CATEGORIES.length * PER_CATEGORY).toLocaleString('en-US')} images (warm start)`, value: `${retrainSeconds.toFixed(1)} s, val acc ${(retrained.valAccuracy * 100).toFixed(1)}%`,
      baseline: `${coldSeconds.toFixed(1)} s, ${(cold.valAccuracy * 100).toFixed(1)}% from scratch`, target: '≤ 10 s', met: retrainSeconds <= 10 && retrained.warmStartedFrom !== undefined,
    });
    reportFigure({ bench: BENCH, name: 'validation accuracy, same split: best vs thesis recipe', value: `${(best.valAccuracy * 100).toFixed(1)}%`, baseline: `${(thesis.valAccuracy * 100).toFixed(1)}% thesis` });
    console.log(`SAME SPLIT: thesis ${(thesis.valAccuracy * 100).toFixed(1)}% vs best ${(best.valAccuracy * 100).toFixed(1)}%`);

    const fashion = FASHION_PER_CLASS > 0 ? await fashionCatalog(FASHION_PER_CLASS) : undefined;
    if (!fashion) {
      console.log(`Fashion-MNIST: skipped (BENCH_FMNIST_PER_CLASS=0, or ${FASHION_DIR} not found: apt-get install dataset-fashion-mnist)`);
    } else {
      const [fBest, fBestSeconds] = await timed(service, { data: fashion, recipe: 'best' });
      describe('Fashion-MNIST best', fBest, fBestSeconds);
      const [fThesis, fThesisSeconds] = await timed(service, { data: fashion, recipe: 'thesis' });
      describe('Fashion-MNIST thesis', fThesis, fThesisSeconds);
    }
  } finally {
    await Promise.all(added.map((file) => rm(file, { force: true })));
    await db.close();
    await backbone.close();
  }
}

await main();

