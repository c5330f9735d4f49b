/**
 * Writes a customer's answer does not wait for (the search log, unmet-demand thumbnails), kept
 * track of so that readers, shutdown and tests can wait until they have landed.
 */
export class BackgroundWrites {
  private readonly pending = new Set<Promise<void>>();

  /** Tracks `work` until it settles, whatever its outcome; returns `work` unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(() => undefined, () => undefined);
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
    return work;
  }

  /** Resolves when every write tracked so far, and any tracked meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
