/**
 * Everything a bot end-to-end test needs: a fake Bot API, a migrated embedded database (cloned
 * from a snapshot cached on disk across test files), the assistant with the colour-histogram
 * model, and the real bot started against the fake through `startTelegramChannel`.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, mock } from 'node:test';
import pino, { type Logger } from 'pino';
import { startTelegramChannel, type TelegramChannelOptions } from '../../src/bot/index.ts';
import type { RunningBot } from '../../src/bot/run.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { Assistant, type ClosableEmbeddingModel } from '../../src/core/assistant.ts';
import type { Database } from '../../src/db/database.ts';
import { openPglite } from '../../src/db/engines/pglite.ts';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { ColourHistogramModel, bandsPng } from './colour-model.ts';
import { FakeChat, FakeTelegram, type ChatUser } from './fake-telegram/index.ts';
import { captureLog, type CapturedLog } from './log-capture.ts';

/** Admin (owner) user ids in every harness; several, so tests need not share one chat's send rate. */
export const OWNER_IDS = [1001, 1002, 1003, 1004, 1005] as const;

/**
 * A migrated PGlite snapshot. Creating PGlite runs initdb (~5 s), so the dump is cached in the
 * temp directory, keyed by the migrations' content, and shared by every test file and run.
 */
export async function migratedSnapshot(): Promise<Blob> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((file) => file.endsWith('.sql')).sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update(await readFile(path.join(MIGRATIONS_DIR, file)));
  const cached = path.join(os.tmpdir(), `shoplens-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
  try {
    return new Blob([await readFile(cached)]);
  } catch {
    const db = await openPglite({});
    await migrate(db);
    const dump = await db.dump();
    await db.close();
    const temporary = `${cached}.${process.pid}.tmp`;
    await writeFile(temporary, Buffer.from(await dump.arrayBuffer()));
    await rename(temporary, cached);
    return dump;
  }
}

/** A fresh, migrated in-memory database. */
export async function openBotTestDatabase(): Promise<Database> {
  const db = await openPglite({ snapshot: await migratedSnapshot() });
  await migrate(db);
  return db;
}

export interface HarnessOptions {
  /** Extra environment variables for `loadConfig`. */
  readonly env?: Record<string, string>;
  /** Wraps the database (e.g. to simulate an outage). */
  readonly wrapDatabase?: (db: Database) => Database;
  /** Album collection window; tests use a short one. */
  readonly albumWindowMs?: number;
  /** Model override (default: colour histogram). */
  readonly model?: ClosableEmbeddingModel;
  /** Logger override (e.g. one that records lines); default silent unless BOT_TEST_LOG is set. */
  readonly logger?: Logger;
  /** Database override (e.g. a real PostgreSQL); default a fresh embedded one. */
  readonly openDatabase?: () => Promise<Database>;
  /** Channel options (retry limits, back-off) passed to `startTelegramChannel`. */
  readonly channel?: Omit<TelegramChannelOptions, 'albumWindowMs'>;
}

export interface BotHarness {
  readonly telegram: FakeTelegram;
  readonly assistant: Assistant;
  readonly config: Config;
  readonly model: ClosableEmbeddingModel;
  readonly bot: RunningBot;
  /** A chat with a user (id = chat id). */
  chat(user: ChatUser): FakeChat;
  /** A chat with owner number `index` of {@link OWNER_IDS}. */
  owner(index?: number, languageCode?: string): FakeChat;
  /** Stops the bot, the assistant and the fake; removes the data directory. */
  close(): Promise<void>;
}

/** Starts fake Telegram + assistant + bot (long polling). */
export async function startBotHarness(options: HarnessOptions = {}): Promise<BotHarness> {
  const telegram = new FakeTelegram();
  await telegram.start();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-bot-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    ADMIN_IDS: OWNER_IDS.join(','),
    SEARCH_RATE_LIMIT_PER_MINUTE: '1000',
    SHOP_CURRENCY: 'EUR',
    LOG_LEVEL: 'silent',
    // Trained heads and run charts go next to MODEL_PATH; keep them in the test's own directory.
    MODEL_PATH: path.join(dataDir, 'models', 'colour-histogram.onnx'),
    RETRAIN_ENABLED: 'false',
    ...options.env,
  }, process.cwd());
  // BOT_TEST_LOG=debug shows the bot's logs when a test needs debugging.
  const logger = options.logger ?? pino({ level: process.env.BOT_TEST_LOG ?? 'silent' });
  const base = await (options.openDatabase ?? openBotTestDatabase)();
  const db = options.wrapDatabase ? options.wrapDatabase(base) : base;
  const model = options.model ?? new ColourHistogramModel();
  const assistant = await Assistant.create({ config, logger, loadModel: () => Promise.resolve(model), db });
  const bot = await startTelegramChannel(assistant, config, logger, {
    ...options.channel,
    albumWindowMs: options.albumWindowMs ?? 300,
  });
  return {
    telegram, assistant, config, model, bot,
    chat: (user) => new FakeChat(telegram, user),
    owner: (index = 0, languageCode) => new FakeChat(telegram, { id: OWNER_IDS[index]!, ...(languageCode ? { language_code: languageCode } : {}) }),
    async close() {
      await bot.stop();
      await assistant.close();
      await telegram.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A catalog product made of colour bands. */
export interface ColourProduct {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly colours: readonly string[];
  readonly stock?: number;
  readonly price?: string;
  readonly url?: string;
}

/** A small catalog with predictable similarities under the colour-histogram model. */
export const COLOUR_CATALOG: readonly ColourProduct[] = [
  { sku: 'RED-DRESS', name: 'Red dress', category: 'Dresses', colours: ['#ff0000'], price: '49.90', url: 'https://shop.example/red-dress' },
  { sku: 'RED-GREEN-SCARF', name: 'Christmas scarf', category: 'Scarves', colours: ['#ff0000', '#00ff00'] },
  { sku: 'RED-BLUE-SHIRT', name: 'Patriot shirt', category: 'Shirts', colours: ['#ff0000', '#0000ff'] },
  { sku: 'GREEN-HAT', name: 'Green hat', category: 'Hats', colours: ['#00ff00'] },
  { sku: 'BLUE-JEANS', name: 'Blue jeans', category: 'Trousers', colours: ['#0000ff'] },
  { sku: 'YELLOW-BLOUSE', name: 'Yellow blouse', category: 'Shirts', colours: ['#ffff00'] },
  { sku: 'RED-YELLOW-BAG', name: 'Sunset bag', category: 'Bags', colours: ['#ff0000', '#ffff00'] },
  { sku: 'RED-WHITE-CAP', name: 'Striped cap', category: 'Hats', colours: ['#ff0000', '#ffffff'] },
];

/**
 * Enough labelled photos for a real training run: three categories of six products each, every
 * category its own colour family (the colour-histogram model separates them cleanly).
 */
export const TRAINABLE_CATALOG: readonly ColourProduct[] = (
  [['Socks', ['#f0a000', '#f0b000', '#e0a000', '#f0a010', '#d0a000', '#f0c000']],
    ['Gloves', ['#00a0f0', '#00b0f0', '#00a0e0', '#10a0f0', '#00a0d0', '#00c0f0']],
    ['Belts', ['#a000f0', '#b000f0', '#a000e0', '#a010f0', '#a000d0', '#c000f0']]] as const
).flatMap(([category, colours]) => colours.map((colour, index) => ({
  sku: `${category.toUpperCase()}-${index + 1}`, name: `${category} ${index + 1}`, category, colours: [colour, '#ffffff'],
})));

/** Adds `products` through the core (embedded by the harness model). */
export async function seedCatalog(assistant: Assistant, products: readonly ColourProduct[] = COLOUR_CATALOG): Promise<void> {
  for (const product of products) {
    await assistant.catalog.addProductWithPhoto(
      { sku: product.sku, name: product.name, category: product.category, price: product.price ?? '10.00', currency: 'EUR', stock: product.stock ?? 3, url: product.url },
      await bandsPng(product.colours),
      `seed:${product.sku}`,
    );
  }
}

/** An assistant (no channel) on a fresh embedded test database holding the colour catalog. */
export interface SeededAssistant {
  readonly assistant: Assistant;
  readonly db: Database;
  /** Everything the assistant logged. */
  readonly log: CapturedLog;
  /** Closes the assistant and deletes its data directory. */
  close(): Promise<void>;
}

export async function startSeededAssistant(): Promise<SeededAssistant> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-assistant-'));
  const db = await openBotTestDatabase();
  const log = captureLog();
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, process.cwd());
  const assistant = await Assistant.create({ config, logger: log.logger, loadModel: () => Promise.resolve(new ColourHistogramModel()), db });
  await seedCatalog(assistant);
  return {
    assistant,
    db,
    log,
    async close() {
      await assistant.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Gives every test of the calling suite its own {@link startSeededAssistant} (and restores
 * `mock.method` mocks after each); call the returned function inside a test to get it.
 */
export function seededAssistantPerTest(): () => SeededAssistant {
  let running: SeededAssistant | undefined;
  beforeEach(async () => {
    running = await startSeededAssistant();
  });
  afterEach(async () => {
    mock.restoreAll();
    await running?.close();
  });
  return () => running!;
}
