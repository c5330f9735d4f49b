/**
 * The data-directory lock with real processes: a dead holder's lock (kill -9) is taken at once,
 * a live holder's lock is never taken — not even when its event loop is blocked or the whole
 * process is frozen (SIGSTOP), the cases where an age-based lock file would be stolen.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { acquireDataDirLock, dataDirHolder, DataDirBusyError, LOCK_FILE_NAME, type LockHolder } from '../../src/db/data-dir-lock.ts';
import { ROOT, start, stop, type Started } from '../helpers/processes.ts';

const HOLDER = path.join(ROOT, 'test', 'helpers', 'lock-holder.ts');

async function startHolder(dataDir: string, mode: 'idle' | 'busy'): Promise<{ holder: Started; pid: number }> {
  const holder = start(['--import', 'tsx', HOLDER, dataDir, mode]);
  const [, pid] = await holder.waitFor(/locked (\d+)/);
  return { holder, pid: Number(pid) };
}

describe('data-directory lock', () => {
  let work: string;
  let holder: Started | undefined;
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-lock-'));
  });
  after(async () => {
    await stop(holder);
    await rm(work, { recursive: true, force: true });
  });

  it('recovers the lock of a holder killed with kill -9, whose record is still on disk', async () => {
    const dataDir = path.join(work, 'killed');
    const started = await startHolder(dataDir, 'idle');
    holder = started.holder;
    assert.equal((await dataDirHolder(dataDir))?.pid, started.pid);
    holder.child.kill('SIGKILL');
    await holder.exited();
    const leftOver = JSON.parse(await readFile(path.join(dataDir, LOCK_FILE_NAME), 'utf8')) as LockHolder;
    assert.equal(leftOver.pid, started.pid, 'the dead holder left its record behind');
    assert.equal(await dataDirHolder(dataDir), undefined, 'a record without a live lock is not a holder');
    const lock = await acquireDataDirLock(dataDir, { role: 'command', command: 'test', timeoutMs: 0 });
    assert.equal(lock.holder.pid, process.pid);
    await lock.release();
  });

  it('never takes the lock from a live holder whose event loop is blocked, or that is frozen', async () => {
    const dataDir = path.join(work, 'busy');
    const started = await startHolder(dataDir, 'busy');
    holder = started.holder;
    const seen: Array<LockHolder | undefined> = [];
    await assert.rejects(
      acquireDataDirLock(dataDir, { role: 'command', command: 'test', timeoutMs: 1500, pollMs: 100, onWait: (h) => seen.push(h) }),
      (error: unknown) => {
        assert.ok(error instanceof DataDirBusyError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, new RegExp(`in use by another shoplens command \\(pid ${started.pid}, lock-holder\\).*LOCK_TIMEOUT_SECONDS`));
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
    assert.equal(seen.at(-1)?.pid, started.pid, 'the waiter was told whom it waits for');
    holder.child.kill('SIGSTOP');
    await assert.rejects(acquireDataDirLock(dataDir, { role: 'command', command: 'test', timeoutMs: 1000 }), DataDirBusyError);
    assert.equal((await dataDirHolder(dataDir))?.pid, started.pid);
    holder.child.kill('SIGKILL');
    await holder.exited();
    const lock = await acquireDataDirLock(dataDir, { role: 'command', command: 'test', timeoutMs: 5000 });
    await lock.release();
  });

  it('lets a waiter in as soon as the holder releases, and records the assistant URL it advertises', async () => {
    const dataDir = path.join(work, 'handover');
    const first = await acquireDataDirLock(dataDir, { role: 'assistant', command: 'npm start', timeoutMs: 0 });
    await first.advertise('http://127.0.0.1:3999');
    assert.deepEqual({ ...(await dataDirHolder(dataDir)), since: undefined }, { pid: process.pid, role: 'assistant', command: 'npm start', since: undefined, url: 'http://127.0.0.1:3999' });
    const waiting = acquireDataDirLock(dataDir, { role: 'command', command: 'import', timeoutMs: 10_000, pollMs: 50 });
    setTimeout(() => void first.release(), 300);
    const second = await waiting;
    assert.equal(second.holder.command, 'import');
    await second.release();
    assert.equal(await dataDirHolder(dataDir), undefined);
  });
});
