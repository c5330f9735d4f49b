/**
 * One owner for the embedded database, with real processes: two imports at once both land (one
 * waits for the other, saying so); a waiter gives up after LOCK_TIMEOUT_SECONDS with one line;
 * SIGTERM and kill -9 in the middle of an import leave only whole products, and the next
 * `stats` and import work.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import { productSvg, writeProductPhoto } from '../helpers/images.ts';
import { CLI, ROOT, runCli, start, stop, type Started } from '../helpers/processes.ts';

let work: string;

function env(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATA_DIR: dataDir, MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'warn', ...extra };
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function stats(dataDir: string): Promise<Record<string, unknown>> {
  const run = await runCli(['stats', '--json'], { cwd: work, env: env(dataDir) });
  assert.equal(run.code, 0, run.stderr);
  return jsonLines(run.stdout)[0]!;
}

/** No stack trace lines: the error contract prints one line per failure. */
function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m);
}

describe('one owner for the embedded database', () => {
  let running: Started | undefined;
  /** `count` products that take a while to embed: big PNGs (no shrink-on-load), copies of one picture under many names. */
  let slowFolder: string;
  const SLOW_COUNT = 80;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-owner-'));
    await writeGeneratedModel({ arch: 'tiny', seed: 5, out: path.join(work, 'tiny.onnx') });
    for (const [folder, prefix] of [['first', 'a'], ['second', 'b']] as const) {
      for (let i = 1; i <= 6; i += 1) await writeProductPhoto(path.join(work, folder, 'shirts', `${prefix}-${i}.jpg`), i + (prefix === 'a' ? 0 : 100));
    }
    slowFolder = path.join(work, 'slow');
    const big = path.join(work, 'big.png');
    await sharp(Buffer.from(productSvg(7, 2400, 1800))).png({ compressionLevel: 1 }).toFile(big);
    await mkdir(path.join(slowFolder, 'posters'), { recursive: true });
    for (let i = 1; i <= SLOW_COUNT; i += 1) await copyFile(big, path.join(slowFolder, 'posters', `poster-${String(i).padStart(3, '0')}.png`));
  });
  after(async () => {
    await stop(running);
    await rm(work, { recursive: true, force: true });
  });

  it('runs two imports started together one after the other, keeping every product', async () => {
    const dataDir = path.join(work, 'together');
    const imports = ['first', 'second'].map((folder) => start([CLI, 'import', folder, '--json'], { cwd: work, env: env(dataDir) }));
    const codes = await Promise.all(imports.map((run) => run.exited()));
    const stderr = imports.map((run) => run.stderr());
    assert.deepEqual(codes, [0, 0], stderr.join('\n'));
    for (const run of imports) assert.equal(jsonLines(run.stdout()).at(-1)!.imported, 6);
    const waited = stderr.filter((text) => /waiting for another shoplens command \(pid \d+, import\) to finish…/.test(text));
    assert.equal(waited.length, 1, `exactly one import waited for the other:\n${stderr.join('\n')}`);
    const figures = await stats(dataDir);
    assert.equal(figures.products, 12);
    assert.equal(figures.images, 12);
  });

  it('gives up after LOCK_TIMEOUT_SECONDS with one line naming the holder (exit 2)', async () => {
    const dataDir = path.join(work, 'held');
    running = start(['--import', 'tsx', path.join(ROOT, 'test', 'helpers', 'lock-holder.ts'), dataDir]);
    const [, pid] = await running.waitFor(/locked (\d+)/);
    const run = await runCli(['stats'], { cwd: work, env: env(dataDir, { LOCK_TIMEOUT_SECONDS: '1' }) });
    assert.equal(run.code, 2);
    const lines = run.stderr.trim().split('\n');
    assert.match(lines[0]!, new RegExp(`^waiting for another shoplens command \\(pid ${pid}, lock-holder\\) to finish…`));
    assert.match(lines.at(-1)!, new RegExp(`^Error: DATA_DIR .* is in use by another shoplens command \\(pid ${pid}, lock-holder\\).*LOCK_TIMEOUT_SECONDS`));
    assert.equal(lines.length, 2, run.stderr);
    assertNoStack(run.stderr);
    await stop(running);
  });

  it('stops an import on SIGTERM after the current product, closes the database and exits 143; a re-run adds the rest', async () => {
    const dataDir = path.join(work, 'sigterm');
    running = start([CLI, 'import', slowFolder, '--json'], { cwd: work, env: env(dataDir) });
    await running.waitFor(/import: ([1-9]\d*)\/80/, 300_000);
    running.child.kill('SIGTERM');
    assert.equal(await running.exited(), 143, running.stderr());
    assert.match(running.stderr(), /SIGTERM: stopping after the current item/);
    assertNoStack(running.stderr());
    const summary = jsonLines(running.stdout()).find((line) => 'imported' in line)!;
    assert.equal(summary.interrupted, true);
    const kept = Number(summary.imported);
    assert.ok(kept > 0 && kept < SLOW_COUNT, `imported ${kept} of ${SLOW_COUNT} before stopping`);
    const figures = await stats(dataDir);
    assert.equal(figures.products, kept, 'every product reported as imported is stored');
    assert.equal(figures.images, kept, 'and each one whole, with its image');
    const rerun = await runCli(['import', slowFolder, '--json'], { cwd: work, env: env(dataDir) });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(jsonLines(rerun.stdout).at(-1), { imported: SLOW_COUNT - kept, updated: 0, skipped: kept, failed: 0, problems: [], interrupted: false });
  });

  it('leaves a database that opens with only whole products after kill -9 mid-import', async () => {
    const dataDir = path.join(work, 'sigkill');
    running = start([CLI, 'import', slowFolder, '--json'], { cwd: work, env: env(dataDir) });
    await running.waitFor(/import: ([1-9]\d*)\/80/, 300_000);
    running.child.kill('SIGKILL');
    await running.exited();
    const figures = await stats(dataDir);
    const kept = Number(figures.products);
    assert.ok(kept < SLOW_COUNT, `killed before the end (${kept} stored)`);
    assert.equal(figures.images, kept, 'no product without its image');
    const rerun = await runCli(['import', slowFolder, '--json'], { cwd: work, env: env(dataDir) });
    assert.equal(rerun.code, 0, rerun.stderr);
    const summary = jsonLines(rerun.stdout).at(-1)!;
    assert.equal(Number(summary.imported) + Number(summary.skipped), SLOW_COUNT);
    assert.equal((await stats(dataDir)).products, SLOW_COUNT);
  });
});
