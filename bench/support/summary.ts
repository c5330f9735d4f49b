/**
 * One format for every benchmark's headline figures, so `npm run bench` can print one table and
 * the README's benchmark section can be regenerated from it (`npm run bench -- --markdown`).
 * A benchmark calls {@link reportFigure} for each figure; when BENCH_SUMMARY_FILE is set (the
 * runner sets it) the figure is appended there as one JSON line.
 */
import { appendFileSync } from 'node:fs';

export interface Figure {
  /** `bench:index`, `bench:bot`, … */
  readonly bench: string;
  /** What was measured, e.g. "10k products: search p50". */
  readonly name: string;
  /** The measured value, formatted with its unit ("3.2 ms"). */
  readonly value: string;
  /** The same-run baseline it is compared with, formatted, and what it is ("61 ms, PGlite exact scan"). */
  readonly baseline?: string;
  /** Target as text ("≤ 5 ms"); omitted when the figure has none. */
  readonly target?: string;
  /** Whether the target was met; omitted without a target. */
  readonly met?: boolean;
}

/** Prints nothing; records `figure` for the runner (see module comment). */
export function reportFigure(figure: Figure): void {
  const file = process.env.BENCH_SUMMARY_FILE;
  if (file) appendFileSync(file, `${JSON.stringify(figure)}\n`);
}

/** `value` in milliseconds with a sensible number of digits. */
export function ms(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ms`;
}

/** Sorted-copy percentile (nearest rank), q in (0, 1]. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
