/**
 * A pino logger that keeps every line in memory, so tests can assert what an operator would read.
 */
import pino, { type Logger } from 'pino';

export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line whose `msg` matches `pattern`; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Lines whose `msg` matches `pattern`. */
  matching(pattern: RegExp): Record<string, unknown>[];
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const matching = (pattern: RegExp) => lines.filter((line) => pattern.test(String(line.msg)));
  return {
    logger,
    lines,
    matching,
    async waitFor(pattern, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = matching(pattern)[0];
        if (found) return found;
        if (Date.now() > until) throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms; got: ${lines.map((line) => line.msg).join(' | ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}
