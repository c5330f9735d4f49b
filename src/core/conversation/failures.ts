/**
 * One place that turns failures into the answer a customer or owner sees. Expected problems with
 * a picture are answers of their own (`bad-image`); what reaches here is the shop's fault, logged
 * with context and answered with an apology in the asker's language.
 */
import type { Logger } from '../logger.ts';
import { DatabaseUnavailableError } from '../../db/database.ts';
import { ImageRejectedError } from '../../ml/image-errors.ts';
import { ModelMismatchError } from '../errors.ts';
import type { Asker, FailureAnswer } from './answers.ts';
import type { Translate } from './i18n/translator.ts';

/** The {@link ImageRejectedError} behind `error`, walking `cause` chains (drivers and workers wrap errors). */
export function imageRejectionIn(error: unknown): ImageRejectedError | undefined {
  return causes(error).find((cause): cause is ImageRejectedError => cause instanceof ImageRejectedError);
}

/** The apology that fits `error`. */
export function failureKind(error: unknown): FailureAnswer['kind'] {
  for (const cause of causes(error)) {
    if (cause instanceof DatabaseUnavailableError) return 'unavailable';
    if (cause instanceof ModelMismatchError) return 'catalog-updating';
  }
  return 'error';
}

const TEXT_KEYS = { unavailable: 'unavailable', 'catalog-updating': 'catalog_updating', error: 'apology' } as const;

/** Logs `error` (warn for known outages, error for bugs) and returns the apology for `asker`. */
export function failureAnswer(error: unknown, asker: Asker, t: Translate, logger: Logger, action: string): FailureAnswer {
  const kind = failureKind(error);
  const fields = { channel: asker.channel, userRef: asker.userRef, action, kind, err: describeError(error) };
  if (kind === 'error') logger.error(fields, 'request failed');
  else logger.warn(fields, 'request failed');
  return { kind, text: t(TEXT_KEYS[kind]) };
}

/** An error as a plain object for pino: type, one-line message, a few stack lines. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack?.split('\n').slice(0, 6).join('\n') };
  return { type: typeof error, message: String(error) };
}

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let current: unknown = error; current instanceof Error && chain.length < 5; current = current.cause) chain.push(current);
  return chain;
}
