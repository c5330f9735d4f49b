/**
 * Starting and stopping the bot: long polling through @grammyjs/runner (updates of different
 * chats handled concurrently) by default, or a webhook served by node:http when
 * `TELEGRAM_WEBHOOK_URL` is set. Stopping takes no new updates, finishes the ones in flight
 * (albums included) and resolves; closing the database is the caller's job.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { run } from '@grammyjs/runner';
import { webhookCallback } from 'grammy';
import type { Logger } from '../core/logger.ts';
import type { ShopBot } from './create-bot.ts';

/** A started channel. */
export interface RunningBot {
  /** Stops taking updates, waits for in-flight ones, then resolves. Safe to call twice. */
  stop(): Promise<void>;
}

/** The update kinds the bot handles; Telegram sends nothing else. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** Long polling. Removes any webhook first, since Telegram refuses getUpdates while one is set. */
export async function startPolling(shop: ShopBot, logger: Logger): Promise<RunningBot> {
  await shop.bot.api.deleteWebhook();
  const handle = run(shop.bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
  logger.info({ bot: shop.bot.botInfo.username, mode: 'polling' }, 'Telegram bot started');
  return {
    stop: once(async () => {
      if (handle.isRunning()) await handle.stop();
      await drain(shop);
      logger.info('Telegram bot stopped');
    }),
  };
}

export interface WebhookOptions {
  /** Public HTTPS URL Telegram posts to; its path is the one served. */
  readonly url: string;
  /** Sent by Telegram in `X-Telegram-Bot-Api-Secret-Token`; a random one is made when absent. */
  readonly secret: string | undefined;
  /** Local port to listen on (behind the HTTPS reverse proxy). */
  readonly port: number;
  /** Listen address; default all interfaces. */
  readonly host?: string;
}

/**
 * Webhook mode: registers the webhook with a secret token and serves it. Requests without the
 * right secret get 401 (checked by grammY's webhookCallback), other paths 404.
 * @returns the running bot and the port actually bound (useful with `port: 0`).
 */
export async function startWebhook(shop: ShopBot, options: WebhookOptions, logger: Logger): Promise<RunningBot & { readonly port: number }> {
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const path = new URL(options.url).pathname;
  // Telegram waits at most ~60 s for an answer; 'return' acknowledges slow updates instead of
  // making Telegram redeliver them while they are still being handled.
  const callback = webhookCallback(shop.bot, 'http', { secretToken: secret, onTimeout: 'return', timeoutMilliseconds: 50_000 });
  const server = createServer((request, response) => {
    if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://localhost').pathname !== path) {
      response.writeHead(404).end();
      return;
    }
    callback(request, response).catch((error: unknown) => {
      logger.error({ err: String(error) }, 'webhook request failed');
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  const port = await listen(server, options.port, options.host);
  await shop.bot.init();
  await shop.bot.api.setWebhook(options.url, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
  logger.info({ bot: shop.bot.botInfo.username, mode: 'webhook', port }, 'Telegram bot started');
  return {
    port,
    stop: once(async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      await drain(shop);
      logger.info('Telegram bot stopped');
    }),
  };
}

async function drain(shop: ShopBot): Promise<void> {
  await shop.inFlight.drain();
  await shop.albums.drain();
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function once(action: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= action());
}
