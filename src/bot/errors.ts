/**
 * One place that turns failures into log lines and polite replies. Expected problems with an
 * upload (unreadable image) are answered by the features themselves; everything that reaches
 * here is logged with context — update id, chat and user id, never the token or message text.
 */
import { GrammyError, HttpError, type BotError } from 'grammy';
import { failureKind, imageRejectionIn, type MessageKey } from '../core/conversation/index.ts';
import type { Logger } from '../core/logger.ts';
import type { BotContext } from './context.ts';

const APOLOGIES = { unavailable: 'unavailable', 'catalog-updating': 'catalog_updating', error: 'apology' } as const satisfies Record<string, MessageKey>;

/** The apology that fits `error`, by the core's failure rules (walks `cause` chains). */
export function apologyFor(error: unknown): MessageKey {
  return imageRejectionIn(error) ? 'bad_image' : APOLOGIES[failureKind(error)];
}

/** Log fields that identify an update without personal data beyond the user id. */
export function updateContext(ctx: BotContext | undefined): Record<string, unknown> {
  if (!ctx) return {};
  return { updateId: ctx.update.update_id, chatId: ctx.chat?.id, userId: ctx.from?.id };
}

/** Runs the apology's calls; the retry policy gives them one attempt each (the update's deadline has its retries). */
export type ApologyScope = { finalAttempt<T>(work: () => Promise<T>): Promise<T> };

/**
 * Logs a handler failure and answers the customer; never throws, so one update cannot stop the
 * bot. The apology gets a single attempt: a customer hears it within the answer deadline plus one
 * request, and their chat is not held longer.
 */
export async function handleFailure(error: unknown, ctx: BotContext | undefined, logger: Logger, scope?: ApologyScope): Promise<void> {
  const key = apologyFor(error);
  const level = key === 'apology' ? 'error' : 'warn';
  logger[level]({ ...updateContext(ctx), err: describe(error), kind: key }, 'update failed');
  if (!ctx?.chat) return;
  const chat = ctx;
  const apologise = async () => {
    if (chat.callbackQuery) await chat.answerCallbackQuery().catch(() => undefined);
    await chat.reply(chat.t(key));
  };
  try {
    await (scope ? scope.finalAttempt(apologise) : apologise());
  } catch (replyError) {
    logger.warn({ ...updateContext(ctx), err: describe(replyError) }, 'could not send the apology');
  }
}

/** The `bot.catch` handler. */
export function botErrorHandler(logger: Logger, scope?: ApologyScope): (error: BotError<BotContext>) => Promise<void> {
  return (error) => handleFailure(error.error, error.ctx, logger, scope);
}

/**
 * An error as a plain object for pino. grammY's errors carry the method and Telegram's
 * description; nothing here includes the request URL, which would contain the token.
 */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof GrammyError) return { type: 'GrammyError', method: error.method, code: error.error_code, description: error.description };
  if (error instanceof HttpError) return { type: 'HttpError', message: redact(error.message), cause: String((error.error as Error | undefined)?.message ?? '') };
  if (error instanceof Error) return { type: error.name, message: redact(error.message), stack: error.stack?.split('\n').slice(0, 6).join('\n') };
  return { type: typeof error, message: redact(String(error)) };
}

/** Belt and braces: strip anything shaped like a bot token from a message. */
function redact(text: string): string {
  return text.replace(/\d{5,}:[\w-]{20,}/g, '[token]');
}
