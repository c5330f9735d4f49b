/**
 * Downloads the picture a customer sent. Instagram hands over a short-lived CDN link; the bytes
 * are fetched as soon as the core asks for them (right after the rate limit), streamed, and the
 * download stops as soon as it passes `IMAGE_MAX_BYTES`, so a huge file never sits in memory.
 * Pixel limits are checked by the core when it decodes the picture, as for every channel.
 */
import type { PictureBytes } from '../core/conversation/index.ts';

/** Content types that may be a picture: any `image/*`, or a CDN that does not say (the decoder decides). */
const MAYBE_IMAGE = /^(image\/[\w.+-]+|application\/octet-stream|binary\/octet-stream)$/i;

export interface AttachmentDownloadOptions {
  /** Largest accepted picture, in bytes (`IMAGE_MAX_BYTES`). */
  readonly maxBytes: number;
  /** Whole-download timeout in milliseconds (default 30 s). */
  readonly timeoutMs?: number;
}

/** The CDN link could not be fetched (expired, unreachable, HTTP error). */
export class AttachmentDownloadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AttachmentDownloadError';
  }
}

/**
 * Fetches `url` within the byte limit.
 * @returns the bytes, `too-large` (declared or counted size over the limit), or `not-an-image`
 *   when the server says the content is something else (a video, an HTML page).
 * @throws {AttachmentDownloadError} when the link does not answer with the file.
 */
export async function downloadAttachment(url: string, options: AttachmentDownloadOptions, signal?: AbortSignal): Promise<PictureBytes> {
  const protocol = URL.canParse(url) ? new URL(url).protocol : '';
  if (protocol !== 'https:' && protocol !== 'http:') throw new AttachmentDownloadError('attachment link is not an http(s) URL');
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { signal: combined, redirect: 'follow' });
  } catch (error) {
    // Never put `url` in messages: CDN links carry signatures.
    throw new AttachmentDownloadError(`attachment download failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new AttachmentDownloadError(`attachment download failed with HTTP ${response.status}`);
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (contentType !== '' && !MAYBE_IMAGE.test(contentType)) {
    await response.body?.cancel();
    return { kind: 'not-an-image', contentType };
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    return { kind: 'too-large', bytes: declared, limit: options.maxBytes };
  }
  return readWithin(response, options.maxBytes);
}

/** Reads the body chunk by chunk and gives up as soon as it passes `limit`. */
async function readWithin(response: Response, limit: number): Promise<PictureBytes> {
  if (!response.body) return { kind: 'ok', data: Buffer.alloc(0) };
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel();
        return { kind: 'too-large', bytes: total, limit };
      }
      chunks.push(value);
    }
  } catch (error) {
    throw new AttachmentDownloadError(`attachment download broke off: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return { kind: 'ok', data: Buffer.concat(chunks, total) };
}
