/**
 * Where the project's own files are, whether this code runs from `src/` as TypeScript (through
 * tsx: the CLI, the tests, the benchmarks) or from its compiled copy in `dist/` (`npm start`, see
 * scripts/start.js). Compiled modules sit one folder deeper (`dist/src/…`, `dist/training/…`),
 * so paths relative to a module differ between the two; paths from here do not.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Extension of the running modules: `.ts` under tsx, `.js` when compiled. */
const OWN_EXTENSION = path.extname(fileURLToPath(import.meta.url));

/** The project's root folder (where package.json is), as an absolute path. */
export const PROJECT_ROOT = fileURLToPath(new URL(OWN_EXTENSION === '.ts' ? '../' : '../../', import.meta.url));

/**
 * Module source for `new Worker(source, { eval: true })` that runs `sibling` (a file name without
 * extension, next to the module at `callerUrl`). Node 20 cannot start a worker from a `.ts` file
 * even under `--import tsx` (the entry's format is checked first), so under tsx the source
 * registers tsx in the worker before importing; compiled JavaScript is imported as is.
 * @param callerUrl the caller's `import.meta.url`
 */
export function workerEntrySource(callerUrl: string, sibling: string): string {
  const entry = new URL(`./${sibling}${OWN_EXTENSION}`, callerUrl).href;
  return OWN_EXTENSION === '.ts'
    ? `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`
    : `import(${JSON.stringify(entry)});`;
}
