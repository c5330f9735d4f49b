/**
 * At-most-once handling of updates. Telegram delivers an update again when a webhook request did
 * not get its 200 in time, or when a polling bot restarts before confirming the offset; answering
 * it twice would send the customer the same album twice. Every update id is claimed in the core's
 * inbound ledger before any handling (in memory at once, in the database across restarts). If the
 * database cannot be reached the update is handled anyway — answering once more is better than
 * not answering.
 */
import type { InboundLedger } from '../../core/conversation/index.ts';
import type { Logger } from '../../core/logger.ts';

export class UpdateDeduplicator {
  constructor(private readonly deps: { readonly ledger: Pick<InboundLedger, 'firstDelivery'>; readonly logger: Logger }) {}

  /** True the first time `updateId` reaches bot `botId` (in this process or, stored, before it). */
  firstTime(botId: number, updateId: number): Promise<boolean> {
    // Update ids are per bot; one ShopLens database may serve several bots over time.
    return this.deps.ledger.firstDelivery('telegram', `${botId}:${updateId}`);
  }

  /** Middleware: handles an update only the first time it arrives. */
  readonly middleware = async (ctx: { readonly me: { readonly id: number }; readonly update: { readonly update_id: number } }, next: () => Promise<void>): Promise<void> => {
    if (await this.firstTime(ctx.me.id, ctx.update.update_id)) return next();
    this.deps.logger.info({ updateId: ctx.update.update_id }, 'update delivered again: already handled, skipped');
  };
}
