/**
 * Starting and stopping the bot: long polling through @grammyjs/runner (updates of different
 * chats handled concurrently) by default, or a webhook served by node:http when
 * `TELEGRAM_WEBHOOK_URL` is set.
 *
 * Nothing Telegram does stops the process: polling that Telegram refuses with 409 (another
 * instance polls with this token) is retried with back-off, 401 (token rejected) stops this
 * channel only, anything else restarts polling after a pause. Stopping takes no new updates,
 * gives the ones in flight (albums included) until a deadline, then cancels their requests and
 * resolves; closing the database is the caller's job.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { GrammyError, HttpError } from 'grammy';
import type { Update } from 'grammy/types';
import { tokensMatch } from '../config/admin-token.ts';
import type { Logger } from '../core/logger.ts';
import type { ShopBot } from './create-bot.ts';

/** A started channel. */
export interface RunningBot {
  /**
   * Stops taking updates and waits for in-flight ones for at most `timeoutMs` (default
   * {@link DEFAULT_STOP_TIMEOUT_MS}); then cancels their Telegram requests and resolves. Safe to call twice.
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/** Default grace for in-flight updates on stop. */
export const DEFAULT_STOP_TIMEOUT_MS = 8_000;

/** The update kinds the bot handles; Telegram sends nothing else. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** Largest webhook body accepted; Telegram's updates are a few kilobytes. */
export const WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

/** Back-off between polling restarts after 409 or an unexpected runner failure. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 5_000, maxMs: 300_000 };

/** Telegram said the token is not (or no longer) valid. */
export function isTokenRejected(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 401;
}

/** Telegram refused getUpdates because another consumer (poller or webhook) holds this token. */
export function isConflict(error: unknown): boolean {
  return error instanceof GrammyError && error.error_code === 409;
}

/** One line on a failure, without the request URL (which contains the token). */
export function reasonOf(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  if (error instanceof HttpError) return `network: ${String((error.error as Error | undefined)?.message ?? error.message)}`.replace(/\d{5,}:[\w-]{20,}/g, '[token]');
  return error instanceof Error ? error.message : String(error);
}

/**
 * Long polling, supervised. Call after `bot.init()` and `deleteWebhook` (Telegram refuses
 * getUpdates while a webhook is set). The runner retries network errors itself; the supervisor
 * handles what the runner gives up on.
 * @param onFatal called once if the channel stops for good (token rejected).
 */
export function startPolling(shop: ShopBot, logger: Logger, options: { readonly backoff?: Backoff; readonly onFatal?: (reason: string) => void } = {}): RunningBot {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let handle: RunnerHandle | undefined;
  let stopped = false;
  let delay = backoff.initialMs;
  let restartTimer: NodeJS.Timeout | undefined;

  const launch = () => {
    if (stopped) return;
    const current = run(shop.bot, {
      // A constant pause between failed getUpdates calls: the runner's exponential one is uncapped.
      runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] }, silent: true, retryInterval: 2_000, maxRetryTime: Number.POSITIVE_INFINITY },
    });
    handle = current;
    logger.info({ bot: shop.bot.botInfo.username, mode: 'polling' }, 'Telegram bot started');
    void current.task()?.then(
      () => undefined,
      (error: unknown) => {
        if (stopped || handle !== current) return;
        if (isTokenRejected(error)) {
          stopped = true;
          const reason = 'Telegram rejected the bot token (401 Unauthorized): the Telegram channel is stopped, the rest of ShopLens keeps running. Get a valid token from @BotFather, set TELEGRAM_BOT_TOKEN and restart.';
          logger.error({ reason: reasonOf(error) }, reason);
          options.onFatal?.(reason);
          return;
        }
        if (isConflict(error)) {
          logger.warn(
            { retryInMs: delay, reason: reasonOf(error) },
            'another instance is polling with this token (409 Conflict), or a webhook is set for it: stop the other copy of the bot; retrying',
          );
        } else {
          logger.error({ retryInMs: delay, reason: reasonOf(error) }, 'Telegram polling failed; restarting after a pause');
        }
        restartTimer = setTimeout(launch, delay);
        delay = Math.min(backoff.maxMs, delay * 2);
      },
    );
  };
  let failures = 0;
  // Watches getUpdates (the runner is silent): logs an outage once and every tenth failed poll,
  // logs the recovery, and resets the restart back-off after a good poll.
  shop.bot.api.config.use(async (prev, method, payload, signal) => {
    if (method !== 'getUpdates') return prev(method, payload, signal);
    try {
      const result = await prev(method, payload, signal);
      if (result.ok) {
        if (failures > 0) logger.info({ failedPolls: failures }, 'Telegram Bot API reachable again');
        failures = 0;
        delay = backoff.initialMs;
      } else if (result.error_code !== 401 && result.error_code !== 409) {
        noteFailure(`${result.error_code} ${result.description}`);
      }
      return result;
    } catch (error) {
      if (!stopped && !signal?.aborted) noteFailure(reasonOf(error));
      throw error;
    }
  });
  const noteFailure = (reason: string) => {
    failures++;
    if (failures === 1 || failures % 10 === 0) logger.warn({ failedPolls: failures, reason }, 'cannot fetch updates from the Telegram Bot API; retrying every 2 s');
  };
  launch();

  return {
    stop: once(async (stopOptions) => {
      stopped = true;
      clearTimeout(restartTimer);
      // Do not await the runner: its retry pause is not abortable. It ends by itself.
      void handle?.stop()?.catch(() => undefined);
      await drain(shop, logger, stopOptions?.timeoutMs);
      logger.info('Telegram bot stopped');
    }),
  };
}

