/**
 * Builds the grammY bot: outgoing-call plugins, the locale middleware, per-chat ordering and
 * one Composer per feature. Starting and stopping it is `run.ts`'s job.
 */
import { sequentialize } from '@grammyjs/runner';
import { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { AlbumCollector } from '../core/conversation/index.ts';
import { languageOf, translator } from '../core/conversation/index.ts';
import type { BotContext, BotDependencies, BotServices } from './context.ts';
import { botErrorHandler } from './errors.ts';
import { albumSearchFeature } from './features/album-search.ts';
import { fallbackFeature } from './features/fallback.ts';
import { ownerCommandsFeature } from './features/owner-commands.ts';
import { photoSearchFeature } from './features/photo-search.ts';
import { prefetchPictureFile } from './features/pictures.ts';
import { resultButtonsFeature } from './features/result-buttons.ts';
import { startHelpFeature } from './features/start-help.ts';
import { textSearchFeature } from './features/text-search.ts';
import { trainFeature } from './features/train.ts';
import { installMessageLimits } from './message-limits.ts';
import { ApiRetryPolicy, type RetryPolicyOptions } from './services/api-retry.ts';
import { InFlight } from './services/in-flight.ts';
import { MediaSender } from './services/media-sender.ts';
import { OutgoingThrottle } from './services/outgoing-throttle.ts';
import { TelegramFiles } from './services/telegram-files.ts';
import { UpdateDeduplicator } from './services/update-dedup.ts';

/** Telegram's public Bot API; `TELEGRAM_API_ROOT` replaces it (self-hosted server, tests). */
export const DEFAULT_API_ROOT = 'https://api.telegram.org';

export interface CreateBotOptions {
  /** Skips `getMe` at start (tests, or a caller that already knows the bot). */
  readonly botInfo?: UserFromGetMe;
  /** How long albums are collected; default 600 ms (`ALBUM_WINDOW_MS` in features/album-search.ts). */
  readonly albumWindowMs?: number;
  /** Retry limits of outgoing calls (tests shorten them); see services/api-retry.ts. */
  readonly retry?: RetryPolicyOptions;
}

/** A configured bot and the album collector that must be drained when it stops. */
export interface ShopBot {
  readonly bot: Bot<BotContext>;
  readonly albums: Pick<AlbumCollector<unknown>, 'drain'>;
  /** Updates being handled, for graceful stops. */
  readonly inFlight: InFlight;
  /** Retry policy of outgoing calls; stopping the bot cancels its retries and requests. */
  readonly retry: ApiRetryPolicy;
}

/**
 * Creates the bot for `deps.config.telegram.token`.
 * @throws {Error} when no token is configured.
 */
export function createBot(deps: BotDependencies, options: CreateBotOptions = {}): ShopBot {
  const { token, apiRoot = DEFAULT_API_ROOT } = deps.config.telegram;
  if (!token) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  const bot = new Bot<BotContext>(token, { client: { apiRoot }, ...(options.botInfo ? { botInfo: options.botInfo } : {}) });
  const retry = installApiPlugins(bot, deps.logger, deps.config.telegram.messagesPerSecond, options.retry);
  installMessageLimits(bot);
  const services = buildServices(deps, token, apiRoot);
  const albums = albumSearchFeature(services, options.albumWindowMs);

  const inFlight = new InFlight();
  bot.use(inFlight.middleware);
  bot.use(retry.middleware);
  bot.use(prefetchPictureFile(services));
  bot.use(new UpdateDeduplicator({ ledger: deps.assistant.inbound, logger: deps.logger }).middleware);
  bot.use(sequentialize(chatKey));
  bot.use(localeMiddleware(deps.config.telegram.adminIds));
  bot.use(startHelpFeature());
  bot.use(ownerCommandsFeature(services));
  bot.use(trainFeature(services));
  bot.use(albums.feature);
  bot.use(photoSearchFeature(services));
  bot.use(textSearchFeature(services));
  bot.use(resultButtonsFeature(services));
  bot.use(fallbackFeature());
  bot.catch(botErrorHandler(deps.logger, retry));
  return { bot, albums: albums.albums, inFlight, retry };
}

/**
 * Outgoing calls: throttled to Telegram's limits (services/outgoing-throttle.ts), retried by {@link ApiRetryPolicy} (429 always,
 * 5xx and network errors only where repeating cannot duplicate a message, never past the
 * update's deadline). The retry transformer is installed last so it is the outermost one and a
 * retried call queues through the throttler again.
 */
function installApiPlugins(bot: Bot<BotContext>, logger: BotDependencies['logger'], messagesPerSecond: number, options: RetryPolicyOptions = {}): ApiRetryPolicy {
  bot.api.config.use(new OutgoingThrottle(messagesPerSecond).transformer);
  const retry = new ApiRetryPolicy({
    onRetry: (event) => logger.info(event, 'Telegram call failed; retrying'),
    onGiveUp: (event) => logger.warn(event, 'Telegram call failed; not retried'),
    ...options,
  });
  bot.api.config.use(retry.transformer);
  return retry;
}

function buildServices(deps: BotDependencies, token: string, apiRoot: string): BotServices {
  const { assistant, config, logger } = deps;
  return {
    ...deps,
    files: new TelegramFiles({ token, apiRoot, maxBytes: config.images.maxBytes }),
    media: new MediaSender({ repository: assistant.mediaIds, store: assistant.store, logger }),
  };
}

/** Updates of one chat run in order; different chats run concurrently. */
function chatKey(ctx: BotContext): string | undefined {
  return ctx.chat?.id.toString();
}

function localeMiddleware(adminIds: readonly number[]): (ctx: BotContext, next: () => Promise<void>) => Promise<void> {
  const admins = new Set(adminIds);
  return async (ctx, next) => {
    ctx.lang = languageOf(ctx.from?.language_code);
    ctx.t = translator(ctx.lang);
    ctx.isAdmin = ctx.from !== undefined && admins.has(ctx.from.id);
    // Channel posts and anonymous group admins have no `from`; the chat then stands for the person.
    ctx.asker = { channel: 'telegram', userRef: String(ctx.from?.id ?? ctx.chat?.id ?? 'unknown'), lang: ctx.lang, isOwner: ctx.isAdmin };
    await next();
  };
}
