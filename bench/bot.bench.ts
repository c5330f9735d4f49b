/**
 * `npm run bench:bot`: photo-to-answer latency of the real Telegram bot.
 *
 * Simulated customers send photos through the fake Bot API (loopback) to the real bot, which
 * long-polls it, downloads the photo, embeds it with a generated ResNet-50 (same compute as the
 * pretrained one, no download) and searches a 1,000-product catalog on embedded PGlite. Latency
 * is measured from the update becoming available to the media group arriving at the fake.
 * Every customer is a new chat, as in a shop, so Telegram's per-chat limit never dominates;
 * the global 30 calls/s throttle still applies. Targets (2 cores): median ≤ 100 ms and
 * p95 ≤ 250 ms at 1 customer; no errors and p95 ≤ 1 s at 10.
 *
 * Knobs: BENCH_REQUESTS_1 (60), BENCH_REQUESTS_10 (200), ML_THREADS.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { startTelegramChannel } from '../src/bot/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { Assistant } from '../src/core/assistant.ts';
import type { Database } from '../src/db/database.ts';
import { openPglite } from '../src/db/engines/pglite.ts';
import { migrate } from '../src/db/migrate.ts';
import { ImageRepository } from '../src/db/repositories/images.ts';
import { ProductRepository } from '../src/db/repositories/products.ts';
import { loadEmbeddingModel } from '../src/ml/load-model.ts';
import { manifestPathFor } from '../src/ml/manifest.ts';
import { writeGeneratedModel } from '../src/ml/model-generator/index.ts';
import { FakeChat, FakeTelegram } from '../test/helpers/fake-telegram/index.ts';
import { productSvg } from '../test/helpers/images.ts';
import { near } from '../test/helpers/vectors.ts';

const BENCH_DIR = path.resolve('.bench');
const MODEL_PATH = path.join(BENCH_DIR, 'resnet50-seed42.onnx');
const PRODUCTS = 1_000;
const BASE_IMAGES = 25;
const CATEGORIES = ['Dresses', 'Shirts', 'Hats', 'Bags', 'Shoes', 'Scarves', 'Coats', 'Trousers'];

interface Round {
  readonly concurrency: number;
  readonly requests: number;
  readonly targets: { readonly medianMs?: number; readonly p95Ms: number };
}

const ROUNDS: readonly Round[] = [
  { concurrency: 1, requests: intFromEnv('BENCH_REQUESTS_1', 60), targets: { medianMs: 100, p95Ms: 250 } },
  { concurrency: 10, requests: intFromEnv('BENCH_REQUESTS_10', 200), targets: { p95Ms: 1000 } },
];

async function main(): Promise<void> {
  if (!existsSync(MODEL_PATH) || !existsSync(manifestPathFor(MODEL_PATH))) {
    console.log('generating ResNet-50 (seed 42) into .bench/ …');
    await writeGeneratedModel({ arch: 'resnet50', seed: 42, out: MODEL_PATH });
  }
  const telegram = new FakeTelegram();
  await telegram.start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-bench-bot-'));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    MODEL_PATH,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    SEARCH_RATE_LIMIT_PER_MINUTE: '100000',
    // Random weights make every score high; the bench measures answers, not relevance.
    SEARCH_MIN_SCORE: '-1',
    LOG_LEVEL: 'silent',
  }, process.cwd());
  const logger = pino({ level: process.env.BENCH_LOG ?? 'silent' });
  const db = await openPglite({});
  await migrate(db);
  const assistant = await Assistant.create({ config, logger, loadModel: () => loadEmbeddingModel(config, logger), db });
  const photos = await basePhotos();
  const seeded = performance.now();
  await seedCatalog(assistant, db, photos);
  console.log(`catalog: ${PRODUCTS} products on embedded PGlite in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
  const bot = await startTelegramChannel(assistant, config, logger);
  try {
    const queries = await customerPhotos(photos);
    await runRound(telegram, queries, { concurrency: 2, requests: 10, targets: { p95Ms: Infinity } }, 1); // warm-up: uploads, JIT, caches
    let ok = true;
    let chatId = 100_000;
    for (const round of ROUNDS) {
      const result = await runRound(telegram, queries, round, (chatId += 100_000));
      ok = report(round, result) && ok;
    }
    const { searches } = await assistant.stats.collect();
    // The core's own figure (download + embed + vector search + log, from the search log) tells
    // how much of the answer time is the bot's (Telegram calls, rendering, throttling).
    console.log(`\ncore photo search, all rounds (search log): median ${searches.imageLatencyP50Ms?.toFixed(1)} ms, p95 ${searches.imageLatencyP95Ms?.toFixed(1)} ms`);
    console.log(`machine load average (1 min) at the end: ${os.loadavg()[0]!.toFixed(2)} on ${os.availableParallelism()} cores`);
    console.log(ok ? '\nall targets met' : '\nSOME TARGETS MISSED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    await bot.stop();
    await assistant.close();
    await telegram.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
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
 * 1,000 products, written straight through the repositories: the base photos are embedded once
 * by the real model and every product gets a slightly perturbed copy of one base embedding.
 */
