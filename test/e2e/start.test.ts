/**
 * `npm start` as a process: applies migrations, loads the backbone, serves the web channel (and
 * Instagram's webhook when configured), reports readiness, and stops cleanly (exit 0) on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `npm start`'s command with `env` until it logs readiness; `log()` is everything it wrote so far. */
async function startApp(env: Record<string, string>): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
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
  return { child, log: () => log };
}

/** `node scripts/start.js --compile-only`; fails the test unless it exits 0. */
async function compileOnly(): Promise<{ stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js'), '--compile-only'], { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, stderr);
  return { stderr };
}

/** SIGTERM, then the exit code. */
async function stopApp(child: ChildProcess): Promise<number | null> {
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  return exitCode;
}

describe('npm start', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-start-'));
    await writeGeneratedModel({ arch: 'tiny', seed: 3, out: path.join(work, 'tiny.onnx') });
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('starts on the embedded database, serves the web chat and dashboard, prints the owner token once, and exits 0 on SIGTERM', async () => {
    // PORT=0: a free port, so the test does not collide with a ShopLens already on 3000.
    const app = await startApp({ DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'info', RETRAIN_ENABLED: 'false', PORT: '0' });
    const log = app.log();
    assert.match(log, /"pretrained":false/);
    assert.match(log, /generated-tiny-seed3@/);
    const url = /Customer chat: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(log)?.[1];
    assert.ok(url, log);
    const token = /Admin token: +(\S+)/.exec(log)?.[1];
    assert.equal(token, (await readFile(path.join(work, 'data', 'admin-token'), 'utf8')).trim());
    assert.match(await (await fetch(`${url}/`)).text(), /<script type="module" src="\/assets\/js\/chat\.js">/);
    assert.equal((await fetch(`${url}/api/admin/stats`)).status, 401);
    assert.equal((await fetch(`${url}/api/admin/stats`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    assert.equal(await stopApp(app.child), 0);
    assert.match(app.log(), /stopped/);
  });

  it('serves the Instagram webhook from the same web server when the INSTAGRAM_* settings are set', async () => {
    const app = await startApp({
      DATA_DIR: path.join(work, 'data-ig'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'info', RETRAIN_ENABLED: 'false', PORT: '0',
      ADMIN_TOKEN: 'owner-token-for-the-start-test', PUBLIC_BASE_URL: 'https://shop.example', INSTAGRAM_ACCESS_TOKEN: 'IGAA-test-token-0123456789',
      INSTAGRAM_APP_SECRET: '0123456789abcdef0123', INSTAGRAM_VERIFY_TOKEN: 'verify-me-please',
      // Nothing in this test may reach Meta: a closed local port.
      INSTAGRAM_API_ROOT: 'http://127.0.0.1:9',
    });
    const url = /"chat":"(http:\/\/127\.0\.0\.1:\d+)\//.exec(app.log())?.[1];
    assert.ok(url, app.log());
    const handshake = await fetch(`${url}/webhooks/instagram?hub.mode=subscribe&hub.verify_token=verify-me-please&hub.challenge=4242`);
    assert.equal(await handshake.text(), '4242');
    assert.equal((await fetch(`${url}/webhooks/instagram`, { method: 'POST', body: '{}' })).status, 403, 'unsigned deliveries are refused');
    const channels = (await (await fetch(`${url}/api/admin/channels`, { headers: { Authorization: 'Bearer owner-token-for-the-start-test' } })).json()) as { channels: { channel: string }[] };
    assert.deepEqual(channels.channels.map((health) => health.channel), ['instagram']);
    assert.equal(await stopApp(app.child), 0);
  });

  it('compiles src/ into dist/ again after a source changed, and not when nothing did', async () => {
    const stamp = path.join(ROOT, 'dist', '.built');
    await compileOnly(); // whatever state dist/ was in, it is current now
    assert.doesNotMatch((await compileOnly()).stderr, /Compiling/, 'an unchanged source is not compiled again');
    // As if a file under src/ was saved after the last build.
    const past = new Date('2000-01-01T00:00:00Z');
    await utimes(stamp, past, past);
    const again = await compileOnly();
    assert.match(again.stderr, /Compiling ShopLens into dist\//);
    assert.ok((await stat(stamp)).mtimeMs > past.getTime(), 'the build is recorded');
    assert.doesNotMatch((await compileOnly()).stderr, /Compiling/);
  });

  it('lists every bad variable at once and exits 2', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js')], {
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
