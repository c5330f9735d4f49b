/**
 * Per-person search rate limit: at most `perMinute` searches in any sliding 60-second window.
 * Keys are channel-qualified (`telegram:42`, `web:<session>`), so every channel shares one rule.
 * In memory on purpose: it protects the CPU of this process, and a restart forgetting it is harmless.
 */

/** Result of asking for one more search. */
export type LimitDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

const WINDOW_MS = 60_000;
/** Beyond this many tracked people, idle ones are pruned so memory stays bounded. */
const PRUNE_THRESHOLD = 10_000;

export class SearchLimiter {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a search by `key` if allowed; otherwise says how long to wait, in whole seconds. */
  tryAcquire(key: string): LimitDecision {
    const now = this.now();
    const times = (this.recent.get(key) ?? []).filter((time) => now - time < WINDOW_MS);
    if (times.length >= this.perMinute) {
      this.recent.set(key, times);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + WINDOW_MS - now) / 1000)) };
    }
    times.push(now);
    this.recent.set(key, times);
    if (this.recent.size > PRUNE_THRESHOLD) this.prune(now);
    return { allowed: true };
  }

  private prune(now: number): void {
    for (const [key, times] of this.recent) {
      if (times.every((time) => now - time >= WINDOW_MS)) this.recent.delete(key);
    }
  }
}
