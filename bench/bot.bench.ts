/**
 * `npm run bench:bot`: photo-to-answer latency and throughput of the real Telegram bot, next to
 * raw ONNX Runtime on the same model in the same run.
 *
 * Simulated customers send photos through the fake Bot API (loopback) to the assistant started as
 * `npm start` starts it (its own process, `node scripts/start.js`), which long-polls the
 * fake, downloads the photo, embeds it with a generated ResNet-50 (same compute as the pretrained
 * one, no download) and searches a 1,000-product catalog on the embedded database with default
 * settings. The catalog is stored before the assistant starts. Latency runs from the update
 * becoming available to the media group arriving at the fake. Every photo comes from its own chat,
 * as in a shop (one chat sending back-to-back is rightly paced to ~1 message/s by the throttler),
 * and Telegram's 30 messages/s over all chats is lifted (TELEGRAM_MESSAGES_PER_SECOND=1000): at
 * two messages per answer it alone would cap answers at 15/s, a Telegram policy, not the
 * hardware. The assistant's resident memory is sampled every 100 ms while it serves; the fake
 * and the simulated customers run in this process, on the same cores.
 *
 * Baselines, measured in this process after the assistant stopped, with the same model and
 * threads: raw ONNX Runtime images/s (for 10 customers), and one customer photo decoded and
 * embedded at a time, as the assistant does it but without Telegram, database or search (for 1
 * customer: what is left of the answer's time is the assistant's own work and its round trips).
 *
 * "1 customer at a time" runs twice: back to back (the next photo as soon as the last answer is
 * in), and with the assistant idle for 0.3 s before each photo, as a lone customer in a quiet shop
 * finds it. The two differ: after a pause, every thread that has to be woken takes longer to run
 * again (much longer on the 2-core VMs this project is measured on), so the idle round has its own
 * baseline, one photo decoded and embedded alone after the same pause.
 *
 * Targets (2 cores): 1 customer at a time (both rounds) p50 ≤ 45 ms, p95 ≤ 100 ms; 10 at a time
 * p95 ≤ 1 s and answers/s ≥ 0.6 × raw ONNX Runtime images/s; RSS ≤ 600 MB; no errors.
 *
 * `--int8` serves with the int8 copy `npx shoplens model quantize` makes of the generated model
 * (calibrated on the catalog's base photos); the raw baselines then run that copy too.
 *
 * Usage: npm run bench:bot -- [--device cpu|cuda|auto] [--int8] [--requests-1 30] [--requests-idle 20] [--requests-10 200]
 * (ML_THREADS, ML_BATCH_SIZE and the other settings come from the environment as in the app.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import sharp from 'sharp';
import { loadConfig, type Config } from '../src/config/index.ts';
import { Assistant } from '../src/core/assistant.ts';
import type { StatsRecord } from '../src/core/records.ts';
import { Backbone } from '../src/ml/backbone.ts';
import { ImageEmbedder } from '../src/ml/embedder.ts';
import { loadEmbeddingModel } from '../src/ml/load-model.ts';
import { manifestPathFor } from '../src/ml/manifest.ts';
import { writeGeneratedModel } from '../src/ml/model-generator/index.ts';
import { preprocessImage } from '../src/ml/preprocess.ts';
import { FakeChat, FakeTelegram } from '../test/helpers/fake-telegram/index.ts';
import { start } from '../test/helpers/processes.ts';
import { productSvg } from '../test/helpers/images.ts';
import { near } from '../test/helpers/vectors.ts';
import { int8Copy } from './support/int8.ts';
import { ms, percentile, reportFigure } from './support/summary.ts';

const BENCH = 'bench:bot';
const BENCH_DIR = path.resolve('.bench');
const MODEL_PATH = path.join(BENCH_DIR, 'resnet50-seed42.onnx');
const PRODUCTS = 1_000;
const BASE_IMAGES = 25;
const CATEGORIES = ['Dresses', 'Shirts', 'Hats', 'Bags', 'Shoes', 'Scarves', 'Coats', 'Trousers'];
const RSS_LIMIT_MB = 600;
/** How long the assistant sits idle before each photo of the "after a pause" round, in ms. */
const IDLE_MS = 300;

const { values: args } = parseArgs({
  options: {
    device: { type: 'string' },
    int8: { type: 'boolean', default: false },
    'requests-1': { type: 'string', default: '30' },
    'requests-idle': { type: 'string', default: '20' },
    'requests-10': { type: 'string', default: '200' },
  },
});

interface RoundResult {
  readonly latencies: number[];
  readonly errors: number;
  readonly seconds: number;
}

