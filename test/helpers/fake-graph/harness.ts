/**
 * Everything an Instagram channel test needs: the fake Graph API, a local attachment host, a
 * migrated embedded database seeded through the core (colour-histogram model, as in the Telegram
 * tests), the real channel from `startInstagramChannel`, and its webhook routes served by Hono on
 * loopback. Deliveries are signed with the app secret like Meta's.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { loadConfig, type Config, type InstagramConfig } from '../../../src/config/index.ts';
import { Assistant } from '../../../src/core/assistant.ts';
import type { Database } from '../../../src/db/database.ts';
import { INSTAGRAM_WEBHOOK_PATH, startInstagramChannel, type InstagramChannelOptions } from '../../../src/instagram/index.ts';
import { openBotTestDatabase, seedCatalog } from '../bot-fixtures.ts';
import { ColourHistogramModel } from '../colour-model.ts';
import { FakeGraph } from './server.ts';
import { ImageHost } from './image-host.ts';

export const APP_SECRET = '0123456789abcdef0123456789abcdef';
export const VERIFY_TOKEN = 'shop-verify-token';
/** The shop's own Instagram account id (entry.id, recipient of customers' messages). */
export const SHOP_ACCOUNT = '17841400000000000';

type Started = Awaited<ReturnType<typeof startInstagramChannel>>;

export interface InstagramHarness {
  readonly graph: FakeGraph;
  readonly images: ImageHost;
  readonly assistant: Assistant;
  /** The assistant's database (tests read the search log). */
  readonly db: Database;
  readonly config: Config & { readonly instagram: InstagramConfig };
  /** The running channel (replaced by {@link restart}). */
  readonly instagram: Started;
  /** `http://127.0.0.1:<port>/webhooks/instagram`. */
  readonly webhookUrl: string;
  /** POSTs `body` (JSON) signed with the app secret; `signature: null` sends none, a string sends that one. */
  deliver(body: unknown, options?: { signature?: string | null }): Promise<Response>;
  /** Delivers one messaging item and waits until the channel has answered it. */
  send(item: MessagingItem): Promise<void>;
  /** Stops the channel and its server and starts new ones on the same assistant and database (a restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly env?: Record<string, string>;
  readonly channel?: InstagramChannelOptions['channel'];
}

export async function startInstagramHarness(options: HarnessOptions = {}): Promise<InstagramHarness> {
  const graph = new FakeGraph();
  const images = new ImageHost();
  await Promise.all([graph.start(), images.start()]);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-instagram-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    MODEL_PATH: path.join(dataDir, 'models', 'colour-histogram.onnx'),
    RETRAIN_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    SEARCH_RATE_LIMIT_PER_MINUTE: '1000',
    SHOP_CURRENCY: 'EUR',
    INSTAGRAM_ACCESS_TOKEN: graph.token,
    INSTAGRAM_APP_SECRET: APP_SECRET,
    INSTAGRAM_VERIFY_TOKEN: VERIFY_TOKEN,
    INSTAGRAM_API_ROOT: graph.root,
    INSTAGRAM_API_VERSION: graph.version,
    PUBLIC_BASE_URL: 'https://shop.example',
    ...options.env,
  }, process.cwd());
  if (!config.instagram) throw new Error('harness: Instagram is not configured');
  const instagramConfig = { ...config, instagram: config.instagram };
  // INSTAGRAM_TEST_LOG=debug shows the channel's logs when a test needs debugging.
  const logger = pino({ level: process.env.INSTAGRAM_TEST_LOG ?? 'silent' });
  const model = new ColourHistogramModel();
  const db = await openBotTestDatabase();
  const assistant = await Assistant.create({ config, logger, loadModel: () => Promise.resolve(model), db });
  await seedCatalog(assistant);

  const startChannel = async (): Promise<{ instagram: Started; server: ServerType; url: string }> => {
    const instagram = await startInstagramChannel(assistant, instagramConfig, logger, {
      graph: { backoffMs: 20, retries: 3, maxRetryAfterMs: 2_000, timeoutMs: 5_000 },
      channel: { stopTimeoutMs: 3_000, ...options.channel },
      refreshToken: false,
    });
    const app = new Hono();
    app.route(INSTAGRAM_WEBHOOK_PATH, instagram.routes());
    const server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
    });
    const { port } = server.address() as AddressInfo;
    return { instagram, server, url: `http://127.0.0.1:${port}${INSTAGRAM_WEBHOOK_PATH}` };
  };
  let current = await startChannel();

  const stopChannel = async (): Promise<void> => {
    await current.instagram.stop();
    await new Promise<void>((resolve) => current.server.close(() => resolve()));
  };

  const harness: InstagramHarness = {
    graph, images, assistant, db, config: instagramConfig,
    get instagram() {
      return current.instagram;
    },
    get webhookUrl() {
      return current.url;
    },
    deliver(body, { signature } = {}) {
      const raw = JSON.stringify(body);
      const header = signature === undefined ? sign(raw) : signature;
      return fetch(current.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'x-hub-signature-256': header }) },
        body: raw,
      });
    },
    async send(item) {
      const response = await harness.deliver(delivery(item));
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
      await current.instagram.channel.drain();
    },
    async restart() {
      await stopChannel();
      current = await startChannel();
    },
    async close() {
      await stopChannel();
      await assistant.close();
      await Promise.all([graph.stop(), images.stop()]);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** `sha256=<hex>` of HMAC-SHA256(`raw`, app secret), as Meta signs deliveries. */
export function sign(raw: string, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** One `entry[].messaging[]` item as Meta sends it. */
export interface MessagingItem {
  readonly sender: string;
  readonly mid?: string;
  readonly text?: string;
  readonly imageUrl?: string;
  /** Attachment type other than an image (video, audio, share…). */
  readonly attachmentType?: string;
  readonly quickReply?: string;
  readonly postback?: string;
  readonly isEcho?: boolean;
  /** Milliseconds since the epoch; default now. */
  readonly timestamp?: number;
}

let midCounter = 0;

/** A delivery body with one messaging item per argument. */
export function delivery(...items: MessagingItem[]): unknown {
  return {
    object: 'instagram',
    entry: [{ id: SHOP_ACCOUNT, time: Date.now(), messaging: items.map(messagingItem) }],
  };
}

function messagingItem(item: MessagingItem): unknown {
  const mid = item.mid ?? `aWdfZAG1faXRlbTo${++midCounter}`;
  const base = {
    sender: { id: item.isEcho ? SHOP_ACCOUNT : item.sender },
    recipient: { id: item.isEcho ? item.sender : SHOP_ACCOUNT },
    timestamp: item.timestamp ?? Date.now(),
  };
  if (item.postback !== undefined) return { ...base, postback: { mid, title: 'More like #1', payload: item.postback } };
  const attachments = item.imageUrl !== undefined
    ? [{ type: 'image', payload: { url: item.imageUrl } }]
    : item.attachmentType !== undefined ? [{ type: item.attachmentType, payload: { url: 'https://cdn.example/file' } }] : undefined;
  return {
    ...base,
    message: {
      mid,
      ...(item.text !== undefined ? { text: item.text } : {}),
      ...(attachments ? { attachments } : {}),
      ...(item.quickReply !== undefined ? { quick_reply: { payload: item.quickReply } } : {}),
      ...(item.isEcho ? { is_echo: true } : {}),
    },
  };
}
