import { OperationalError } from '../../domain/errors.ts';

/** The outcome of an import, counted per product, with one line per problem. */
export interface ImportProblem {
  /** The file or CSV row concerned, e.g. `shirts/a.jpg` or `catalog.csv row 7 (sku A1)`. */
  readonly where: string;
  readonly reason: string;
}

export interface ImportReport {
  /** New products. */
  imported: number;
  /** Existing products that changed (fields or new images). */
  updated: number;
  /** Products already stored exactly like this (re-import). */
  skipped: number;
  /** Products not written because of a problem. */
  failed: number;
  readonly problems: ImportProblem[];
  /** Stopped before the end (Ctrl-C, shutdown): every product counted is stored whole, the rest untouched. */
  interrupted: boolean;
}

export function emptyReport(): ImportReport {
  return { imported: 0, updated: 0, skipped: 0, failed: 0, problems: [], interrupted: false };
}

/** Options of a long import. */
export interface ImportOptions {
  readonly onProgress?: ImportProgress;
  /** Stops the import between products: the product being written is finished, nothing after it starts. */
  readonly signal?: AbortSignal;
}

/** Progress of a long import: `done` of `total` images, and the one just finished. */
export type ImportProgress = (done: number, total: number, current: string) => void;

export function formatProblem(problem: ImportProblem): string {
  return `${problem.where}: ${problem.reason}`;
}

/** Thrown when the whole import cannot start (missing folder, no images, bad CSV header): nothing was imported. */
export class ImportError extends OperationalError {}
