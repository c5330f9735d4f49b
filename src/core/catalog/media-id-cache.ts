/**
 * Ids a messenger assigned to product photos we uploaded (Telegram's `file_id`), per bot account,
 * so each photo is uploaded once and re-sent by id afterwards. Channels use this service instead
 * of reaching into the database.
 *
 * Ids already read or saved are also kept in memory, so an answer whose photos all went out
 * before costs no database round trip. The database stays the record: a stale id in memory
 * (another assistant on the same PostgreSQL replaced it) is at worst refused by the messenger,
 * which makes the sender {@link MediaIdCache.forget} it and upload again, as with a stale stored one.
 *
 * On the embedded database this process is the only one that stores ids (it owns the database),
 * so once every id of an account has been read (one query, when the channel starts) an image
 * missing from memory has none, and a photo shown for the first time costs no lookup (~0.7 ms of
 * the event loop). On PostgreSQL another assistant may have uploaded it, so missing ids are
 * looked up every time. Past the memory's capacity, missing ids are looked up on both engines.
 */
import type { Database } from '../../db/database.ts';
import { TelegramMediaRepository } from '../../db/repositories/telegram-media.ts';

/** Ids kept in memory at most (about 100 bytes each); the least recently used go first. */
export const MEDIA_IDS_IN_MEMORY = 20_000;

export class MediaIdCache {
  private readonly repository: TelegramMediaRepository;
  /** `accountId:imageId` → id, oldest use first (a Map keeps insertion order). */
  private readonly remembered = new Map<string, string>();
  /** Whether this process alone stores ids (the embedded database), so memory can hold all of them. */
  private readonly soleWriter: boolean;
  /** Per account: whether memory holds every id stored for it (settles once all were read). */
  private readonly complete = new Map<number, Promise<boolean>>();
  /** Set once memory dropped an id: from then on, missing ids are looked up. */
  private overflowed = false;
  /** Ids forgotten while all of their account's ids were being read, which must not come back. */
  private readonly forgottenDuringRead = new Set<string>();
  private readonly reading = new Set<number>();

  constructor(
    db: Database,
    private readonly capacity = MEDIA_IDS_IN_MEMORY,
  ) {
    this.repository = new TelegramMediaRepository(db);
    this.soleWriter = db.engine === 'pglite';
  }

  /**
   * Reads every id stored for `accountId` into memory when this process alone stores them (see
   * the module comment), so the first answers need no lookups; otherwise does nothing. A failure
   * only means the ids are looked up as they are needed.
   */
  async prepare(accountId: number): Promise<void> {
    await this.holdsAll(accountId).catch(() => false);
  }

  /** Stored id per product image id, for the images that have one; only unknown ids are looked up. */
  async fileIds(accountId: number, imageIds: readonly number[]): Promise<Map<number, string>> {
    const found = new Map<number, string>();
    const unknown = this.recallAll(accountId, imageIds, found);
    if (unknown.length === 0) return found;
    if (await this.holdsAll(accountId).catch(() => false)) {
      // Reading them all may have just brought some in; the rest have none.
      this.recallAll(accountId, unknown, found);
      return found;
    }
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
    if (this.reading.has(accountId)) this.forgottenDuringRead.add(keyOf(accountId, imageId));
    await this.repository.forget(accountId, imageId);
  }

  /** Puts the remembered ids of `imageIds` into `found`; returns the images without one. */
  private recallAll(accountId: number, imageIds: readonly number[], found: Map<number, string>): number[] {
    const unknown: number[] = [];
    for (const imageId of imageIds) {
      const fileId = this.recall(accountId, imageId);
      if (fileId === undefined) unknown.push(imageId);
      else found.set(imageId, fileId);
    }
    return unknown;
  }

  /**
   * Whether memory holds every id stored for `accountId`: reads them all once, when this process
   * alone stores ids and they fit in memory.
   */
  private holdsAll(accountId: number): Promise<boolean> {
    if (!this.soleWriter || this.overflowed) return Promise.resolve(false);
    let reading = this.complete.get(accountId);
    if (reading === undefined) {
      this.reading.add(accountId);
      reading = this.repository.allFileIds(accountId, this.capacity + 1).then((stored) => {
        if (stored.size > this.capacity) return false;
        // Ids saved or forgotten while the read ran are newer than what it returned.
        for (const [imageId, fileId] of stored) {
          const key = keyOf(accountId, imageId);
          if (!this.remembered.has(key) && !this.forgottenDuringRead.has(key)) this.remember(accountId, imageId, fileId);
        }
        return !this.overflowed;
      }).finally(() => {
        this.reading.delete(accountId);
        for (const key of this.forgottenDuringRead) if (key.startsWith(`${accountId}:`)) this.forgottenDuringRead.delete(key);
      });
      // A failed read is tried again by the next caller.
      reading.catch(() => this.complete.delete(accountId));
      this.complete.set(accountId, reading);
    }
    return reading;
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
    if (this.remembered.size > this.capacity) {
      this.remembered.delete(this.remembered.keys().next().value!);
      this.overflowed = true;
    }
  }
}

function keyOf(accountId: number, imageId: number): string {
  return `${accountId}:${imageId}`;
}
