/**
 * Recent searches, so "Show more" can fetch the next page. Buttons carry a short id into this
 * bounded in-memory map (Telegram limits callback data to 64 bytes; a web page keeps the id).
 * A photo is remembered as its embedding, so the next page needs neither the photo nor
 * inference. After a restart old ids answer "send the photo again".
 */
import type { ImageQuery } from '../search/search-service.ts';

/** What a search was about, enough to run it again with another offset. */
export type RememberedQuery =
  | { readonly kind: 'photo'; readonly query: ImageQuery }
  | { readonly kind: 'similar'; readonly imageId: number }
  | { readonly kind: 'text'; readonly text: string };

/** Default capacity: a photo entry holds a 2,048-float embedding (8 KB), so 2,000 entries ≈ 16 MB. */
const DEFAULT_CAPACITY = 2_000;

export class QueryMemory {
  private readonly entries = new Map<string, { readonly owner: string; readonly query: RememberedQuery }>();
  private counter = 0;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Stores `query` for `owner` (a channel-qualified person key) and returns its id (a few base-36 characters). */
  remember(owner: string, query: RememberedQuery): string {
    const id = (++this.counter).toString(36);
    this.entries.set(id, { owner, query });
    // Map iteration order is insertion order, so the first key is the oldest.
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return id;
  }

  /** The query `id` of `owner`; undefined when forgotten or when it belongs to someone else. */
  recall(owner: string, id: string): RememberedQuery | undefined {
    const entry = this.entries.get(id);
    return entry?.owner === owner ? entry.query : undefined;
  }
}