async function seedCatalog(assistant: Assistant, db: Database, photos: readonly Buffer[]): Promise<void> {
  const model = await assistant.model();
  const bases: { embedded: Awaited<ReturnType<typeof model.embed>>; filePath: string }[] = [];
  for (const [index, photo] of photos.entries()) {
    const embedded = await model.embed(photo, `base-${index}`);
    bases.push({ embedded, filePath: await assistant.store.save(photo, embedded.sha256) });
  }
  const products = new ProductRepository(db);
  const images = new ImageRepository(db);
  for (let start = 0; start < PRODUCTS; start += 100) {
    await db.transaction(async (tx) => {
      for (let i = start; i < Math.min(PRODUCTS, start + 100); i++) {
        const base = bases[i % bases.length]!;
        const { product } = await products.within(tx).upsert({
          sku: `P${String(i).padStart(4, '0')}`, name: `Product ${i}`, price: `${10 + (i % 90)}.00`, currency: 'EUR',
          category: CATEGORIES[i % CATEGORIES.length]!, stock: 1 + (i % 7), url: `https://shop.example/p/${i}`,
        });
        await images.within(tx).add({
          productId: product.id, source: `bench:${i}`, filePath: base.filePath, sha256: base.embedded.sha256,
          width: base.embedded.width, height: base.embedded.height, modelId: model.modelId,
          embedding: near(base.embedded.embedding, i + 1, 0.05),
        });
      }
    });
  }
}

interface RoundResult {
  readonly latencies: number[];
  readonly errors: number;
  readonly seconds: number;
}

/** `round.requests` photos from `round.concurrency` customers at a time, each a new chat. */
async function runRound(telegram: FakeTelegram, queries: readonly Buffer[], round: Round, firstChatId: number): Promise<RoundResult> {
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const customer = async (): Promise<void> => {
    while (issued < round.requests) {
      const n = issued++;
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
  await Promise.all(Array.from({ length: round.concurrency }, customer));
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

function report(round: Round, result: RoundResult): boolean {
  const sorted = [...result.latencies].sort((a, b) => a - b);
  const median = percentile(sorted, 0.5);
  const p95 = percentile(sorted, 0.95);
  const rate = result.latencies.length / result.seconds;
  const checks = [
    round.targets.medianMs === undefined || median <= round.targets.medianMs,
    p95 <= round.targets.p95Ms,
    result.errors === 0,
  ];
  const ok = checks.every(Boolean);
  console.log(`\n${round.concurrency} concurrent customer(s), ${round.requests} photos:`);
  console.log(`  median ${median.toFixed(1)} ms${round.targets.medianMs ? ` (target ≤ ${round.targets.medianMs})` : ''}`);
  console.log(`  p95    ${p95.toFixed(1)} ms (target ≤ ${round.targets.p95Ms})`);
  console.log(`  ${rate.toFixed(1)} answers/s, ${result.errors} errors (target 0) → ${ok ? 'OK' : 'MISSED'}`);
  return ok;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function intFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

await main();
