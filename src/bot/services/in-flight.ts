/**
 * Counts updates being handled so a graceful stop can wait for them: grammY's runner stops
 * fetching on `stop()` but does not wait for updates already handed to middleware.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Middleware that registers every update until its handling settles. */
  readonly middleware = async (_ctx: unknown, next: () => Promise<void>): Promise<void> => {
    const handling = next();
    this.running.add(handling);
    try {
      await handling;
    } finally {
      this.running.delete(handling);
    }
  };

  /** Number of updates being handled right now. */
  get size(): number {
    return this.running.size;
  }

  /** Resolves when every update handled right now has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
