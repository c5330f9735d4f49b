/**
 * At-most-once handling of updates. Telegram delivers an update again when a webhook request did
 * not get its 200 in time, or when a polling bot restarts before confirming the offset; answering
 * it twice would send the customer the same album twice. Every update id is claimed before any
 * handling: first in a bounded in-memory set (catches copies arriving together), then in the
 * `telegram_updates` table (survives a restart). If the database cannot be reached the update is
 * handled anyway — answering once more is better than not answering.
 */
import type { Logger } from '../../core/logger.ts';
import type { TelegramUpdateRepository } from '../../db/repositories/telegram-updates.ts';

/** Update ids remembered in memory (oldest forgotten first). */
const REMEMBERED_IN_MEMORY = 10_000;
/** Claims between two prunes of the table. */
const PRUNE_EVERY = 500;
/** Telegram keeps undelivered updates for 24 h; two days of ids is plenty. */
const KEEP_MS = 48 * 60 * 60 * 1000;

export class UpdateDeduplicator {
  private readonly recent = new Set<number>();
  private claims = 0;

  constructor(
    private readonly deps: {
      readonly repository: Pick<TelegramUpdateRepository, 'claim' | 'prune'>;
      readonly logger: Logger;
      readonly remembered?: number;
    },
  ) {}

  /** True the first time `updateId` is seen by this bot (in this process or, stored, before it). */
  async firstTime(botId: number, updateId: number): Promise<boolean> {
    if (this.recent.has(updateId)) return false;
    this.remember(updateId);
    this.pruneNowAndThen();
    try {
      return await this.deps.repository.claim(botId, updateId);
    } catch (error) {
      this.deps.logger.warn({ updateId, err: (error as Error).message }, 'could not record the update id; duplicates are caught in memory only');
      return true;
    }
  }

  /** Middleware: handles an update only the first time it arrives. */
  readonly middleware = async (ctx: { readonly me: { readonly id: number }; readonly update: { readonly update_id: number } }, next: () => Promise<void>): Promise<void> => {
    if (await this.firstTime(ctx.me.id, ctx.update.update_id)) return next();
    this.deps.logger.info({ updateId: ctx.update.update_id }, 'update delivered again: already handled, skipped');
  };

  private remember(updateId: number): void {
    this.recent.add(updateId);
    const limit = this.deps.remembered ?? REMEMBERED_IN_MEMORY;
    if (this.recent.size > limit) this.recent.delete(this.recent.values().next().value!);
  }

  private pruneNowAndThen(): void {
    if (++this.claims % PRUNE_EVERY !== 0) return;
    void this.deps.repository.prune(new Date(Date.now() - KEEP_MS)).catch(() => undefined);
  }
}
