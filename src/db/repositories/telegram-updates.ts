import type { Queryable } from '../database.ts';

/** Update ids a bot has already taken (see migration 005), so a redelivered update is skipped. */
export class TelegramUpdateRepository {
  constructor(private readonly db: Queryable) {}

  /** Records `updateId` for `botId`; false when it was recorded before (a duplicate delivery). */
  async claim(botId: number, updateId: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO telegram_updates (bot_id, update_id) VALUES ($1, $2) ON CONFLICT (bot_id, update_id) DO NOTHING',
      [botId, updateId],
    );
    return rowCount === 1;
  }

  /** Deletes records older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM telegram_updates WHERE received_at < $1', [before]);
    return rowCount;
  }
}
