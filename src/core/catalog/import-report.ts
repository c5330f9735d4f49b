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
}

export function emptyReport(): ImportReport {
  return { imported: 0, updated: 0, skipped: 0, failed: 0, problems: [] };
}

/** Progress of a long import: `done` of `total` images, and the one just finished. */
export type ImportProgress = (done: number, total: number, current: string) => void;

export function formatProblem(problem: ImportProblem): string {
  return `${problem.where}: ${problem.reason}`;
}

/** Thrown when the whole import cannot start (missing folder, no images, bad CSV header). */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}
