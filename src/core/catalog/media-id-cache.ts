/**
 * Ids a messenger assigned to product photos we uploaded (Telegram's `file_id`), per bot account,
 * so each photo is uploaded once and re-sent by id afterwards. Channels use this service instead
 * of reaching into the database.
 *
 * Ids already read or saved are also kept in memory, so an answer whose photos all went out
 * before costs no database round trip. The database stays the record: a stale id in memory
 * (another assistant on the same PostgreSQL replaced it) is at worst refused by the messenger,
 * which makes the sender {@link MediaIdCache.forget} it and upload again, as with a stale stored one.
 */
import type { Database } from '../../db/database.ts';
import { TelegramMediaRepository } from '../../db/repositories/telegram-media.ts';

/** Ids kept in memory at most (about 100 bytes each); the least recently used go first. */
export const MEDIA_IDS_IN_MEMORY = 20_000;

export class MediaIdCache {
  private readonly repository: TelegramMediaRepository;
  /** `accountId:imageId` → id, oldest use first (a Map keeps insertion order). */
  private readonly remembered = new Map<string, string>();

  constructor(
    db: Database,
    private readonly capacity = MEDIA_IDS_IN_MEMORY,
  ) {
    this.repository = new TelegramMediaRepository(db);
  }

  /** Stored id per product image id, for the images that have one; only unknown ids are looked up. */
  async fileIds(accountId: number, imageIds: readonly number[]): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    const unknown: number[] = [];
    for (const imageId of imageIds) {
      const fileId = this.recall(accountId, imageId);
      if (fileId === undefined) unknown.push(imageId);
      else found.set(imageId, fileId);
    }
    if (unknown.length === 0) return found;
    for (const [imageId, fileId] of await this.repository.fileIds(accountId, unknown)) {
      this.remember(accountId, imageId, fileId);
      found.set(imageId, fileId);
    }
    return found;
  }

  /** Remembers (or replaces) the ids the messenger gave uploaded images, in one database write. */
  async saveAll(accountId: number, fileIds: ReadonlyMap<number, string>): Promise<void> {
    await this.repository.saveAll(accountId, fileIds);
    for (const [imageId, fileId] of fileIds) this.remember(accountId, imageId, fileId);
  }

  /** Forgets an id the messenger no longer accepts, so the next answer uploads the photo again. */
  async forget(accountId: number, imageId: number): Promise<void> {
    this.remembered.delete(keyOf(accountId, imageId));
    await this.repository.forget(accountId, imageId);
  }

  private recall(accountId: number, imageId: number): string | undefined {
    const fileId = this.remembered.get(keyOf(accountId, imageId));
    if (fileId !== undefined) this.remember(accountId, imageId, fileId);
    return fileId;
  }

  /** Stores the id as the most recently used (re-inserting moves an entry to the young end). */
  private remember(accountId: number, imageId: number, fileId: string): void {
    const key = keyOf(accountId, imageId);
    this.remembered.delete(key);
    this.remembered.set(key, fileId);
    if (this.remembered.size > this.capacity) this.remembered.delete(this.remembered.keys().next().value!);
  }
}

function keyOf(accountId: number, imageId: number): string {
  return `${accountId}:${imageId}`;
}
