/**
 * The CLI while the assistant runs, with real processes: commands go through the running
 * assistant (which owns the embedded database), their output looks exactly like a local run,
 * the next search finds what was imported, Ctrl-C in the CLI leaves only whole products, and
 * when the assistant stops nothing is lost.
 *
 * The assistant here is test/helpers/assistant-server.ts (the command route on its own Hono
 * server), standing in for `npm start` until the web channel's server mounts the route.
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

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'warn', RETRAIN_ENABLED: 'false', ...extra };
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function cli(args: string[], extra: Record<string, string> = {}) {
  return runCli(args, { cwd: work, env: env(extra) });
}

describe('the CLI while the assistant runs', () => {
  let assistant: Started | undefined;

  async function startAssistant(): Promise<string> {
    assistant = start(['--import', 'tsx', path.join(ROOT, 'test', 'helpers', 'assistant-server.ts')], { cwd: ROOT, env: env({ LOG_LEVEL: 'info' }) });
    const [, url] = await assistant.waitFor(/ready (http:\/\/\S+)/, 300_000);
    return url!;
  }

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-live-'));
    await writeGeneratedModel({ arch: 'tiny', seed: 11, out: path.join(work, 'tiny.onnx') });
    for (const i of [1, 2, 3]) await writeProductPhoto(path.join(work, 'first', 'dresses', `dress-${i}.jpg`), i);
    for (const i of [4, 5, 6]) await writeProductPhoto(path.join(work, 'new-arrivals', 'hats', `hat-${i}.jpg`), i);
    const big = path.join(work, 'big.png');
    await sharp(Buffer.from(productSvg(8, 2400, 1800))).png({ compressionLevel: 1 }).toFile(big);
    await mkdir(path.join(work, 'slow', 'posters'), { recursive: true });
    for (let i = 1; i <= 60; i += 1) await copyFile(big, path.join(work, 'slow', 'posters', `poster-${String(i).padStart(2, '0')}.png`));
  });
  after(async () => {
    await stop(assistant);
    await rm(work, { recursive: true, force: true });
  });

  it('imports, searches and reports through the running assistant, with the output of a local run', async () => {
    const local = await cli(['import', 'first', '--json']);
    assert.equal(local.code, 0, local.stderr);
    await startAssistant();
    const imported = await cli(['import', 'new-arrivals', '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(jsonLines(imported.stdout), [{ imported: 3, updated: 0, skipped: 0, failed: 0, problems: [], interrupted: false }]);
    assert.deepEqual(imported.stderr.split('\n').filter(Boolean).map((line) => line.replace(/\d+\/3.*/, 'N/3')), local.stderr.split('\n').filter(Boolean).map((line) => line.replace(/\d+\/3.*/, 'N/3')));
    await assistant!.waitFor(/running a CLI command for the owner/);
    const search = await cli(['search', path.join('new-arrivals', 'hats', 'hat-5.jpg'), '--json']);
    assert.equal(search.code, 0, search.stderr);
    const [answer] = jsonLines(search.stdout);
    assert.equal(answer!.query, path.join('new-arrivals', 'hats', 'hat-5.jpg'));
    assert.equal((answer!.results as Array<{ sku: string }>)[0]!.sku, 'hat-5');
    assert.equal((answer!.results as unknown[]).length, 5, 'SEARCH_TOP_K results by default');
    const human = await cli(['stats']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^products {6}6 \(6 active, 6 in stock, 2 categories\)$/m);
    const bad = await cli(['search', 'missing.jpg']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /missing\.jpg: /);
  });

  it('keeps only whole products when the CLI is stopped with Ctrl-C mid-import, and the assistant keeps serving', async () => {
    const running = start([CLI, 'import', 'slow', '--json'], { cwd: work, env: env() });
    await running.waitFor(/import: [1-9]\d*\/60/, 300_000);
    running.child.kill('SIGINT');
    assert.equal(await running.exited(), 130, running.stderr());
    assert.doesNotMatch(running.stderr(), /^\s+at /m);
    const figures = jsonLines((await cli(['stats', '--json'])).stdout)[0]!;
    assert.equal(figures.products, figures.images, 'no product without its image');
    assert.ok(Number(figures.products) < 66, `stopped before the end (${String(figures.products)} products)`);
  });

  it('loses nothing when the assistant stops, and the CLI then opens the database itself', async () => {
    const before = jsonLines((await cli(['stats', '--json'])).stdout)[0]!;
    assistant!.child.kill('SIGTERM');
    assert.equal(await assistant!.exited(), 0, assistant!.stderr());
    const after = await cli(['stats', '--json']);
    assert.equal(after.code, 0, after.stderr);
    const figures = jsonLines(after.stdout)[0]!;
    assert.equal(figures.products, before.products);
    assert.ok(Number(figures.products) >= 6);
    const rest = await cli(['import', 'slow', '--json']);
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(jsonLines((await cli(['stats', '--json'])).stdout)[0]!.products, 66);
  });

  it('refuses a wrong admin token with one line', async () => {
    await startAssistant();
    const run = await cli(['stats'], { ADMIN_TOKEN: 'definitely-not-the-token' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^Error: The running assistant \(pid \d+\) refused the admin token: use the ADMIN_TOKEN it runs with \(or DATA_DIR\/admin-token\)\n$/);
  });
});
