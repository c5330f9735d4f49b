/**
 * Keeps the long-lived Instagram token alive. Such tokens expire 60 days after they were issued or
 * last refreshed, and can be refreshed once they are 24 hours old; so once a day the keeper swaps
 * the token for a fresh one and stores it in `DATA_DIR/instagram-token.json` (mode 0600), where it
 * survives restarts. The stored token is used only while `INSTAGRAM_ACCESS_TOKEN` is the token it
 * descends from: when the owner pastes a new token into the settings, that one wins.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../core/logger.ts';
import { describeError } from '../core/conversation/index.ts';
import type { RefreshedToken } from './graph-client.ts';

export const TOKEN_FILE = 'instagram-token.json';
/** Meta refreshes only tokens at least a day old; refreshing daily keeps 59+ days in hand. */
export const REFRESH_EVERY_MS = 24 * 60 * 60 * 1000;
const CHECK_EVERY_MS = 60 * 60 * 1000;

const storedToken = z.object({
  /** SHA-256 of the `INSTAGRAM_ACCESS_TOKEN` this token descends from. */
  configuredSha256: z.string().regex(/^[0-9a-f]{64}$/),
  accessToken: z.string().min(1),
  /** When this token was issued to us (ms): refreshed, or first seen in the settings. */
  obtainedAt: z.number(),
  /** When it expires (ms), when Meta said so. */
  expiresAt: z.number().nullable(),
});

type StoredToken = z.infer<typeof storedToken>;

export interface TokenKeeperOptions {
  /** `INSTAGRAM_ACCESS_TOKEN`. */
  readonly configured: string;
  readonly dataDir: string;
  /** Exchanges the current token for a new one (the Graph client). */
  readonly refresh: (signal?: AbortSignal) => Promise<RefreshedToken>;
  readonly logger: Logger;
  /** Reports a failed refresh (the channel's health). */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

export class TokenKeeper {
  private record: StoredToken;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  private constructor(
    private readonly options: TokenKeeperOptions,
    record: StoredToken,
  ) {
    this.record = record;
    this.now = options.now ?? Date.now;
  }

  /** Loads the stored token when it descends from the configured one; otherwise starts from the configured token. */
  static async load(options: TokenKeeperOptions): Promise<TokenKeeper> {
    const configuredSha256 = sha256(options.configured);
    const stored = await readStored(path.join(options.dataDir, TOKEN_FILE));
    const record = stored?.configuredSha256 === configuredSha256
      ? stored
      : { configuredSha256, accessToken: options.configured, obtainedAt: (options.now ?? Date.now)(), expiresAt: null };
    const keeper = new TokenKeeper(options, record);
    if (record !== stored) await keeper.save();
    return keeper;
  }

  /** The token to call the Graph API with. */
  current(): string {
    return this.record.accessToken;
  }

  /** When the current token expires (ms since the epoch), when known. */
  expiresAt(): number | null {
    return this.record.expiresAt;
  }

  /** Checks hourly whether a refresh is due (the timer does not keep the process alive). */
  start(): void {
    void this.refreshIfDue();
    this.timer = setInterval(() => void this.refreshIfDue(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** Stops the timer and abandons a refresh in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.abort.abort(new Error('stopping'));
    await this.running;
  }

  /** Refreshes when the token is a day old; true when a new token was stored. Never throws. */
  refreshIfDue(): Promise<boolean> {
    if (this.now() - this.record.obtainedAt < REFRESH_EVERY_MS) return Promise.resolve(false);
    this.running ??= this.refreshNow().finally(() => (this.running = undefined));
    return this.running;
  }

  private async refreshNow(): Promise<boolean> {
    try {
      const fresh = await this.options.refresh(this.abort.signal);
      const now = this.now();
      this.record = { ...this.record, accessToken: fresh.accessToken, obtainedAt: now, expiresAt: now + fresh.expiresInSeconds * 1000 };
      await this.save();
      this.options.logger.info({ expiresAt: new Date(this.record.expiresAt!).toISOString() }, 'Instagram access token refreshed');
      return true;
    } catch (error) {
      if (this.abort.signal.aborted) return false;
      this.options.logger.warn({ err: describeError(error) }, 'could not refresh the Instagram access token; trying again in an hour');
      this.options.onError?.(error);
      return false;
    }
  }

  private async save(): Promise<void> {
    const file = path.join(this.options.dataDir, TOKEN_FILE);
    await mkdir(this.options.dataDir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(this.record)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }
}

async function readStored(file: string): Promise<StoredToken | undefined> {
  try {
    const parsed = storedToken.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
