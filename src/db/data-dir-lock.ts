/**
 * One process at a time owns a data directory: the embedded database (PGlite is a single-process
 * PostgreSQL — two processes writing one directory lose each other's writes), the stored photos,
 * and the assistant's admin token.
 *
 * The guard is an operating-system lock on `DATA_DIR/shoplens.lock`, taken with
 * fs-native-extensions (prebuilt N-API binaries, nothing compiled at install): an open-file-
 * description lock (`F_OFD_SETLK`) on Linux, `flock` on macOS, `LockFileEx` on Windows. The
 * kernel drops it the moment its holder exits for any reason — `kill -9`, a crash, power loss
 * (nothing survives a reboot) — so a dead holder's lock is recovered at once, and it is never
 * taken from a live holder, however long that holder's event loop is blocked. Lock files judged
 * "stale" by age (proper-lockfile's mtime) or by a pid that may be reused would allow both
 * mistakes. See README "One owner for the data directory".
 *
 * The file also records who holds it (pid, command, and for a running assistant the loopback
 * URL where it accepts commands), so a command that finds it taken can say whom it is waiting
 * for, or hand its work to the assistant. That record is only believed while the lock is held.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeFileSystemError, OperationalError } from '../domain/errors.ts';

/** The lock file inside `DATA_DIR`. */
export const LOCK_FILE_NAME = 'shoplens.lock';

/**
 * The locked byte lies far past the holder record, so the record stays readable on Windows,
 * where byte-range locks are mandatory (POSIX and flock locks are advisory anyway).
 */
const LOCK_OFFSET = 2 ** 30;

interface NativeLocks {
  tryLock(fd: number, offset: number, length: number): boolean;
  unlock(fd: number, offset: number, length: number): void;
}

let nativeLocks: NativeLocks | undefined;

function locks(): NativeLocks {
  if (!nativeLocks) {
    try {
      nativeLocks = createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;
    } catch (error) {
      throw new OperationalError(
        `The data-directory lock is not available on ${process.platform}-${process.arch} (${(error as Error).message.split('\n')[0]}): ` +
          'use a PostgreSQL server (DATABASE_URL) instead of the embedded database',
        { cause: error },
      );
    }
  }
  return nativeLocks;
}

/** Who holds a data directory, as recorded in the lock file. */
export interface LockHolder {
  readonly pid: number;
  /** `assistant`: `npm start`; `command`: one CLI command (or a script). */
  readonly role: 'assistant' | 'command';
  /** What it runs, for messages: `import`, `npm start`, … */
  readonly command: string;
  /** ISO 8601. */
  readonly since: string;
  /** Loopback URL where a running assistant accepts commands, once it listens. */
  readonly url?: string;
}

/** A held data-directory lock. Keep it for as long as the directory is in use. */
export interface DataDirLock {
  readonly dataDir: string;
  readonly holder: LockHolder;
  /** Records where this process accepts commands, for CLI commands to find it. */
  advertise(url: string): Promise<void>;
  /** Releases the lock (idempotent). Exiting the process releases it too. */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  readonly role: LockHolder['role'];
  readonly command: string;
  /** How long to wait for another holder, in milliseconds; 0 = fail at once. */
  readonly timeoutMs: number;
  /** Interval between attempts while waiting, in milliseconds (default 250). */
  readonly pollMs?: number;
  /**
   * Called when waiting starts and whenever the holder's record changes while waiting (another
   * process took over, the assistant advertised its URL), with what the record says
   * (`undefined` while the holder is still writing it). Throw to stop waiting; the error is rethrown.
   */
  readonly onWait?: (holder: LockHolder | undefined) => void;
  /** Stops waiting: the signal's reason is thrown. */
  readonly signal?: AbortSignal;
}

/** Another process kept the data directory for longer than the caller was willing to wait. */
export class DataDirBusyError extends OperationalError {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder | undefined,
    waitedMs: number,
  ) {
    const waited = waitedMs > 0 ? `waited ${Math.round(waitedMs / 1000)} s: ` : '';
    super(
      `DATA_DIR ${dataDir} is in use by ${describeHolder(holder)} (${waited}the embedded database allows one process at a time); ` +
        (holder?.role === 'assistant'
          ? 'stop the assistant first, or run the command again once it accepts commands'
          : 'wait for it to finish, or set LOCK_TIMEOUT_SECONDS to wait longer'),
    );
  }
}

/** The data directory or its lock file cannot be created or opened (permissions, read-only or full disk). */
export class DataDirAccessError extends OperationalError {
  constructor(
    readonly dataDir: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`Cannot use DATA_DIR ${dataDir}: ${describeFileSystemError(cause)}`, { cause });
  }
}

