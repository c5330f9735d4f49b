/**
 * Command menus registered with `setMyCommands`: customers see /start and /help; each admin's
 * private chat also lists the owner commands. One menu per supported language.
 */
import type { Api } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { Logger } from '../core/logger.ts';
import { LANGUAGES, translator, type Language } from '../core/conversation/i18n/translator.ts';

const CUSTOMER_COMMANDS = ['start', 'help'] as const;
const OWNER_COMMANDS = ['add', 'stock', 'price', 'remove', 'stats', 'train'] as const;

/** The menu for customers, or for owners (customer commands first). */
export function commandMenu(language: Language, owner: boolean): BotCommand[] {
  const t = translator(language);
  const names = owner ? [...CUSTOMER_COMMANDS, ...OWNER_COMMANDS] : [...CUSTOMER_COMMANDS];
  return names.map((command) => ({ command, description: t(`cmd_${command}`) }));
}

/**
 * Registers all menus. English is registered without `language_code` so it is the fallback for
 * every other language. Failures are logged, not fatal: the bot works without menus.
 */
export async function registerCommands(api: Api, adminIds: readonly number[], logger: Logger): Promise<void> {
  const calls = LANGUAGES.flatMap((language) => {
    const languageCode = language === 'en' ? {} : { language_code: language };
    return [
      api.setMyCommands(commandMenu(language, false), { scope: { type: 'default' }, ...languageCode }),
      ...adminIds.map((chatId) => api.setMyCommands(commandMenu(language, true), { scope: { type: 'chat', chat_id: chatId }, ...languageCode })),
    ];
  });
  const results = await Promise.allSettled(calls);
  const failed = results.filter((result) => result.status === 'rejected');
  if (failed.length > 0) logger.warn({ failed: failed.length, reason: String(failed[0]!.reason) }, 'could not register every command menu');
}
