/**
 * The Telegram channel: customers search the shop by photo or text, owners run it from the chat.
 * `src/main.ts` calls {@link launchTelegramChannel} when `TELEGRAM_BOT_TOKEN` is set.
 */
import { GrammyError, HttpError } from 'grammy';
import type { Config } from '../config/index.ts';
import type { Assistant } from '../core/assistant.ts';
import type { Logger } from '../core/logger.ts';
import { registerCommands } from './commands.ts';
import { createBot, DEFAULT_API_ROOT, type CreateBotOptions, type ShopBot } from './create-bot.ts';
import { isTokenRejected, reasonOf, startPolling, startWebhook, type Backoff, type RunningBot } from './run.ts';
import { loadOrCreateWebhookSecret } from './webhook-secret.ts';

export type { BotContext, BotDependencies } from './context.ts';
export { createBot, type CreateBotOptions, type ShopBot } from './create-bot.ts';
export { startPolling, startWebhook, type RunningBot, type WebhookOptions } from './run.ts';

export interface TelegramChannelOptions extends CreateBotOptions {
  /** Webhook listen address; default `HOST` (config.web.host, 127.0.0.1). */
  readonly webhookHost?: string;
  /** Pause between start-up attempts while Telegram cannot be reached; default 1 s doubling to 60 s. */
  readonly startBackoff?: Backoff;
  /** Pause between polling restarts after 409 or a runner failure; default 5 s doubling to 5 min. */
  readonly pollingBackoff?: Backoff;
}

/** The channel started in the background. */
export interface TelegramChannel extends RunningBot {
  /** `running` once updates are served; `stopped` when it gave up for good (token rejected) or was stopped first. */
  readonly ready: Promise<'running' | 'stopped'>;
}

const DEFAULT_START_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 60_000 };

/**
 * Starts the channel without blocking the caller: reaches Telegram (`getMe`), registers the
 * command menus, then polls (or serves the webhook). While Telegram cannot be reached it logs
 * what it waits for and retries with back-off, so the other channels serve meanwhile. A token
 * Telegram rejects (401) stops this channel only, with a clear log line.
 */
export function launchTelegramChannel(assistant: Assistant, config: Config, logger: Logger, options: TelegramChannelOptions = {}): TelegramChannel {
  const botLogger = logger.child({ channel: 'telegram' });
  const shop = createBot({ assistant, config, logger: botLogger }, options);
  const cancelled = new AbortController();
  let running: RunningBot | undefined;
  const apiRoot = config.telegram.apiRoot ?? DEFAULT_API_ROOT;
  const backoff = options.startBackoff ?? DEFAULT_START_BACKOFF;
  const untilDone = <T>(step: string, action: () => Promise<T>) => retryUntilDone(step, () => shop.retry.finalAttempt(action), { apiRoot, backoff, signal: cancelled.signal, logger: botLogger });

  const ready = (async (): Promise<'running' | 'stopped'> => {
    try {
      botLogger.info({ apiRoot }, 'connecting to the Telegram Bot API');
      // Not bot.init(): it retries getMe silently and forever.
      shop.bot.botInfo = await untilDone('getMe', () => shop.bot.api.getMe());
      void assistant.mediaIds.prepare(shop.bot.botInfo.id);
      await registerCommands(shop.bot.api, config.telegram.adminIds, botLogger);
      running = await startMode(shop, config, botLogger, options, untilDone);
      if (cancelled.signal.aborted) await running.stop({ timeoutMs: 0 });
      return cancelled.signal.aborted ? 'stopped' : 'running';
    } catch (error) {
      if (cancelled.signal.aborted) return 'stopped';
      if (isTokenRejected(error)) {
        botLogger.error(
          { reason: reasonOf(error) },
          'Telegram rejected the bot token (401 Unauthorized): the Telegram channel is stopped, the rest of ShopLens keeps running. Get a valid token from @BotFather, set TELEGRAM_BOT_TOKEN and restart.',
        );
      } else {
        botLogger.error({ reason: reasonOf(error) }, 'the Telegram channel could not start; the rest of ShopLens keeps running');
      }
      return 'stopped';
    }
  })();

  return {
    ready,
    async stop(stopOptions) {
      cancelled.abort();
      if (running) return running.stop(stopOptions);
      shop.retry.abortInFlight();
      await ready;
      if (running) await (running as RunningBot).stop(stopOptions);
    },
  };
}

/**
 * Starts the channel and waits until it serves (tests, benchmarks).
 * @throws {Error} when it cannot start (e.g. the token is rejected).
 */
export async function startTelegramChannel(assistant: Assistant, config: Config, logger: Logger, options: TelegramChannelOptions = {}): Promise<RunningBot> {
  const channel = launchTelegramChannel(assistant, config, logger, options);
  if ((await channel.ready) !== 'running') throw new Error('the Telegram channel did not start (see the log)');
  return channel;
}

async function startMode(
  shop: ShopBot, config: Config, logger: Logger, options: TelegramChannelOptions,
  untilDone: <T>(step: string, action: () => Promise<T>) => Promise<T>,
): Promise<RunningBot> {
  const { webhookUrl, webhookPort } = config.telegram;
  if (webhookUrl === undefined) {
    // Telegram refuses getUpdates while a webhook is set.
    await untilDone('deleteWebhook', () => shop.bot.api.deleteWebhook());
    return startPolling(shop, logger, { ...(options.pollingBackoff ? { backoff: options.pollingBackoff } : {}) });
  }
  const secret = await loadOrCreateWebhookSecret(config.dataDir, config.telegram.webhookSecret);
  const host = options.webhookHost ?? config.web.host;
  return untilDone('setWebhook', () => startWebhook(shop, { url: webhookUrl, secret, port: webhookPort, host }, logger));
}

/** Runs `action` until it succeeds; a rejected token and cancellation end the loop. */
async function retryUntilDone<T>(
  step: string,
  action: () => Promise<T>,
  options: { readonly apiRoot: string; readonly backoff: Backoff; readonly signal: AbortSignal; readonly logger: Logger },
): Promise<T> {
  let delay = options.backoff.initialMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (isTokenRejected(error) || options.signal.aborted) throw error;
      options.logger.warn(
        { apiRoot: options.apiRoot, step, attempt, retryInMs: delay, reason: reasonOf(error) },
        `waiting for the Telegram Bot API (${step} failed); other channels keep serving`,
      );
      await sleep(delay, options.signal);
      delay = Math.min(options.backoff.maxMs, delay * 2);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('stopped'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** True for grammY's errors (Telegram said no, or the network failed): recoverable, never a reason to stop the process. */
export function isTelegramFailure(error: unknown): boolean {
  return error instanceof GrammyError || error instanceof HttpError;
}
