/**
 * Which incoming messages a channel has already taken in. Webhook platforms redeliver a delivery
 * they think was not acknowledged (Meta does, also while or after ShopLens restarts), and a
 * customer must never get two answers to one message. The ledger answers "first time?" from a
 * bounded in-memory set at once, so two concurrent deliveries of one message cannot both pass, and
 * from the database across restarts.
 */
import type { Logger } from '../logger.ts';
import type { ChannelName } from './answers.ts';
import { describeError } from './failures.ts';

/** Where message ids survive a restart (`inbound_messages`). */
export interface InboundStore {
  /** Records the id; true when it was new. */
  claim(channel: string, messageId: string): Promise<boolean>;
  /** Deletes records older than `days` days. */
  pruneOlderThan(days: number): Promise<number>;
}

export interface InboundLedgerOptions {
  /** Ids kept in memory (most recent first out last). */
  readonly memory?: number;
  /** Days a stored id is kept; Meta stops redelivering long before. */
  readonly retentionDays?: number;
  /** Least time between two prunes, in milliseconds. */
  readonly pruneEveryMs?: number;
}

export class InboundLedger {
  private readonly recent = new Set<string>();
  private readonly memory: number;
  private readonly retentionDays: number;
  private readonly pruneEveryMs: number;
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: InboundStore,
    private readonly logger: Logger,
    options: InboundLedgerOptions = {},
  ) {
    this.memory = options.memory ?? 10_000;
    this.retentionDays = options.retentionDays ?? 7;
    this.pruneEveryMs = options.pruneEveryMs ?? 60 * 60 * 1000;
  }

  /**
   * True the first time `messageId` of `channel` is seen, false for every redelivery. When the
   * database cannot be reached, the in-memory answer stands (a restart meanwhile could then let
   * one duplicate through; that beats not answering).
   */
  async firstDelivery(channel: ChannelName, messageId: string): Promise<boolean> {
    const key = `${channel}:${messageId}`;
    if (this.recent.has(key)) return false;
    this.recent.add(key);
    // Set iteration order is insertion order, so the first value is the oldest.
    if (this.recent.size > this.memory) this.recent.delete(this.recent.values().next().value!);
    try {
      const fresh = await this.store.claim(channel, messageId);
      this.pruneNowAndThen();
      return fresh;
    } catch (error) {
      this.logger.warn({ channel, err: describeError(error) }, 'could not record an incoming message id; duplicates are caught in memory only');
      return true;
    }
  }

  private pruneNowAndThen(): void {
    const now = Date.now();
    if (now - this.lastPruneAt < this.pruneEveryMs) return;
    this.lastPruneAt = now;
    void this.store.pruneOlderThan(this.retentionDays).catch((error: unknown) => {
      this.logger.warn({ err: describeError(error) }, 'could not prune old incoming message ids');
    });
  }
}
