/**
 * The CLI's error contract: every failure becomes one line on stderr and a documented exit code
 * (README "Exit codes"). Failures a person can fix are {@link OperationalError}s and print their
 * message as it is; anything else is a bug, printed as one line too — the stack trace only with
 * `--verbose` or `LOG_LEVEL=debug`.
 */
import { ConfigError } from '../config/index.ts';
import { describeFileSystemError, OperationalError } from '../domain/errors.ts';

/** Exit codes, as documented in the README. */
export const EXIT = {
  /** Everything succeeded. */
  ok: 0,
  /** The command ran, but some items failed (each named on stderr) or nothing could be done (training skipped). */
  partial: 1,
  /** The command could not run: the message names the cause and the fix. */
  failed: 2,
  /** An unexpected error (a bug): please report it with the `--verbose` output. */
  internal: 3,
} as const;

/** Exit code of a command stopped by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function interruptedExitCode(signal: 'SIGINT' | 'SIGTERM'): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/** Bad command-line arguments: the message names the flag, what it got and what it accepts. */
export class UsageError extends OperationalError {}

/** The command was stopped by a signal (Ctrl-C, `kill`) or because its client went away. */
export class InterruptedError extends OperationalError {
  override readonly exitCode: number;

  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}: what finished before it is saved (each product whole); run the command again to continue`);
    this.exitCode = interruptedExitCode(signal);
  }
}

/** How one failure is reported. */
export interface Failure {
  /** One line, no trailing newline. */
  readonly message: string;
  readonly exitCode: number;
  /** True for bugs: the stack trace is worth showing with `--verbose`. */
  readonly unexpected: boolean;
}

const FILE_SYSTEM_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']);

/** Classifies `error` by type (`instanceof`, never by name strings) into a message and an exit code. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof ConfigError) {
    return { message: `Invalid configuration: ${error.problems.join('; ')} (see .env.example)`, exitCode: EXIT.failed, unexpected: false };
  }
  if (error instanceof OperationalError) return { message: oneLine(error.message), exitCode: error.exitCode, unexpected: false };
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FILE_SYSTEM_CODES.has(code)) {
    return { message: describeFileSystemError(error as NodeJS.ErrnoException), exitCode: EXIT.failed, unexpected: false };
  }
  if (code === '53100') {
    return { message: 'The database ran out of disk space: free some space and run the command again', exitCode: EXIT.failed, unexpected: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    message: `${oneLine(message)} (unexpected error: run again with --verbose for details, and please report it)`,
    exitCode: EXIT.internal,
    unexpected: true,
  };
}

/** Folds a multi-line message (driver errors, lists) into one line. */
export function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}
