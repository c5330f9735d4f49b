/** Child processes for end-to-end tests: start, wait for a line, collect output, stop. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'shoplens.js');

export interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` appears on stdout or stderr; rejects if the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or 128 + signal number when killed by a signal). */
  exited(): Promise<number>;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts `node <args>` in `cwd` with exactly `env` (plus PATH). */
export function start(args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Started {
  const child = spawn(process.execPath, [...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let wake: (() => void) | undefined;
  const changed = () => {
    wake?.();
    wake = undefined;
  };
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    changed();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    changed();
  });
  const exit = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ''] ?? 0));
      changed();
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    async waitFor(pattern, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(out) ?? pattern.exec(err);
        if (match) return match;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${out}\n${err}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}\n${err}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 500);
        });
      }
    },
  };
}

/** Runs the CLI to completion. */
export async function runCli(args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
  const started = start([CLI, ...args], options);
  const code = await started.exited();
  return { code, stdout: started.stdout(), stderr: started.stderr() };
}

/** Stops a child if it is still running (test clean-up). */
export async function stop(started: Started | undefined): Promise<void> {
  if (!started || started.child.exitCode !== null || started.child.signalCode !== null) return;
  started.child.kill('SIGKILL');
  await started.exited();
}
