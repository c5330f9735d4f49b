/**
 * Per-user search rate limit: at most `perMinute` searches in any sliding 60-second window.
 * In memory on purpose: it protects the CPU of this process, and a restart forgetting it is harmless.
 */

/** Result of asking for one more search. */
export type LimitDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

const WINDOW_MS = 60_000;
/** Beyond this many tracked users, idle ones are pruned so memory stays bounded. */
const PRUNE_THRESHOLD = 10_000;

export class SearchLimiter {
  private readonly recent = new Map<number, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a search by `userId` if allowed; otherwise says how long to wait. */
  tryAcquire(userId: number): LimitDecision {
    const now = this.now();
    const times = (this.recent.get(userId) ?? []).filter((time) => now - time < WINDOW_MS);
    if (times.length >= this.perMinute) {
      this.recent.set(userId, times);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + WINDOW_MS - now) / 1000)) };
    }
    times.push(now);
    this.recent.set(userId, times);
    if (this.recent.size > PRUNE_THRESHOLD) this.prune(now);
    return { allowed: true };
  }

  private prune(now: number): void {
    for (const [user, times] of this.recent) {
      if (times.every((time) => now - time >= WINDOW_MS)) this.recent.delete(user);
    }
  }
}
