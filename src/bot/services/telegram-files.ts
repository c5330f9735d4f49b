/**
 * Downloads files customers send. The Bot API serves files up to 20 MB through `getFile`; a
 * self-hosted Bot API server (`TELEGRAM_API_ROOT`) in `--local` mode returns an absolute path on
 * its own disk instead, which is read directly.
 *
 * The download is a plain GET over node:http(s) with a keep-alive agent rather than `fetch`: for a
 * photo of ~20 KB, `fetch` (undici with WHATWG streams) took 1.3–1.9 ms against 0.7–0.8 ms on this
 * project's machines, and the download is on every photo answer's critical path.
 */
import { ANSWER_BUDGET_MS } from './api-retry.ts';
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Api } from 'grammy';
import type { File } from 'grammy/types';

/** The Bot API's download limit for bots, in bytes. */
export const TELEGRAM_DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

/** A download's result: the bytes, or why there are none (expected outcomes, not errors). */
export type Download =
  | { readonly kind: 'ok'; readonly data: Buffer }
  | { readonly kind: 'too-large'; readonly bytes: number; readonly limit: number };

export interface TelegramFilesOptions {
  readonly token: string;
  /** Bot API root (`TELEGRAM_API_ROOT`), http or https. */
  readonly apiRoot: string;
  /** `IMAGE_MAX_BYTES`. */
  readonly maxBytes: number;
  /** Longest a download may take, in ms; default {@link ANSWER_BUDGET_MS} (tests shorten it). */
  readonly timeoutMs?: number;
}

export class TelegramFiles {
  /** Largest file we accept: the smaller of Telegram's limit and `IMAGE_MAX_BYTES`. */
  readonly limitBytes: number;
  private readonly root: URL;
  /** Keeps the connection to the Bot API open between photos (idle sockets do not hold the process). */
  private readonly agent: http.Agent;

  constructor(private readonly options: TelegramFilesOptions) {
    this.limitBytes = Math.min(TELEGRAM_DOWNLOAD_LIMIT_BYTES, options.maxBytes);
    this.root = new URL(options.apiRoot);
    this.agent = this.root.protocol === 'https:' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
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
    return this.downloadOverHttp(file.file_path);
  }

  /** Closes the kept-alive connections (tests; idle ones never keep the process running). */
  close(): void {
    this.agent.destroy();
  }

  private async downloadOverHttp(filePath: string): Promise<Download> {
    const url = new URL(`${this.root.href.replace(/\/$/, '')}/file/bot${this.options.token}/${filePath}`);
    // Bounded like every call of an answer (services/api-retry.ts), so a stalled download ends in an apology.
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? ANSWER_BUDGET_MS);
    try {
      return await this.get(url, signal);
    } catch (error) {
      // A kept-alive connection the server closed just as it was reused: nothing was received, so ask again once.
      if (!isResetOfReusedSocket(error)) throw error;
      return this.get(url, signal);
    }
  }

  /**
   * One GET of `url`. Stops reading as soon as the body passes the limit (declared or counted).
   * @throws an Error naming the HTTP status, the network failure or the timeout; never the URL (it holds the token).
   */
  private get(url: URL, signal: AbortSignal): Promise<Download> {
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.get(url, { agent: this.agent, signal }, (response) => {
        this.read(response).then(resolve, reject);
      });
      request.on('error', (error) => {
        reject(Object.assign(downloadError(error), { reusedSocket: request.reusedSocket }));
      });
    });
  }

  private read(response: IncomingMessage): Promise<Download> {
    return new Promise((resolve, reject) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        response.resume();
        reject(new Error(`file download failed with HTTP ${status}`));
        return;
      }
      const declared = Number(response.headers['content-length'] ?? NaN);
      if (declared > this.limitBytes) {
        response.destroy();
        resolve(this.tooLarge(declared));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.limitBytes) {
          response.destroy();
          resolve(this.tooLarge(received));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve({ kind: 'ok', data: Buffer.concat(chunks, received) }));
      response.on('error', (error) => reject(downloadError(error)));
      response.on('close', () => {
        if (!response.complete) reject(new Error('file download failed: the connection closed before the whole file arrived'));
      });
    });
  }

  private checked(data: Buffer): Download {
    return data.length > this.limitBytes ? this.tooLarge(data.length) : { kind: 'ok', data };
  }

  private tooLarge(bytes: number): Download {
    return { kind: 'too-large', bytes, limit: this.limitBytes };
  }
}

/** The failure in words, without the request's URL (it contains the bot token). */
function downloadError(error: Error): Error {
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return new Error('file download failed: no complete answer before the time limit', { cause: error });
  const code = (error as { code?: unknown }).code;
  return new Error(`file download failed: ${typeof code === 'string' ? code : error.message}`, { cause: error });
}

function isResetOfReusedSocket(error: unknown): boolean {
  if (!(error instanceof Error) || (error as { reusedSocket?: boolean }).reusedSocket !== true) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
