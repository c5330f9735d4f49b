/** Finding the picture in a customer's message. */
import type { Message } from 'grammy/types';
import type { IncomingPicture } from './search-flow.ts';

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

function sized(fileId: string, fileSize: number | undefined): IncomingPicture {
  return fileSize === undefined ? { fileId } : { fileId, fileSize };
}
