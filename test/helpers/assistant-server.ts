/**
 * A stand-in for `npm start` with only the command route of the web server: owns DATA_DIR as the
 * assistant, serves `POST /api/admin/commands` on loopback, advertises its URL in the lock file,
 * and on SIGTERM stops running commands, the server, the assistant and the lock, in that order.
 * Prints `ready <url>`. Used until the web channel's server mounts the route itself.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { loadOrCreateAdminToken } from '../../src/config/admin-token.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createCommandChannel } from '../../src/cli/remote/index.ts';
import { Assistant } from '../../src/core/assistant.ts';
import { acquireDataDirLock } from '../../src/core/data-dir.ts';
import { createLogger } from '../../src/core/logger.ts';
import { loadEmbeddingModel } from '../../src/ml/load-model.ts';

const config = loadConfig();
const logger = createLogger({ level: 'info' });
const lock = await acquireDataDirLock(config.dataDir, { role: 'assistant', command: 'npm start', timeoutMs: 10_000 });
const assistant = await Assistant.create({ config, logger, loadModel: () => loadEmbeddingModel(config, logger), lock });
await assistant.model();
// As the web channel does when it starts: the owner's token exists before any command arrives.
await loadOrCreateAdminToken(config.dataDir, config.web.adminToken);
const commands = await createCommandChannel({ assistant, config, logger });
const app = new Hono();
commands.mount(app);
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => server.once('listening', () => resolve()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
await commands.advertise(lock, url);
process.stdout.write(`ready ${url}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await commands.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await assistant.close();
    await lock.release();
    process.stdout.write('stopped\n');
    process.exit(0);
  })();
});
