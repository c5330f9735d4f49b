/**
 * A running web channel for API and browser tests: the real Hono app on a free port, over an
 * embedded database cloned from the migrated snapshot and the colour-histogram model, so
 * searches are fast and their order predictable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { Assistant, type ClosableEmbeddingModel } from '../../src/core/assistant.ts';
import { createWebApp, startWebServer, type WebApp } from '../../src/web/server.ts';
import { openBotTestDatabase } from './bot-fixtures.ts';
import { ColourHistogramModel } from './colour-model.ts';

/** The owner token of every web harness. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface WebHarness {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly assistant: Assistant;
  readonly config: Config;
  readonly web: WebApp;
  readonly dataDir: string;
  /** `fetch` against the harness with the owner's token. */
  admin(pathname: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startWebHarness(options: { env?: Record<string, string>; model?: ClosableEmbeddingModel; modelsDir?: string } = {}): Promise<WebHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-web-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    MODEL_PATH: path.join(options.modelsDir ?? dataDir, 'backbone.onnx'),
    PORT: '0',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SHOP_CURRENCY: 'EUR',
    LOG_LEVEL: 'silent',
    RETRAIN_ENABLED: 'false',
    ...options.env,
  }, process.cwd());
  // WEB_TEST_LOG=debug shows the server's logs when a test needs debugging.
  const logger = pino({ level: process.env.WEB_TEST_LOG ?? 'silent' });
  const model = options.model ?? new ColourHistogramModel();
  const assistant = await Assistant.create({ config, logger, loadModel: () => Promise.resolve(model), db: await openBotTestDatabase() });
  const web = createWebApp({ assistant, config, logger, adminToken: TEST_ADMIN_TOKEN });
  const server = await startWebServer(web.app, config);
  return {
    url: server.url,
    assistant,
    config,
    web,
    dataDir,
    admin: (pathname, init = {}) => fetch(`${server.url}${pathname}`, { ...init, headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...init.headers } }),
    async close() {
      await server.stop();
      await assistant.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
