import type { Queryable } from '../database.ts';

/**
 * Telegram `file_id`s of uploaded product photos, per bot. Telegram hands one back after the
 * first upload; re-sending by `file_id` is instant and costs no upload bandwidth.
 */
export class TelegramMediaRepository {
  constructor(private readonly db: Queryable) {}

  /** Stored `file_id` per image id, for the images that have one. */
  async fileIds(botId: number, imageIds: readonly number[]): Promise<Map<number, string>> {
    if (imageIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ image_id: number; file_id: string }>(
      'SELECT image_id, file_id FROM telegram_media WHERE bot_id = $1 AND image_id = ANY($2::int[])',
      [botId, [...imageIds]],
    );
    return new Map(rows.map((row) => [Number(row.image_id), row.file_id]));
  }

  /** Up to `limit` stored `file_id`s of the bot, by image id (any `limit` of them when it has more). */
  async allFileIds(botId: number, limit: number): Promise<Map<number, string>> {
    const { rows } = await this.db.query<{ image_id: number; file_id: string }>(
      'SELECT image_id, file_id FROM telegram_media WHERE bot_id = $1 LIMIT $2',
      [botId, limit],
    );
    return new Map(rows.map((row) => [Number(row.image_id), row.file_id]));
  }

  /** Remembers (or replaces) the `file_id` of each image, in one statement; ignores images deleted meanwhile. */
  async saveAll(botId: number, fileIds: ReadonlyMap<number, string>): Promise<void> {
    if (fileIds.size === 0) return;
    await this.db.query(
      `INSERT INTO telegram_media (bot_id, image_id, file_id)
       SELECT $1, given.image_id, given.file_id
       FROM unnest($2::int[], $3::text[]) AS given (image_id, file_id)
       WHERE EXISTS (SELECT 1 FROM product_images WHERE id = given.image_id)
       ON CONFLICT (bot_id, image_id) DO UPDATE SET file_id = EXCLUDED.file_id, updated_at = now()`,
      [botId, [...fileIds.keys()], [...fileIds.values()]],
    );
  }

  /** Forgets a `file_id` Telegram no longer accepts, so the next answer uploads the photo again. */
  async forget(botId: number, imageId: number): Promise<void> {
    await this.db.query('DELETE FROM telegram_media WHERE bot_id = $1 AND image_id = $2', [botId, imageId]);
  }
}
