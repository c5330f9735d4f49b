/**
 * Telegram refuses messages over 4,096 characters and captions over 1,024 (400 "message is too
 * long"), which would turn a long owner input echoed back into an error instead of an answer.
 * This transformer shortens every outgoing text to its limit, whatever feature wrote it.
 */
import type { Bot, Transformer } from 'grammy';
import type { BotContext } from './context.ts';

/** Bot API limits, in characters (UTF-16 code units, as Telegram counts after entity parsing). */
export const TELEGRAM_LIMITS = { text: 4096, caption: 1024, callbackAnswer: 200 } as const;

/** Installs {@link limitMessageLengths} on the bot's outgoing calls. */
export function installMessageLimits(bot: Bot<BotContext>): void {
  bot.api.config.use(limitMessageLengths);
}

/** Shortens `text`, `caption` and album captions of outgoing calls to Telegram's limits. */
export const limitMessageLengths: Transformer = (prev, method, payload, signal) => {
  const shortened: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  const limit = method === 'answerCallbackQuery' ? TELEGRAM_LIMITS.callbackAnswer : TELEGRAM_LIMITS.text;
  if (typeof shortened.text === 'string') shortened.text = fit(shortened.text, limit);
  if (typeof shortened.caption === 'string') shortened.caption = fit(shortened.caption, TELEGRAM_LIMITS.caption);
  if (Array.isArray(shortened.media)) {
    shortened.media = shortened.media.map((item: unknown) =>
      item && typeof item === 'object' && typeof (item as { caption?: unknown }).caption === 'string'
        ? { ...item, caption: fit((item as { caption: string }).caption, TELEGRAM_LIMITS.caption) }
        : item,
    );
  }
  return prev(method, shortened as typeof payload, signal);
};

/** `text` cut to `max` characters with an ellipsis, never splitting a surrogate pair. */
export function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1;
  return `${text.slice(0, cut)}…`;
}