interface Rounds {
  /** 1 customer, back to back. */
  readonly one: RoundResult;
  /** 1 customer, the assistant idle for {@link IDLE_MS} before each photo. */
  readonly idle: RoundResult;
  /** 10 customers at a time. */
  readonly ten: RoundResult;
}

async function main(): Promise<void> {
  if (!existsSync(MODEL_PATH) || !existsSync(manifestPathFor(MODEL_PATH))) {
    console.log('generating ResNet-50 (seed 42) into .bench/ …');
    await writeGeneratedModel({ arch: 'resnet50', seed: 42, out: MODEL_PATH });
  }
  const photos = await basePhotos();
  const modelPath = args.int8 ? await int8Model(photos) : MODEL_PATH;
  const telegram = new FakeTelegram();
  await telegram.start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-bench-bot-'));
  const env: Record<string, string> = {
    ...(args.device ? { ML_DEVICE: args.device } : {}),
    DATA_DIR: dataDir,
    MODEL_PATH: modelPath,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    SEARCH_RATE_LIMIT_PER_MINUTE: '100000',
    // Telegram's own limit of 30 messages/s over all chats (two per answer) would cap answers at
    // 15/s whatever the hardware does; the fake has no such limit, and this bench measures the
    // hardware. Shops whose bot has paid broadcasts may raise it the same way.
    TELEGRAM_MESSAGES_PER_SECOND: '1000',
    // Random weights make every score high; the bench measures answers, not relevance.
    SEARCH_MIN_SCORE: '-1',
    // The retraining schedule fires at :00 and :30 by the clock; a run that crossed one measured
    // serving next to a training run (feature extraction on the same cores), not serving alone.
    RETRAIN_ENABLED: 'false',
    PORT: '0',
  };
  const config = loadConfig({ ...process.env, ...env, LOG_LEVEL: 'silent' }, process.cwd());
  const provider = await seedCatalog(config, photos);
  console.log(`settings: ML_DEVICE ${config.model.device} → execution provider ${provider}, ML_THREADS ${config.model.threads} (0 = one per core, ${os.availableParallelism()} here), ML_BATCH_SIZE ${config.model.batchSize}, SEARCH_INDEX ${config.search.index}, TELEGRAM_MESSAGES_PER_SECOND ${config.telegram.messagesPerSecond} (default 30 caps Telegram answers at 15/s)`);
  const assistant = start(['scripts/start.js'], { env: { ...process.env, ...env } });
  let rounds: Rounds;
  let peakRssMb: number;
  try {
    const ready = performance.now();
    await assistant.waitFor(/ShopLens is ready/, 120_000);
    const baseUrl = (await assistant.waitFor(/Customer chat:\s+(http:\/\/\S+?)\/?\s/))[1]!;
    console.log(`assistant: \`npm start\`'s process (pid ${assistant.child.pid}) ready in ${((performance.now() - ready) / 1000).toFixed(1)} s`);
    const queries = await customerPhotos(photos);
    await runRound(telegram, queries, 2, 10, 1); // warm-up: uploads, JIT, the index load
    const rss = sampleRss(assistant.child.pid!);
    try {
      const one = await runRound(telegram, queries, 1, Number(args['requests-1']), 100_000);
      const idle = await runRound(telegram, queries, 1, Number(args['requests-idle']), 150_000, IDLE_MS);
      const ten = await runRound(telegram, queries, 10, Number(args['requests-10']), 200_000);
      rounds = { one, idle, ten };
    } finally {
      rss.stop();
    }
    peakRssMb = rss.peakMb;
    await reportSearchLog(baseUrl, dataDir);
  } finally {
    assistant.child.kill('SIGTERM');
    const code = await assistant.exited();
    if (code !== 0) console.error(`assistant exited with code ${code}: ${assistant.stderr().slice(-2000)}`);
    await telegram.stop();
  }
  await rm(dataDir, { recursive: true, force: true });
  const raw = await rawBaselines(config, await customerPhotos(photos));
  report(rounds, raw, peakRssMb);
}

/** `--int8`: the generated ResNet-50's int8 copy, calibrated on the catalog's base photos. */
async function int8Model(photos: readonly Buffer[]): Promise<string> {
  const photosDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-bench-int8-'));
  try {
    await Promise.all(photos.map((photo, index) => writeFile(path.join(photosDir, `base-${String(index).padStart(2, '0')}.jpg`), photo)));
    return await int8Copy(MODEL_PATH, photosDir, 'bench-resnet50-seed42-int8');
  } finally {
    await rm(photosDir, { recursive: true, force: true });
  }
}

