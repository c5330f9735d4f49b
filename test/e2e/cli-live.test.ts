/**
 * Issue 8's end-to-end scenario with the real `npm start` (embedded database): while the
 * assistant runs, a CLI import goes through it; a customer's photo search on the web channel and
 * the CLI search both find the new product at once; after the assistant stops, `stats` (now
 * opening the database itself) still shows every product.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dataDirHolder } from '../../src/core/data-dir.ts';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import { writeProductPhoto } from '../helpers/images.ts';
import { ROOT, runCli, start, stop, type Started } from '../helpers/processes.ts';

let work: string;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'warn',
    RETRAIN_ENABLED: 'false', BACKUP_ENABLED: 'false', PORT: '0', HOST: '127.0.0.1', ...extra,
  };
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('npm start and the CLI together', () => {
  let assistant: Started | undefined;
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-npmstart-'));
    await writeGeneratedModel({ arch: 'tiny', seed: 13, out: path.join(work, 'tiny.onnx') });
    for (const i of [1, 2, 3]) await writeProductPhoto(path.join(work, 'arrivals', 'bags', `bag-${i}.jpg`), 40 + i);
  });
  after(async () => {
    await stop(assistant);
    await rm(work, { recursive: true, force: true });
  });

  it('imports through the running assistant, customers find the product at once, and nothing is lost when it stops', async () => {
    assistant = start(['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], { cwd: ROOT, env: env({ LOG_LEVEL: 'info' }) });
    await assistant.waitFor(/ShopLens is ready/, 300_000);
    const holder = await dataDirHolder(path.join(work, 'data'));
    assert.equal(holder?.role, 'assistant');
    assert.match(String(holder?.url), /^http:\/\/127\.0\.0\.1:\d+$/);

    const imported = await runCli(['import', 'arrivals', '--json'], { cwd: work, env: env() });
    assert.equal(imported.code, 0, imported.stderr);
    assert.deepEqual(jsonLines(imported.stdout), [{ imported: 3, updated: 0, skipped: 0, failed: 0, problems: [], interrupted: false }]);
    await assistant.waitFor(/running a CLI command for the owner/);

    const photo = await readFile(path.join(work, 'arrivals', 'bags', 'bag-2.jpg'));
    const form = new FormData();
    form.set('image', new Blob([photo], { type: 'image/jpeg' }), 'bag-2.jpg');
    const response = await fetch(`${holder.url}/api/search`, { method: 'POST', body: form });
    assert.equal(response.status, 200);
    const answer = JSON.stringify(await response.json());
    assert.ok(answer.indexOf('"bag-2"') >= 0 && answer.indexOf('"bag-2"') < Math.max(answer.indexOf('"bag-1"'), answer.indexOf('"bag-3"')), answer);

    const search = await runCli(['search', path.join('arrivals', 'bags', 'bag-2.jpg'), '--json'], { cwd: work, env: env() });
    assert.equal(search.code, 0, search.stderr);
    assert.equal((jsonLines(search.stdout)[0]!.results as Array<{ sku: string }>)[0]!.sku, 'bag-2');

    assistant.child.kill('SIGTERM');
    assert.equal(await assistant.exited(), 0, assistant.stderr());
    assert.equal(await dataDirHolder(path.join(work, 'data')), undefined);
    const stats = await runCli(['stats', '--json'], { cwd: work, env: env() });
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal(jsonLines(stats.stdout)[0]!.products, 3);
  });
});
