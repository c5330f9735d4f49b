// @ts-check
/**
 * `npm start`: runs the assistant from its compiled JavaScript in `dist/`, first compiling `src/`
 * and `training/` (`tsc -p tsconfig.build.json`) whenever one of their files changed since the
 * last build, so the compiled copy never goes stale. `node scripts/start.js --compile-only`
 * compiles (when needed) and exits, for installs that want the compile done ahead of time.
 *
 * Why compile at all: under `node --import tsx` Node keeps a module-loader thread with its own
 * JavaScript heap for the whole run, which costs the assistant ~60 MB of resident memory
 * (bench:bot measures it). The CLI, the tests and the benchmarks' tools run `src/` through tsx,
 * where that does not matter.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = path.join(ROOT, 'dist');
/** Written after each successful build, with the time that build started. */
const STAMP = path.join(DIST, '.built');
/** What the compiled copy is made from. */
const INPUTS = ['src', 'training', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/**
 * Latest modification time (ms) of `entry` and, for a folder, of everything compiled under it.
 * Folders count too, so deleting or renaming a file is noticed.
 * @param {string} entry
 * @returns {number}
 */
function newestChange(entry) {
  const stats = statSync(entry, { throwIfNoEntry: false });
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const child of readdirSync(entry, { withFileTypes: true })) {
    if (child.isDirectory() || child.name.endsWith('.ts')) newest = Math.max(newest, newestChange(path.join(entry, child.name)));
  }
  return newest;
}

/** @returns {boolean} */
function isStale() {
  const built = statSync(STAMP, { throwIfNoEntry: false });
  return !built || INPUTS.some((input) => newestChange(path.join(ROOT, input)) > built.mtimeMs);
}

function build() {
  process.stderr.write('Compiling ShopLens into dist/ (once after every change to src/)…\n');
  const startedAt = new Date();
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    // Exit code 2 as for every failure a person can fix (README "Exit codes and errors").
    process.stderr.write('Error: ShopLens could not be compiled (tsc reported the errors above): fix them and run npm start again\n');
    process.exit(2);
  }
  writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
  // A file saved while tsc ran is newer than this, so the next start compiles again.
  utimesSync(STAMP, startedAt, startedAt);
}

/**
 * Builds when stale, holding an OS lock on `dist/.build-lock` so that two starts at once (tests
 * on a many-core machine) never compile over each other or run a half-written copy.
 */
async function buildIfStale() {
  mkdirSync(DIST, { recursive: true });
  const fd = openSync(path.join(DIST, '.build-lock'), 'a');
  /** @type {{ waitForLock(fd: number): Promise<boolean> }} */
  const locks = require('fs-native-extensions');
  try {
    await locks.waitForLock(fd);
    if (isStale()) build();
  } finally {
    closeSync(fd); // closing releases the lock
  }
}

await buildIfStale();
if (!process.argv.includes('--compile-only')) await import('../dist/src/main.js');
