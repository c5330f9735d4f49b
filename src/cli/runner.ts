/**
 * Runs one CLI command under the error contract and the shutdown rules:
 * - every failure is one line on stderr (`Error: …`, and `{"error","exitCode"}` on stdout with
 *   `--json`); a stack trace only with `--verbose` or `LOG_LEVEL=debug`;
 * - SIGINT/SIGTERM ask the command to stop after the current item (a product is written whole
 *   or not at all), then the database is closed and the process exits 130/143; a second signal,
 *   or a command that has not stopped within {@link SHUTDOWN_GRACE_MS}, ends the process at once
 *   — still safe, since every product is one transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config } from '../config/index.ts';
import { dataDirHolder, DataDirBusyError } from '../core/data-dir.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import type { ErrorRecord } from '../core/records.ts';
import { AssistantAvailable, createLocalSession, type CommandRunner, type CommandSpec, type LocalSession } from './context.ts';
import { adminTokenFor, runInAssistant, UNREACHABLE } from './remote/client.ts';
import { describeFailure, InterruptedError, interruptedExitCode } from './errors.ts';
import { createOutput, type Output } from './output.ts';

/** How long a stopping command may take to finish its current item and close the database. */
export const SHUTDOWN_GRACE_MS = 15_000;

type StopSignal = 'SIGINT' | 'SIGTERM';

export interface RunnerOptions {
  /** True when `--verbose` was given (read when a command runs, after flags are parsed). */
  readonly verbose: () => boolean;
}

export function createRunner(options: RunnerOptions): CommandRunner {
  return {
    async run(spec, flags, parse) {
      const output = createOutput({ json: flags.json });
      const stop = watchStopSignals(output);
      const sessions: LocalSession[] = [];
      let exitCode: number;
      try {
        const request = await parse();
        const config = loadConfig();
        const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
        exitCode = await dispatch(spec, request, { config, logger, output, signal: stop.signal, json: flags.json, verbose: options.verbose(), sessions });
      } catch (error) {
        exitCode = reportFailure(stop.received ? new InterruptedError(stop.received) : error, output, options.verbose(), error);
      }
      for (const session of sessions) {
        try {
          await session.close();
        } catch (error) {
          exitCode = Math.max(exitCode, reportFailure(error, output, options.verbose(), error));
        }
      }
      stop.dispose();
      process.exitCode = stop.received ? interruptedExitCode(stop.received) : exitCode;
    },
  };
}

interface DispatchOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly output: Output;
  readonly signal: AbortSignal;
  readonly json: boolean;
  readonly verbose: boolean;
  /** Local sessions opened, for the caller to close. */
  readonly sessions: LocalSession[];
}

/**
 * Where a command runs: inside the running assistant when one owns the data directory and
 * accepts commands (so it acts on the live catalog, and nothing is written by two processes);
 * otherwise here, under the data directory's lock. An assistant that is starting or stopping is
 * waited for, at most `LOCK_TIMEOUT_SECONDS`.
 */
async function dispatch<Request>(spec: CommandSpec<Request>, request: Request, options: DispatchOptions): Promise<number> {
  const { config, output, signal } = options;
  const deadline = Date.now() + config.database.lockTimeoutSeconds * 1000;
  for (;;) {
    const holder = spec.scope === 'catalog' ? await dataDirHolder(config.dataDir) : undefined;
    if (holder?.role === 'assistant' && holder.url !== undefined) {
      const assistant = { ...holder, url: loopbackUrl(holder.url) };
      const token = await adminTokenFor(config, holder);
      const code = await runInAssistant({ holder: assistant, token, command: spec.name, request, json: options.json, verbose: options.verbose, output, signal });
      if (code !== UNREACHABLE) return code;
      // Stopping (its lock goes with it in a moment) or hung: wait, within the same limit as for a lock.
      if (Date.now() > deadline) throw new DataDirBusyError(config.dataDir, holder, config.database.lockTimeoutSeconds * 1000);
      await sleep(250, undefined, { signal }).catch(() => signal.throwIfAborted());
      continue;
    }
    const session = createLocalSession({ config, logger: options.logger, output, signal, command: spec.name });
    options.sessions.push(session);
    try {
      return await spec.execute(session.context, request);
    } catch (error) {
      if (!(error instanceof AssistantAvailable)) throw error;
    }
  }
}

/** An address a client can connect to: a server listening on every interface is reached on loopback. */
export function loopbackUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === '0.0.0.0') parsed.hostname = '127.0.0.1';
  if (parsed.hostname === '[::]') parsed.hostname = '[::1]';
  return parsed.toString().replace(/\/$/, '');
}

/** Prints one failure by the contract and returns its exit code. `original` is what a stack trace shows. */
export function reportFailure(error: unknown, output: Output, verbose: boolean, original: unknown = error): number {
  const failure = describeFailure(error);
  output.record({ error: failure.message, exitCode: failure.exitCode } satisfies ErrorRecord);
  output.warn(`Error: ${failure.message}`);
  if (verbose || isDebugLogging()) {
    if (original instanceof Error && original.stack) output.warn(original.stack);
  }
  return failure.exitCode;
}

/** `LOG_LEVEL=debug` (or trace) asks for stack traces too. Read raw: the config may be what failed. */
export function isDebugLogging(): boolean {
  return process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
}

interface StopWatch {
  readonly signal: AbortSignal;
  /** The first stop signal received, if any. */
  readonly received: StopSignal | undefined;
  dispose(): void;
}

function watchStopSignals(output: Output): StopWatch {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const onSignal = (signal: StopSignal) => {
    if (received) {
      output.warn(`${signal} again: stopping now`);
      process.exit(interruptedExitCode(signal));
    }
    received = signal;
    output.warn(`${signal}: stopping after the current item and closing the database… (${signal === 'SIGINT' ? 'Ctrl-C' : 'send it'} again to stop at once)`);
    controller.abort(new InterruptedError(signal));
    deadline = setTimeout(() => {
      output.warn(`did not stop within ${SHUTDOWN_GRACE_MS / 1000} s: stopping now`);
      process.exit(interruptedExitCode(signal));
    }, SHUTDOWN_GRACE_MS);
    deadline.unref();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (deadline) clearTimeout(deadline);
    },
  };
}

