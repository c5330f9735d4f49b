/**
 * `npm run bench:soak`: 20 simulated customers for 5 minutes against the real Telegram bot on the
 * embedded database, through the fake Bot API (loopback only). Each customer loops: a photo
 * search or (one time in four) a text search, waits for the answer, thinks 0.5–1.5 s, again.
 * Customer photos are registered with the fake once and re-sent, so the fake (in this process)
 * does not add to the RSS being measured beyond its call log.
 * Prints answers, errors (apologies, timeouts, error log lines), latency p50/p95 over the whole
 * run and per first/last fifth (their ratio shows degradation), and RSS after warm-up and at the
 * end (target: 0 errors, RSS growth under 10 %).
 *
 * Options: --duration=SECONDS (default 300), --customers=N (default 20), --model=resnet50|tiny
 * (default resnet50: a generated ResNet-50, the real compute and memory; tiny for a quick try).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import sharp from 'sharp';
import { startTelegramChannel } from '../src/bot/index.ts';
import { loadConfig } from '../src/config/index.ts';
import { Assistant } from '../src/core/assistant.ts';
import { loadEmbeddingModel } from '../src/ml/load-model.ts';
import { manifestPathFor } from '../src/ml/manifest.ts';
import { writeGeneratedModel } from '../src/ml/model-generator/index.ts';
import { FakeChat, FakeTelegram } from '../test/helpers/fake-telegram/index.ts';

const PRODUCTS = 120;
const CATEGORIES = ['Dresses', 'Shirts', 'Hats', 'Bags', 'Shoes', 'Scarves'];
const WORDS = ['dress', 'shirt', 'hat', 'bag', 'shoes', 'scarf', 'red', 'blue'];
const APOLOGY = /went wrong|temporarily unavailable|too fast|please wait/i;

interface Sample {
  readonly at: number;
  readonly ms: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '300' }, customers: { type: 'string', default: '20' }, model: { type: 'string', default: 'resnet50' } } });
  const durationMs = Number(values.duration) * 1000;
  const customers = Number(values.customers);
  if (!(durationMs > 0) || !(customers > 0) || !['resnet50', 'tiny'].includes(values.model)) throw new Error('usage: bench:soak [--duration=SECONDS] [--customers=N] [--model=resnet50|tiny]');
  const modelPath = path.resolve('.bench', values.model === 'tiny' ? 'tiny-seed42.onnx' : 'resnet50-seed42.onnx');
  if (!existsSync(modelPath) || !existsSync(manifestPathFor(modelPath))) {
    console.log(`generating ${values.model} (seed 42) into .bench/ …`);
    await writeGeneratedModel({ arch: values.model as 'resnet50' | 'tiny', seed: 42, out: modelPath });
  }
  const telegram = new FakeTelegram();
  await telegram.start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-soak-'));
  let errorLines = 0;
  const logger = pino({ level: 'warn' }, { write: (line: string) => void ((JSON.parse(line) as { level: number }).level >= 50 && errorLines++) });
  const config = loadConfig({
    ...process.env, DATA_DIR: dataDir, MODEL_PATH: modelPath, TELEGRAM_BOT_TOKEN: telegram.token, TELEGRAM_API_ROOT: telegram.apiRoot,
    SEARCH_RATE_LIMIT_PER_MINUTE: '100000', SEARCH_MIN_SCORE: '-1', LOG_LEVEL: 'warn', RETRAIN_ENABLED: 'false', BACKUP_ENABLED: 'false',
  }, process.cwd());
  const assistant = await Assistant.create({ config, logger, loadModel: () => loadEmbeddingModel(config, logger) });
  const seeded = performance.now();
  for (let i = 0; i < PRODUCTS; i++) {
    const category = CATEGORIES[i % CATEGORIES.length]!;
    await assistant.catalog.addProductWithPhoto(
      { sku: `SOAK-${i}`, name: `${category.slice(0, -1)} ${i}`, category, price: '10.00', currency: 'EUR', stock: 5 },
      await picture(i), `soak:${i}`,
    );
  }
  console.log(`catalog: ${PRODUCTS} products on embedded PGlite in ${((performance.now() - seeded) / 1000).toFixed(1)} s (model ${values.model})`);
  const bot = await startTelegramChannel(assistant, config, logger);
  const queries = await Promise.all(Array.from({ length: 16 }, (_, i) => picture(1000 + i)));
  // Registered once and re-sent, so the fake Bot API (same process) does not grow with every photo.
  const files = queries.map((data) => telegram.addFile(data));

  const samples: Sample[] = [];
  let answers = 0;
  let apologies = 0;
  let timeouts = 0;
  const started = performance.now();
  const warmUpMs = Math.min(30_000, durationMs / 10);
  let rssStart = 0;
  let heapStart = 0;
  const warm = setTimeout(() => {
    rssStart = process.memoryUsage().rss;
    heapStart = process.memoryUsage().heapUsed;
  }, warmUpMs);
  const customer = async (index: number) => {
    const chat = new FakeChat(telegram, { id: 50_000 + index });
    for (let turn = 0; performance.now() - started < durationMs; turn++) {
      const updateId = (turn + index) % 4 === 3 ? chat.sendText(WORDS[(turn + index) % WORDS.length]!) : chat.sendPhoto(Buffer.alloc(0), { file: files[(turn * 7 + index) % files.length]! });
      try {
        const answer = await chat.answer(30_000);
        answers++;
        if (APOLOGY.test(answer.text)) apologies++;
        samples.push({ at: performance.now() - started, ms: answer.message.at - telegram.queuedAt.get(updateId)! });
      } catch {
        timeouts++;
        chat.skipToNow();
      }
      await new Promise((resolve) => setTimeout(resolve, 500 + ((turn * 37 + index * 101) % 1000)));
    }
  };
  const progress = setInterval(() => console.log(`  ${Math.round((performance.now() - started) / 1000)} s: ${answers} answers, rss ${mb(process.memoryUsage().rss)} MB`), 30_000);
  await Promise.all(Array.from({ length: customers }, (_, index) => customer(index)));
  clearInterval(progress);
  clearTimeout(warm);
  const rssEnd = process.memoryUsage().rss;
  const heapEnd = process.memoryUsage().heapUsed;
  const elapsed = (performance.now() - started) / 1000;
  await bot.stop();
  await assistant.close();
  await telegram.stop();
  await rm(dataDir, { recursive: true, force: true });

  const all = samples.map((sample) => sample.ms);
  const fifth = elapsed * 1000 / 5;
  const first = samples.filter((sample) => sample.at < fifth).map((sample) => sample.ms);
  const last = samples.filter((sample) => sample.at >= 4 * fifth).map((sample) => sample.ms);
  const errors = apologies + timeouts + errorLines;
  console.log(`\nsoak: ${customers} customers for ${elapsed.toFixed(0)} s on embedded PGlite, model ${values.model}, ${os.cpus().length} cores`);
  console.log(`answers      ${answers} (${(answers / elapsed).toFixed(1)}/s)`);
  console.log(`errors       ${errors} (apologies ${apologies}, timeouts ${timeouts}, error log lines ${errorLines})  target 0`);
  console.log(`latency      p50 ${percentile(all, 50)} ms, p95 ${percentile(all, 95)} ms (update queued → answer message)`);
  console.log(`first fifth  p50 ${percentile(first, 50)} ms, p95 ${percentile(first, 95)} ms`);
  console.log(`last fifth   p50 ${percentile(last, 50)} ms, p95 ${percentile(last, 95)} ms  (p95 last/first ×${(percentile(last, 95) / Math.max(1, percentile(first, 95))).toFixed(2)})`);
  const growth = rssStart > 0 ? ((rssEnd - rssStart) / rssStart) * 100 : Number.NaN;
  console.log(`RSS          ${mb(rssStart)} MB after ${Math.round(warmUpMs / 1000)} s warm-up → ${mb(rssEnd)} MB at the end (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %, target < 10 %)`);
  console.log(`heap used    ${mb(heapStart)} MB → ${mb(heapEnd)} MB`);
  process.exitCode = errors === 0 && growth < 10 ? 0 : 1;
}

/** A product-like picture: two colour bands and a shape, different for each seed. */
async function picture(seed: number): Promise<Buffer> {
  const hue = (seed * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320">
    <rect width="320" height="320" fill="hsl(${hue},70%,50%)"/><rect y="${(seed * 13) % 200}" width="320" height="90" fill="hsl(${(hue + 150) % 360},60%,40%)"/>
    <circle cx="${60 + (seed * 31) % 200}" cy="160" r="${30 + (seed % 50)}" fill="hsl(${(hue + 60) % 360},80%,60%)"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

await main();
