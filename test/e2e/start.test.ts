/**
 * `npm start` as a process: applies migrations, loads the backbone, reports readiness, and
 * stops cleanly (exit 0) on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-start-'));
    await writeGeneratedModel({ arch: 'tiny', seed: 3, out: path.join(work, 'tiny.onnx') });
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('starts on the embedded database, serves the web chat and dashboard, prints the owner token once, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      // PORT=0: a free port, so the test does not collide with a ShopLens already on 3000.
      env: { PATH: process.env.PATH, DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'info', RETRAIN_ENABLED: 'false', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (log.includes('ShopLens is ready')) {
          clearInterval(check);
          resolve();
        }
      }, 100);
      child.once('exit', (code) => {
        clearInterval(check);
        reject(new Error(`exited early with ${code}: ${log}`));
      });
    });
    assert.match(log, /"pretrained":false/);
    assert.match(log, /generated-tiny-seed3@/);
    const url = /Customer chat: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(log)?.[1];
    assert.ok(url, log);
    const token = /Admin token: +(\S+)/.exec(log)?.[1];
    assert.equal(token, (await readFile(path.join(work, 'data', 'admin-token'), 'utf8')).trim());
    assert.match(await (await fetch(`${url}/`)).text(), /<script type="module" src="\/assets\/js\/chat\.js">/);
    assert.equal((await fetch(`${url}/api/admin/stats`)).status, 401);
    assert.equal((await fetch(`${url}/api/admin/stats`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    const exitCode = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exitCode, 0);
    assert.match(log, /stopped/);
  });

  it('lists every bad variable at once and exits 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ML_DEVICE: 'tpu', SEARCH_TOP_K: 'many' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /ML_DEVICE/);
    assert.match(stderr, /SEARCH_TOP_K/);
  });
});
