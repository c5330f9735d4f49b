/**
 * The bot's context type and the dependencies every feature receives.
 */
import type { Context } from 'grammy';
import type { File } from 'grammy/types';
import type { Config } from '../config/index.ts';
import type { Assistant } from '../core/assistant.ts';
import type { Asker, Language, Translate } from '../core/conversation/index.ts';
import type { Logger } from '../core/logger.ts';
import type { MediaSender } from './services/media-sender.ts';
import type { TelegramFiles } from './services/telegram-files.ts';

/** Added to every context by the locale middleware. */
export interface LocaleFlavor {
  /** The sender's language, from Telegram's `language_code`. */
  lang: Language;
  /** Texts in {@link LocaleFlavor.lang}. */
  t: Translate;
  /** True when the sender is listed in `ADMIN_IDS`. */
  isAdmin: boolean;
  /** The sender as the conversation core knows them. */
  asker: Asker;
}

/** Added by the picture-file prefetch (features/pictures.ts) to updates carrying a single picture. */
export interface PrefetchFlavor {
  /** Telegram's `getFile` answer for the message's picture, asked for as the update arrived. */
  pictureFile?: { readonly fileId: string; readonly file: Promise<File> };
}

/** The context every ShopLens handler receives. */
export type BotContext = Context & LocaleFlavor & PrefetchFlavor;

/** What the bot needs from the rest of ShopLens. */
export interface BotDependencies {
  readonly assistant: Assistant;
  readonly config: Config;
  readonly logger: Logger;
}

/** Shared services built once per bot and handed to every feature. */
export interface BotServices extends BotDependencies {
  readonly files: TelegramFiles;
  readonly media: MediaSender;
}