export interface WebhookOptions {
  /** Public HTTPS URL Telegram posts to (through the TLS reverse proxy); its path is the one served. */
  readonly url: string;
  /** Sent by Telegram in `X-Telegram-Bot-Api-Secret-Token`; required (see `loadOrCreateWebhookSecret`). */
  readonly secret: string;
  /** Local port to listen on (behind the HTTPS reverse proxy). */
  readonly port: number;
  /** Listen address (`HOST`, 127.0.0.1 by default). */
  readonly host: string;
}

/**
 * Webhook mode: serves the webhook path, then registers the webhook with its secret token.
 * Requests without the right secret get 401, bodies over {@link WEBHOOK_MAX_BODY_BYTES} 413 (before
 * they are buffered), malformed JSON 400, other paths 404. An accepted update is answered 200 at
 * once and handled in the background, so Telegram never repeats an update because handling was
 * slow (and a repeated one is skipped by the update-id check).
 * @returns the running bot and the port actually bound (useful with `port: 0`).
 */
export async function startWebhook(shop: ShopBot, options: WebhookOptions, logger: Logger): Promise<RunningBot & { readonly port: number }> {
  const path = new URL(options.url).pathname;
  const server = createServer((request, response) => {
    handleWebhookRequest(request, response, { path, secret: options.secret, logger, onUpdate: (update) => handleInBackground(shop, update, logger) });
  });
  // Slow or stalled senders cannot hold sockets open: a whole request must arrive within 15 s.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  await shop.bot.init();
  const port = await listen(server, options.port, options.host);
  try {
    await shop.bot.api.setWebhook(options.url, { secret_token: options.secret, allowed_updates: [...ALLOWED_UPDATES] });
  } catch (error) {
    server.close();
    throw error;
  }
  logger.info({ bot: shop.bot.botInfo.username, mode: 'webhook', host: options.host, port }, 'Telegram bot started');
  return {
    port,
    stop: once(async (stopOptions) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await drain(shop, logger, stopOptions?.timeoutMs);
      server.closeAllConnections();
      await closed;
      logger.info('Telegram bot stopped');
    }),
  };
}

function handleInBackground(shop: ShopBot, update: Update, logger: Logger): void {
  shop.bot.handleUpdate(update).catch((error: unknown) => logger.error({ updateId: update.update_id, reason: reasonOf(error) }, 'webhook update failed'));
}

/** Validates one webhook request and hands its update to `onUpdate`. Never throws. */
export function handleWebhookRequest(
  request: IncomingMessage,
  response: ServerResponse,
  options: { readonly path: string; readonly secret: string; readonly logger: Logger; readonly onUpdate: (update: Update) => void; readonly maxBytes?: number },
): void {
  const maxBytes = options.maxBytes ?? WEBHOOK_MAX_BODY_BYTES;
  const finish = (status: number, text = '') => {
    if (response.headersSent) return;
    const closing = status !== 200;
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...(closing ? { connection: 'close' } : {}) }).end(text);
    // Stop reading whatever the client still sends: nothing of a rejected body is buffered.
    if (closing) response.once('finish', () => request.destroy());
  };
  if (request.method !== 'POST' || new URL(request.url ?? '/', 'http://localhost').pathname !== options.path) return finish(404, 'not found\n');
  const presented = request.headers['x-telegram-bot-api-secret-token'];
  if (typeof presented !== 'string' || !tokensMatch(presented, options.secret)) return finish(401, 'wrong or missing secret token\n');
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) return finish(413, `body over ${maxBytes} bytes\n`);
  const chunks: Buffer[] = [];
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) {
      chunks.length = 0;
      finish(413, `body over ${maxBytes} bytes\n`);
      return;
    }
    chunks.push(chunk);
  });
  request.on('error', () => finish(400, 'request failed\n'));
  request.on('end', () => {
    if (response.headersSent) return;
    const update = parseUpdate(Buffer.concat(chunks));
    if (!update) {
      options.logger.warn({ bytes: received }, 'webhook body is not a Telegram update (malformed JSON)');
      return finish(400, 'body must be a JSON Telegram update\n');
    }
    finish(200);
    options.onUpdate(update);
  });
}

/** The update in `body`, or undefined when it is not JSON with a numeric `update_id`. */
function parseUpdate(body: Buffer): Update | undefined {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || !Number.isSafeInteger((value as { update_id?: unknown }).update_id)) return undefined;
    return value as Update;
  } catch {
    return undefined;
  }
}

/**
 * Waits for in-flight updates (albums included) for up to `timeoutMs`, then cancels their
 * Telegram requests. Retries stop at once: a shutdown never waits on a back-off.
 */
async function drain(shop: ShopBot, logger: Logger, timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
  shop.retry.beginShutdown();
  const drained = (async () => {
    await shop.albums.drain();
    await shop.inFlight.drain();
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'late')));
  const outcome = await Promise.race([drained, late]);
  clearTimeout(timer);
  if (outcome !== 'late') return;
  logger.warn({ inFlight: shop.inFlight.size, timeoutMs }, 'updates still in flight at the stop deadline: cancelling their Telegram requests');
  shop.retry.abortInFlight();
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 500))]);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // Errors of an established server (e.g. a socket failing) are logged by Node's defaults
      // without this listener crashing the process.
      server.on('error', () => undefined);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function once<A>(action: (argument: A) => Promise<void>): (argument: A) => Promise<void> {
  let result: Promise<void> | undefined;
  return (argument) => (result ??= action(argument));
}