/** The core's own latency figures, from the running assistant's `GET /api/admin/stats`. */
async function reportSearchLog(baseUrl: string, dataDir: string): Promise<void> {
  const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
  const response = await fetch(`${baseUrl}/api/admin/stats`, { headers: { authorization: `Bearer ${token}` } });
  const stats = (await response.json()) as Pick<StatsRecord, 'imageLatencyP50Ms' | 'imageLatencyP95Ms'>;
  console.log(`\ncore photo search, all rounds (search log: download + embed + search + log): median ${stats.imageLatencyP50Ms?.toFixed(1)} ms, p95 ${stats.imageLatencyP95Ms?.toFixed(1)} ms`);
}

/**
 * Resident set size of the assistant's process (`/proc/<pid>/status` VmRSS, Linux; `ps`
 * elsewhere), sampled every 100 ms while customers are served.
 */
function sampleRss(pid: number): { readonly peakMb: number; stop(): void } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 100);
  return {
    get peakMb() {
      return peak / 1e6;
    },
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, rssOf(pid));
    },
  };
}

/** Bytes resident for `pid` now; 0 once it has exited. */
function rssOf(pid: number): number {
  try {
    if (process.platform === 'linux') {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return Number(kb ?? 0) * 1024;
    }
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
  } catch {
    return 0;
  }
}

/** Batch sizes tried for the raw baseline: its best is the hardware limit, whatever ML_BATCH_SIZE says. */
const RAW_BATCH_SIZES = [1, 2, 4, 8];

/** What the hardware does with this model and these threads, without the assistant around it. */
interface RawBaselines {
  /** Images per second at the best batch size, two batches in flight. */
  imagesPerSecond: number;
  provider: string;
  batchSize: number;
  /** Median milliseconds to decode and embed one customer photo, one photo at a time. */
  onePhotoMs: number;
  /** The same, each photo after {@link IDLE_MS} of idling. */
  onePhotoIdleMs: number;
}

/**
 * ONNX Runtime alone, same model and thread settings, on ready-made tensors, two calls in flight
 * (what bench:embed calls "raw"): the best images/s over batch sizes 1, 2, 4, 8 and ML_BATCH_SIZE
 * (best of two rounds of 48 images each), measured after the bot stopped so the two never compete.
 * Taking the best batch keeps the baseline honest: on 2 CPU cores batches of 8 run slower per
 * image than batches of 2, so a baseline at a poorly chosen ML_BATCH_SIZE would flatter serving.
 * First, on the same backbone, one customer photo at a time ({@link onePhotoAtATime}).
 */
async function rawBaselines(config: Config, photos: readonly Buffer[]): Promise<RawBaselines> {
  const backbone = await Backbone.load(config.model.path, { device: config.model.device, threads: config.model.threads, logger: { warn: () => undefined } });
  try {
    const onePhotoMs = await onePhotoAtATime(config, backbone, photos);
    console.log(`  one customer photo at a time, decoded and embedded (no Telegram, database or search): p50 ${ms(onePhotoMs)}`);
    const onePhotoIdleMs = await onePhotoAtATime(config, backbone, photos.slice(0, Number(args['requests-idle'])), IDLE_MS);
    console.log(`  the same, each photo after ${IDLE_MS} ms idle: p50 ${ms(onePhotoIdleMs)}`);
    const { manifest } = backbone;
    const settings = { mode: config.model.preprocessMode, inputSize: manifest.inputSize, mean: manifest.mean, std: manifest.std, maxBytes: config.images.maxBytes, maxPixels: config.images.maxPixels, source: 'raw' };
    const sizes = [...new Set([...RAW_BATCH_SIZES, config.model.batchSize])].sort((a, b) => a - b);
    const tensors = await Promise.all(photos.slice(0, Math.max(...sizes)).map(async (photo) => (await preprocessImage(photo, settings)).tensor));
    let best = { imagesPerSecond: 0, batchSize: 1 };
    for (const size of sizes) {
      const count = Math.min(size, tensors.length);
      const batch = new Float32Array(count * backbone.imageLength);
      tensors.slice(0, count).forEach((tensor, i) => batch.set(tensor, i * backbone.imageLength));
      const imagesPerSecond = await bestRate(backbone, batch, count);
      console.log(`  raw ONNX Runtime, batches of ${count}: ${imagesPerSecond.toFixed(1)} images/s`);
      if (imagesPerSecond > best.imagesPerSecond) best = { imagesPerSecond, batchSize: count };
    }
    return { ...best, provider: backbone.provider, onePhotoMs, onePhotoIdleMs };
  } finally {
    await backbone.close();
  }
}

