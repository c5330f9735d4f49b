/**
 * The bot's context type and the dependencies every feature receives.
 */
import type { Context } from 'grammy';
import type { Config } from '../config/index.ts';
import type { Assistant } from '../core/assistant.ts';
import type { Logger } from '../core/logger.ts';
import type { Language, Translate } from '../core/conversation/i18n/translator.ts';
import type { MediaSender } from './services/media-sender.ts';
import type { QueryMemory } from './services/query-memory.ts';
import type { SearchLimiter } from './services/search-limiter.ts';
import type { TelegramFiles } from './services/telegram-files.ts';
import type { TextSearch } from './services/text-search.ts';

/** Added to every context by the locale middleware. */
export interface LocaleFlavor {
  /** The customer's language, from Telegram's `language_code`. */
  lang: Language;
  /** Texts in {@link LocaleFlavor.lang}. */
  t: Translate;
  /** True when the sender is listed in `ADMIN_IDS`. */
  isAdmin: boolean;
}

/** The context every ShopLens handler receives. */
export type BotContext = Context & LocaleFlavor;

/**
 * Retraining, supplied by the training feature once it exists. Until then `/train` answers that
 * training is not available yet.
 */
export interface TrainingPort {
  /** True while a run is in progress (a second `/train` is refused). */
  isRunning(): boolean;
  /**
   * Starts a run and resolves when it ends with a one-line summary for the owner.
   * @param onProgress called with the fraction done, 0–1.
   */
  startTraining(onProgress: (fraction: number) => void): Promise<{ readonly summary: string; readonly charts?: readonly string[] }>;
}

/** What the bot needs from the rest of ShopLens. */
export interface BotDependencies {
  readonly assistant: Assistant;
  readonly config: Config;
  readonly logger: Logger;
  /** Optional retraining; `/train` explains it is not available without it. */
  readonly training?: TrainingPort;
}

/** Shared services built once per bot and handed to every feature. */
export interface BotServices extends BotDependencies {
  readonly files: TelegramFiles;
  readonly media: MediaSender;
  readonly queries: QueryMemory;
  readonly limiter: SearchLimiter;
  readonly textSearch: TextSearch;
}
