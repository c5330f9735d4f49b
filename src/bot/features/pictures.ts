/** Finding the picture in a customer's message and fetching it when the core asks for it. */
import type { Message } from 'grammy/types';
import type { PictureSource } from '../../core/conversation/index.ts';
import type { BotContext, BotServices } from '../context.ts';
import { sendSearchAnswer } from '../render/answers.ts';

/** A customer's picture: a photo size or an image document. */
export interface IncomingPicture {
  readonly fileId: string;
  readonly fileSize?: number;
}

/**
 * The largest size of a photo, or an image sent as a file (document with an `image/*` MIME
 * type); undefined for anything else.
 */
export function pictureOf(message: Message | undefined): IncomingPicture | undefined {
  if (!message) return undefined;
  const largest = message.photo?.[message.photo.length - 1];
  if (largest) return sized(largest.file_id, largest.file_size);
  const document = message.document;
  if (document?.mime_type?.startsWith('image/')) return sized(document.file_id, document.file_size);
  return undefined;
}

/**
 * Middleware: asks Telegram where a single picture's file is (`getFile`) as soon as its update
 * arrives, so that round trip overlaps the update's claim (services/update-dedup.ts), the wait for
 * earlier messages of the chat and the rate limit instead of following them (about 1.5 ms of a
 * photo answer). Only this read is brought forward: the download still waits until the core
 * accepts the picture, so a duplicate or rate-limited photo costs one `getFile` and nothing more.
 * Albums are left alone (only their first photo is searched).
 */
export function prefetchPictureFile(services: BotServices): (ctx: BotContext, next: () => Promise<void>) => Promise<void> {
  return (ctx, next) => {
    const picture = pictureOf(ctx.message);
    if (picture && ctx.message?.media_group_id === undefined && services.files.mayDownload(picture.fileSize)) {
      const file = ctx.api.getFile(picture.fileId);
      // Whoever uses the answer sees its failure; an update that never gets that far must not leave it unhandled.
      file.catch(() => undefined);
      ctx.pictureFile = { fileId: picture.fileId, file };
    }
    return next();
  };
}

/** The picture as the core takes it: downloaded only when the core asks (after the rate limit). */
export function pictureSource(ctx: BotContext, services: BotServices, picture: IncomingPicture): PictureSource {
  return async () => {
    const located = ctx.pictureFile?.fileId === picture.fileId ? ctx.pictureFile.file : undefined;
    const download = await services.files.download(ctx.api, picture.fileId, picture.fileSize, located);
    return download.kind === 'ok' ? download : { kind: 'too-large', bytes: download.bytes, limit: download.limit };
  };
}

/**
 * How long an accepted request may take before the customer sees "sending photo…". Telegram
 * recommends chat actions only for answers that take a noticeable time, and each one is another
 * Bot API call: a photo answer usually goes out in well under this.
 */
export const SHOW_WORKING_AFTER_MS = 1_000;

/**
 * Runs `answer` (a search and its sending) and shows "sending photo…" if it is still running
 * {@link SHOW_WORKING_AFTER_MS} after the request was accepted; `answer` calls `onAccepted` once
 * the request passed the rate limit. A failed chat action is not worth an error.
 */
export async function answerShowingWork(
  ctx: Pick<BotContext, 'replyWithChatAction'>,
  services: Pick<BotServices, 'logger'>,
  answer: (onAccepted: () => void) => Promise<void>,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const showWorking = (): void => {
    ctx.replyWithChatAction('upload_photo').catch((error: unknown) => {
      services.logger.debug({ err: String(error) }, 'chat action failed');
    });
  };
  try {
    await answer(() => {
      timer ??= setTimeout(showWorking, SHOW_WORKING_AFTER_MS);
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Searches by `picture` and answers the customer, whatever the outcome. */
export async function searchByPicture(ctx: BotContext, services: BotServices, picture: IncomingPicture, startedAt = performance.now()): Promise<void> {
  await answerShowingWork(ctx, services, async (onAccepted) => {
    const answer = await services.assistant.conversation.searchByPhoto(ctx.asker, pictureSource(ctx, services, picture), { startedAt, onAccepted });
    await sendSearchAnswer(ctx, services, answer);
  });
}

function sized(fileId: string, fileSize: number | undefined): IncomingPicture {
  return fileSize === undefined ? { fileId } : { fileId, fileSize };
}
