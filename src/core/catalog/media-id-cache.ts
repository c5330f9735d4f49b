/**
 * Ids a messenger assigned to product photos we uploaded (Telegram's `file_id`), per bot account,
 * so each photo is uploaded once and re-sent by id afterwards. Channels use this service instead
 * of reaching into the database.
 */
import type { Database } from '../../db/database.ts';
import { TelegramMediaRepository } from '../../db/repositories/telegram-media.ts';

export class MediaIdCache {
  private readonly repository: TelegramMediaRepository;

  constructor(db: Database) {
    this.repository = new TelegramMediaRepository(db);
  }

  /** Stored id per product image id, for the images that have one. */
  fileIds(accountId: number, imageIds: readonly number[]): Promise<Map<number, string>> {
    return this.repository.fileIds(accountId, imageIds);
  }

  /** Remembers (or replaces) the id the messenger gave an uploaded image. */
  save(accountId: number, imageId: number, fileId: string): Promise<void> {
    return this.repository.save(accountId, imageId, fileId);
  }

  /** Forgets an id the messenger no longer accepts, so the next answer uploads the photo again. */
  forget(accountId: number, imageId: number): Promise<void> {
    return this.repository.forget(accountId, imageId);
  }
}
