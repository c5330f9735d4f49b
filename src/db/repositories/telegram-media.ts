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

  /** Remembers (or replaces) the `file_id` of an image; ignores images deleted meanwhile. */
  async save(botId: number, imageId: number, fileId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO telegram_media (bot_id, image_id, file_id)
       SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM product_images WHERE id = $2)
       ON CONFLICT (bot_id, image_id) DO UPDATE SET file_id = EXCLUDED.file_id, updated_at = now()`,
      [botId, imageId, fileId],
    );
  }

  /** Forgets a `file_id` Telegram no longer accepts, so the next answer uploads the photo again. */
  async forget(botId: number, imageId: number): Promise<void> {
    await this.db.query('DELETE FROM telegram_media WHERE bot_id = $1 AND image_id = $2', [botId, imageId]);
  }
}
