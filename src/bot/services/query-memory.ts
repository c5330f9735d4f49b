/**
 * Recent searches, so "Show more" can fetch the next page. Telegram limits callback data to
 * 64 bytes, too little for a photo's `file_id` or a long text, so buttons carry a short id into
 * this bounded in-memory map instead. After a restart old buttons answer "send the photo again".
 */

/** What a search was about, enough to run it again with another offset. */
export type RememberedQuery =
  | { readonly kind: 'photo'; readonly fileId: string }
  | { readonly kind: 'similar'; readonly imageId: number }
  | { readonly kind: 'text'; readonly text: string };

export class QueryMemory {
  private readonly entries = new Map<string, RememberedQuery>();
  private counter = 0;

  constructor(private readonly capacity = 5_000) {}

  /** Stores `query` and returns its id (a few base-36 characters). */
  remember(query: RememberedQuery): string {
    const id = (++this.counter).toString(36);
    this.entries.set(id, query);
    // Map iteration order is insertion order, so the first key is the oldest.
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return id;
  }

  recall(id: string): RememberedQuery | undefined {
    return this.entries.get(id);
  }
}
