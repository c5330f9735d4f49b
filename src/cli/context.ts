/**
 * What every command gets, wherever it runs: validated config, a logger, the output channel, a
 * stop signal, and the assistant core. In a CLI process the core is opened on first use, under
 * the data directory's lock for the embedded database, and closed when the command ends.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { Assistant } from '../core/assistant.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../core/logger.ts';
import { acquireDataDirLock, describeHolder, type DataDirLock, type LockHolder } from '../core/data-dir.ts';
import { loadEmbeddingModel } from '../ml/load-model.ts';
import type { Output } from './output.ts';

export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly output: Output;
  /** Aborted when the command must stop (Ctrl-C, SIGTERM, shutdown): finish the current item, then return. */
  readonly signal: AbortSignal;
  /** The assistant core, opened once; its model loads lazily. */
  assistant(): Promise<Assistant>;
}

/**
 * A command's work, apart from parsing its flags, so the same function can run in the CLI
 * process or inside the running assistant. Returns the exit code (README "Exit codes").
 */
export interface CommandSpec<Request> {
  /** As typed after `shoplens`: `import`, `model list`. */
  readonly name: string;
  /**
   * `catalog`: works on the shop's data through the assistant core, so it runs inside the running
   * assistant when there is one; `local`: never opens the catalog (model fetch/generate).
   */
  readonly scope: 'catalog' | 'local';
  /** Checks a request that arrived over HTTP; flags are already turned into this shape by the CLI. */
  readonly requestSchema: z.ZodType<Request>;
  execute(context: CommandContext, request: Request): Promise<number>;
}

/** Runs commands under the error contract: one line per failure, documented exit codes. */
export interface CommandRunner {
  /**
   * @param parse turns the flags into the request; its {@link UsageError}s are reported like
   *   any other failure.
   */
  run<Request>(spec: CommandSpec<Request>, options: { json: boolean }, parse: () => Request | Promise<Request>): Promise<void>;
}

/** Takes no request: flags are read where the action is built. */
const NO_REQUEST = z.object({}).strict() as unknown as z.ZodType<Record<string, never>>;

/**
 * A command that never touches the catalog and always runs in the CLI process (model fetch,
 * import, activate, generate; restore), written as one action.
 */
export function localCommand(name: string, action: (context: CommandContext) => Promise<number>): CommandSpec<Record<string, never>> {
  return { name, scope: 'local', requestSchema: NO_REQUEST, execute: (context) => action(context) };
}

/** What a command file exports to add itself to the program. */
export type RegisterCommand = (program: Command, runner: CommandRunner) => void;

/** A command context backed by this process, and how to release what it opened. */
export interface LocalSession {
  readonly context: CommandContext;
  close(): Promise<void>;
}

/**
 * Thrown while waiting for the data directory when its holder turns out to be a running assistant
 * that accepts commands: the runner then sends the command there instead. Control flow, not a failure.
 */
export class AssistantAvailable extends Error {
  constructor(readonly holder: LockHolder & { url: string }) {
    super(`the assistant (pid ${holder.pid}) accepts commands at ${holder.url}`);
  }
}

/**
 * Opens the assistant core in this process when a command first asks for it. With the embedded
 * database it first takes the data directory's lock, waiting (with one visible line) while
 * another shoplens command holds it, at most `LOCK_TIMEOUT_SECONDS`; if the holder is (or
 * becomes) a running assistant that accepts commands, it throws {@link AssistantAvailable}.
 */
export function createLocalSession(options: {
  config: Config;
  logger: Logger;
  output: Output;
  signal: AbortSignal;
  command: string;
}): LocalSession {
  const { config, logger, output, signal } = options;
  let lock: DataDirLock | undefined;
  let assistant: Promise<Assistant> | undefined;
  const open = async (): Promise<Assistant> => {
    if (config.database.url === undefined) {
      lock = await acquireDataDirLock(config.dataDir, {
        role: 'command',
        command: options.command,
        timeoutMs: config.database.lockTimeoutSeconds * 1000,
        signal,
        onWait: (holder) => {
          if (holder?.role === 'assistant' && holder.url !== undefined) throw new AssistantAvailable({ ...holder, url: holder.url });
          const until = holder?.role === 'assistant' ? 'accept commands' : 'finish';
          output.warn(`waiting for ${describeHolder(holder)} to ${until}… (up to ${config.database.lockTimeoutSeconds} s, LOCK_TIMEOUT_SECONDS)`);
        },
      });
    }
    return Assistant.create({ config, logger, loadModel: () => loadEmbeddingModel(config, logger), ...(lock ? { lock } : {}) });
  };
  return {
    context: {
      config,
      logger,
      output,
      signal,
      assistant() {
        assistant ??= open();
        return assistant;
      },
    },
    async close() {
      try {
        const opened = await assistant?.catch(() => undefined);
        await opened?.close();
      } finally {
        await lock?.release();
      }
    },
  };
}
