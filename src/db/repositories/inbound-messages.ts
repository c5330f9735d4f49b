import type { Queryable } from '../database.ts';

/** Message ids channels have taken in (`inbound_messages`), so a redelivered message is answered once. */
export class InboundMessageRepository {
  constructor(private readonly db: Queryable) {}

  /** Records `messageId` of `channel`; true when it was new, false when it was recorded before. */
  async claim(channel: string, messageId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO inbound_messages (channel, message_id) VALUES ($1, $2) ON CONFLICT (channel, message_id) DO NOTHING',
      [channel, messageId],
    );
    return rowCount > 0;
  }

  /** Deletes records older than `days` days; returns how many. */
  async pruneOlderThan(days: number): Promise<number> {
    const { rowCount } = await this.db.query("DELETE FROM inbound_messages WHERE received_at < now() - $1::int * interval '1 day'", [days]);
    return rowCount;
  }
}
