/**
 * `npm start` against a Telegram API that accepts connections but never answers: the rest of the
 * app starts anyway (the Telegram channel waits in the background and says so), and SIGTERM ends
 * the process cleanly within SHUTDOWN_TIMEOUT_SECONDS.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('bounded shutdown of npm start', () => {
  let work: string;
  const sockets = new Set<Socket>();
  const blackHole = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  let port = 0;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-shutdown-'));
    await writeGeneratedModel({ arch: 'tiny', seed: 3, out: path.join(work, 'tiny.onnx') });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    port = (blackHole.address() as { port: number }).port;
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    await rm(work, { recursive: true, force: true });
  });

  it('is ready although Telegram hangs, and exits 0 within the bound on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/start.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH, DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'info',
        RETRAIN_ENABLED: 'false', BACKUP_ENABLED: 'false', SHUTDOWN_TIMEOUT_SECONDS: '3', PORT: '0',
        TELEGRAM_BOT_TOKEN: '123456789:TEST_fake-token_abcdefghijklmnop', TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (log.includes('ShopLens is ready') && log.includes('connecting to the Telegram Bot API')) {
          clearInterval(check);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(check);
        reject(new Error(`exited early with ${code}: ${log}`));
      });
    });
    assert.ok(sockets.size > 0, 'the bot is waiting on the unresponsive API');
    const started = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const elapsed = performance.now() - started;
    assert.equal(code, 0, log);
    assert.ok(elapsed < 3_000 + 2_000, `exited ${Math.round(elapsed)} ms after SIGTERM with a 3 s bound`);
    assert.match(log, /"msg":"stopped"/);
  });
});
