/**
 * Albums arrive as separate updates sharing `media_group_id`. The collector holds them for a
 * short window after the first and then hands the whole album to one handler, so the customer
 * gets one answer per album. Handlers return at once (the answer runs on a timer), which keeps
 * per-chat sequential processing from waiting on an album that is still arriving.
 */

/** Called once per album with its parts in message order. */
export type AlbumHandler<T> = (parts: readonly T[]) => Promise<void>;

interface PendingAlbum<T> {
  readonly parts: { readonly order: number; readonly part: T }[];
  readonly timer: NodeJS.Timeout;
}

export class AlbumCollector<T> {
  private readonly pending = new Map<string, PendingAlbum<T>>();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly windowMs: number,
    private readonly handle: AlbumHandler<T>,
    /** Receives handler failures, which have no middleware stack left to propagate to. */
    private readonly onError: (error: unknown, parts: readonly T[]) => Promise<void>,
  ) {}

  /** Adds one part of album `groupId`; `order` (the message id) sorts the parts. */
  add(groupId: string, order: number, part: T): void {
    const album = this.pending.get(groupId);
    if (album) {
      album.parts.push({ order, part });
      return;
    }
    const timer = setTimeout(() => this.flush(groupId), this.windowMs);
    this.pending.set(groupId, { parts: [{ order, part }], timer });
  }

  /** Answers every album still waiting and resolves when all album answers have finished. */
  async drain(): Promise<void> {
    for (const [groupId, album] of this.pending) {
      clearTimeout(album.timer);
      this.flush(groupId);
    }
    await Promise.all([...this.running]);
  }

  private flush(groupId: string): void {
    const album = this.pending.get(groupId);
    if (!album) return;
    this.pending.delete(groupId);
    const parts = album.parts.sort((a, b) => a.order - b.order).map((entry) => entry.part);
    const run = this.handle(parts)
      .catch((error: unknown) => this.onError(error, parts))
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }
}