/**
 * The embedding step of a lone customer's answer on its own: the assistant's ImageEmbedder.embed
 * (sharp decode and resize, then inference at interactive priority) on each photo in turn, twice
 * over; the first pass warms up and is not counted.
 * @param idleMs time to wait before each photo (0: back to back).
 * @returns the median of the second pass, in milliseconds.
 */
async function onePhotoAtATime(config: Config, backbone: Backbone, photos: readonly Buffer[], idleMs = 0): Promise<number> {
  const embedder = new ImageEmbedder(backbone, { mode: config.model.preprocessMode, maxBytes: config.images.maxBytes, maxPixels: config.images.maxPixels });
  const latencies: number[] = [];
  for (const pass of [0, 1]) {
    for (const [index, photo] of photos.entries()) {
      if (idleMs > 0) await sleep(idleMs);
      const started = performance.now();
      await embedder.embed(photo, `raw-${index}`);
      if (pass === 1) latencies.push(performance.now() - started);
    }
  }
  return percentile(latencies, 0.5);
}

async function bestRate(backbone: Backbone, batch: Float32Array, count: number): Promise<number> {
  let best = 0;
  for (let round = 0; round < 3; round += 1) {
    const started = performance.now();
    const inFlight: Promise<Float32Array>[] = [];
    let images = 0;
    while (images < 48) {
      inFlight.push(backbone.run(batch, count));
      images += count;
      if (inFlight.length >= 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
    if (round > 0) best = Math.max(best, images / ((performance.now() - started) / 1000));
  }
  return best;
}

function report(rounds: Rounds, raw: RawBaselines, peakRssMb: number): void {
  const summary = (result: RoundResult) => ({
    p50: percentile(result.latencies, 0.5),
    p95: percentile(result.latencies, 0.95),
    rate: result.latencies.length / result.seconds,
  });
  const one = summary(rounds.one);
  const idle = summary(rounds.idle);
  const ten = summary(rounds.ten);
  const errors = rounds.one.errors + rounds.idle.errors + rounds.ten.errors;
  const ratio = ten.rate / raw.imagesPerSecond;
  const checks = [
    {
      name: `1 customer at a time (${rounds.one.latencies.length} photos): p50`, value: ms(one.p50),
      baseline: `${ms(raw.onePhotoMs)} decode + inference of one photo alone (${(one.p50 / raw.onePhotoMs).toFixed(2)}×)`, target: '≤ 45 ms', met: one.p50 <= 45,
    },
    { name: `1 customer at a time (${rounds.one.latencies.length} photos): p95`, value: ms(one.p95), target: '≤ 100 ms', met: one.p95 <= 100 },
    {
      name: `1 customer after ${IDLE_MS} ms idle (${rounds.idle.latencies.length} photos): p50`, value: ms(idle.p50),
      baseline: `${ms(raw.onePhotoIdleMs)} decode + inference of one photo alone after the same pause (${(idle.p50 / raw.onePhotoIdleMs).toFixed(2)}×)`, target: '≤ 45 ms', met: idle.p50 <= 45,
    },
    { name: `1 customer after ${IDLE_MS} ms idle (${rounds.idle.latencies.length} photos): p95`, value: ms(idle.p95), target: '≤ 100 ms', met: idle.p95 <= 100 },
    { name: `10 customers at a time (${rounds.ten.latencies.length} photos): p95`, value: ms(ten.p95), target: '≤ 1,000 ms', met: ten.p95 <= 1000 },
    {
      name: '10 customers at a time: answers/s vs raw ONNX Runtime images/s', value: `${ten.rate.toFixed(1)}/s = ${ratio.toFixed(2)}×`,
      baseline: `${raw.imagesPerSecond.toFixed(1)} img/s raw ONNX Runtime (${raw.provider}, best batch ${raw.batchSize})`, target: '≥ 0.6×', met: ratio >= 0.6,
    },
    { name: 'peak RSS of the assistant process while serving', value: `${peakRssMb.toFixed(0)} MB`, target: `≤ ${RSS_LIMIT_MB} MB`, met: peakRssMb <= RSS_LIMIT_MB },
    { name: 'errors', value: String(errors), target: '0', met: errors === 0 },
  ];
  console.log(`\nraw ONNX Runtime, same model and threads, execution provider ${raw.provider}: ${raw.imagesPerSecond.toFixed(1)} images/s at its best batch size (${raw.batchSize}) (baseline)`);
  console.log(`raw decode + inference of one customer photo at a time: p50 ${ms(raw.onePhotoMs)} (baseline)`);
  console.log(`raw decode + inference of one customer photo after ${IDLE_MS} ms idle: p50 ${ms(raw.onePhotoIdleMs)} (baseline)`);
  console.log(`1 customer at a time:   p50 ${ms(one.p50)}, p95 ${ms(one.p95)}, ${one.rate.toFixed(1)} answers/s; ${ms(one.p50 - raw.onePhotoMs)} over decode + inference alone`);
  console.log(`1 customer after idle:  p50 ${ms(idle.p50)}, p95 ${ms(idle.p95)}; ${ms(idle.p50 - raw.onePhotoIdleMs)} over decode + inference alone after the same pause`);
  console.log(`10 customers at a time: p50 ${ms(ten.p50)}, p95 ${ms(ten.p95)}, ${ten.rate.toFixed(1)} answers/s = ${ratio.toFixed(2)}× raw`);
  for (const check of checks) {
    console.log(`  ${check.name}: ${check.value} (target ${check.target}) → ${check.met ? 'met' : 'MISSED'}`);
    reportFigure({ bench: args.int8 ? `${BENCH} --int8` : BENCH, ...check });
  }
  console.log(`machine load average (1 min) at the end: ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`);
  const ok = checks.every((check) => check.met);
  console.log(ok ? '\nall targets met' : '\nSOME TARGETS MISSED');
  process.exitCode = ok ? 0 : 1;
}

/** Distinct synthetic product photos (JPEG). */
async function basePhotos(): Promise<Buffer[]> {
  return Promise.all(Array.from({ length: BASE_IMAGES }, (_, seed) => sharp(Buffer.from(productSvg(seed + 1, 640, 480))).jpeg({ quality: 88 }).toBuffer()));
}

/** What customers send: the product photos resized and recompressed, as a phone would. */
async function customerPhotos(photos: readonly Buffer[]): Promise<Buffer[]> {
  return Promise.all(photos.map((photo) => sharp(photo).resize(800).jpeg({ quality: 75 }).toBuffer()));
}

/**
 * 1,000 products through the catalog service (as an import would store them), before the
 * assistant starts: the base photos are embedded once by the real model and every product gets a
 * slightly perturbed copy of one base embedding, so seeding does not cost 1,000 inferences.
 * @returns the execution provider the model ran on.
 */
async function seedCatalog(config: Config, photos: readonly Buffer[]): Promise<string> {
  const started = performance.now();
  const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });
  const assistant = await Assistant.create({ config, logger, loadModel: () => loadEmbeddingModel(config, logger) });
  try {
    const model = await assistant.model();
    const bases = [];
    for (const [index, photo] of photos.entries()) bases.push({ photo, embedded: await model.embed(photo, `base-${index}`) });
    for (let i = 0; i < PRODUCTS; i++) {
      const base = bases[i % bases.length]!;
      await assistant.catalog.saveProduct(
        {
          sku: `P${String(i).padStart(4, '0')}`, name: `Product ${i}`, price: `${10 + (i % 90)}.00`, currency: 'EUR',
          category: CATEGORIES[i % CATEGORIES.length]!, stock: 1 + (i % 7), url: `https://shop.example/p/${i}`,
        },
        [{ source: `bench:${i}`, original: base.photo, embedded: { ...base.embedded, embedding: near(base.embedded.embedding, i + 1, 0.05) } }],
      );
    }
    console.log(`catalog: ${PRODUCTS} products on the embedded database (${assistant.database.engine}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return model.provider ?? '?';
  } finally {
    await assistant.close();
  }
}

/** `requests` photos from `concurrency` customers at a time, each photo from a new chat. */
/** `concurrency` customers, each sending its next photo as soon as the last answer is in, after `idleMs` (default 0). */
async function runRound(telegram: FakeTelegram, queries: readonly Buffer[], concurrency: number, requests: number, firstChatId: number, idleMs = 0): Promise<RoundResult> {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const customer = async (): Promise<void> => {
    while (issued < requests) {
      const n = issued++;
      if (idleMs > 0) await sleep(idleMs);
      const chat = new FakeChat(telegram, { id: firstChatId + n });
      const updateId = chat.sendPhoto(queries[n % queries.length]!);
      try {
        const answer = await chat.answer(30_000);
        if (!answer.mediaGroup) throw new Error(`no media group: ${answer.text}`);
        latencies.push(answer.mediaGroup.at - telegram.queuedAt.get(updateId)!);
      } catch (error) {
        errors += 1;
        if (errors <= 3) console.error(`  error: ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, customer));
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

await main();