/** "another shoplens command (pid 42, import)" / "the running assistant (pid 42)". */
export function describeHolder(holder: LockHolder | undefined): string {
  if (!holder || holder.pid === 0) return 'another shoplens process';
  return holder.role === 'assistant' ? `the running assistant (pid ${holder.pid})` : `another shoplens command (pid ${holder.pid}, ${holder.command})`;
}

function lockPath(dataDir: string): string {
  return path.join(dataDir, LOCK_FILE_NAME);
}

async function openLockFile(dataDir: string): Promise<FileHandle> {
  try {
    await mkdir(dataDir, { recursive: true });
    // Never deleted: unlinking a lock file lets two processes lock two different inodes.
    return await open(lockPath(dataDir), constants.O_RDWR | constants.O_CREAT, 0o644);
  } catch (error) {
    throw new DataDirAccessError(dataDir, error as NodeJS.ErrnoException);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid !== 'number' || (value.role !== 'assistant' && value.role !== 'command')) return undefined;
    return {
      pid: value.pid,
      role: value.role,
      command: String(value.command ?? ''),
      since: String(value.since ?? ''),
      ...(typeof value.url === 'string' ? { url: value.url } : {}),
    };
  } catch {
    return undefined;
  }
}

async function readRecord(dataDir: string): Promise<LockHolder | undefined> {
  const text = await readFile(lockPath(dataDir), 'utf8').catch(() => '');
  return parseHolder(text.replace(/\0+$/, '').trim());
}

async function writeRecord(handle: FileHandle, holder: LockHolder): Promise<void> {
  const text = `${JSON.stringify(holder)}\n`;
  await handle.truncate(0);
  await handle.write(text, 0, 'utf8');
}

/**
 * Takes the data directory's lock, waiting up to `timeoutMs` for another holder to let go.
 * @throws {DataDirBusyError} when it is still held after `timeoutMs`.
 * @throws {DataDirAccessError} when the directory or lock file cannot be created.
 */
export async function acquireDataDirLock(dataDir: string, options: AcquireLockOptions): Promise<DataDirLock> {
  const handle = await openLockFile(dataDir);
  const native = locks();
  const started = Date.now();
  let seen: string | undefined;
  try {
    while (!native.tryLock(handle.fd, LOCK_OFFSET, 1)) {
      const waited = Date.now() - started;
      const holder = await readRecord(dataDir);
      if (waited >= options.timeoutMs) throw new DataDirBusyError(dataDir, holder, waited);
      const record = JSON.stringify(holder ?? null);
      if (record !== seen) options.onWait?.(holder);
      seen = record;
      options.signal?.throwIfAborted();
      await sleep(Math.min(options.pollMs ?? 250, Math.max(1, options.timeoutMs - waited)), undefined, { signal: options.signal }).catch(() => undefined);
      options.signal?.throwIfAborted();
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  let holder: LockHolder = { pid: process.pid, role: options.role, command: options.command, since: new Date().toISOString() };
  let released = false;
  try {
    await writeRecord(handle, holder);
  } catch (error) {
    await handle.close();
    throw new DataDirAccessError(dataDir, error as NodeJS.ErrnoException);
  }
  return {
    dataDir,
    get holder() {
      return holder;
    },
    async advertise(url) {
      holder = { ...holder, url };
      await writeRecord(handle, holder);
    },
    async release() {
      if (released) return;
      released = true;
      // Emptied first, so a stale record is never shown once nobody holds the lock.
      await handle.truncate(0).catch(() => undefined);
      native.unlock(handle.fd, LOCK_OFFSET, 1);
      await handle.close();
    },
  };
}

/**
 * Who holds the data directory right now, or `undefined` when nobody does (a record left by a
 * dead process is ignored: its lock went with it). Inside the holding process this returns its
 * own record, since the lock is per open file, not per process.
 */
export async function dataDirHolder(dataDir: string): Promise<LockHolder | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(lockPath(dataDir), constants.O_RDWR);
  } catch {
    return undefined;
  }
  try {
    const native = locks();
    if (native.tryLock(handle.fd, LOCK_OFFSET, 1)) {
      native.unlock(handle.fd, LOCK_OFFSET, 1);
      return undefined;
    }
    // Held, but the holder has not written its record yet (it does so right after locking).
    return (await readRecord(dataDir)) ?? { pid: 0, role: 'command', command: 'starting', since: '' };
  } finally {
    await handle.close();
  }
}
