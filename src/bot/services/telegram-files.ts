/**
 * Downloads files customers send. The Bot API serves files up to 20 MB through `getFile`; a
 * self-hosted Bot API server (`TELEGRAM_API_ROOT`) in `--local` mode returns an absolute path on
 * its own disk instead, which is read directly.
 */
import { ANSWER_BUDGET_MS } from './api-retry.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Api } from 'grammy';
import type { File } from 'grammy/types';

/** The Bot API's download limit for bots, in bytes. */
export const TELEGRAM_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

/** A download's result: the bytes, or why there are none (expected outcomes, not errors). */
export type Download =
  | { readonly kind: 'ok'; readonly data: Buffer }
  | { readonly kind: 'too-large'; readonly bytes: number; readonly limit: number };

export class TelegramFiles {
  /** Largest file we accept: the smaller of Telegram's limit and `IMAGE_MAX_BYTES`. */
  readonly limitBytes: number;

  constructor(
    private readonly options: { readonly token: string; readonly apiRoot: string; readonly maxBytes: number },
  ) {
    this.limitBytes = Math.min(TELEGRAM_DOWNLOAD_LIMIT_BYTES, options.maxBytes);
  }

  /** False when `knownSize` (from the message) already says the file is refused unseen. */
  mayDownload(knownSize: number | undefined): boolean {
    return knownSize === undefined || knownSize <= this.limitBytes;
  }

  /**
   * Fetches the file `fileId`. `knownSize` (from the message) lets an oversized file be refused
   * before any request is made; `located` is a `getFile` answer for it asked for earlier.
   * @throws grammY's errors when Telegram refuses `getFile`, or an Error when the download fails.
   */
  async download(api: Api, fileId: string, knownSize?: number, located?: Promise<File>): Promise<Download> {
    if (!this.mayDownload(knownSize)) return this.tooLarge(knownSize!);
    const file = await (located ?? api.getFile(fileId));
    if (file.file_size !== undefined && file.file_size > this.limitBytes) return this.tooLarge(file.file_size);
    if (file.file_path === undefined) throw new Error('Telegram returned no file_path for this file');
    if (path.isAbsolute(file.file_path)) return this.checked(await readFile(file.file_path));
    return this.fetch(file.file_path);
  }

  private async fetch(filePath: string): Promise<Download> {
    const url = `${this.options.apiRoot}/file/bot${this.options.token}/${filePath}`;
    // Bounded like every call of an answer (services/api-retry.ts), so a stalled download ends in an apology.
    const response = await fetch(url, { signal: AbortSignal.timeout(ANSWER_BUDGET_MS) });
    // Never put `url` in the message: it contains the bot token.
    if (!response.ok) throw new Error(`file download failed with HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > this.limitBytes) {
      await response.body?.cancel();
      return this.tooLarge(declared);
    }
    return this.checked(Buffer.from(await response.arrayBuffer()));
  }

  private checked(data: Buffer): Download {
    return data.length > this.limitBytes ? this.tooLarge(data.length) : { kind: 'ok', data };
  }

  private tooLarge(bytes: number): Download {
    return { kind: 'too-large', bytes, limit: this.limitBytes };
  }
}
