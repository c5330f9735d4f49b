/**
 * The running assistant's side of "the CLI acts through the assistant": runs a CLI command's
 * very function against the live assistant core (so an import's products reach the next customer
 * on every channel, and nothing is written by a second process), streaming its output as events.
 * On shutdown it asks running commands to stop after their current item and waits for them, so
 * the database closes with every product whole.
 */
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import type { Assistant } from '../../core/assistant.ts';
import type { Logger } from '../../core/logger.ts';
import type { ErrorRecord } from '../../core/records.ts';
import { CATALOG_COMMANDS } from '../commands/index.ts';
import type { CommandContext, CommandSpec } from '../context.ts';
import { describeFailure, EXIT, InterruptedError } from '../errors.ts';
import { createEventOutput, type OutputEvent } from './events.ts';

/** What the CLI sends: the command (`import`, `model list`), its checked request, and how to print. */
export const commandCallSchema = z.object({
  command: z.string(),
  request: z.unknown(),
  json: z.boolean().default(false),
  verbose: z.boolean().default(false),
});

export type CommandCall = z.infer<typeof commandCallSchema>;

export interface CommandServiceDependencies {
  readonly assistant: Assistant;
  readonly config: Config;
  readonly logger: Logger;
  /** The commands accepted; default: every catalog command. */
  readonly commands?: ReadonlyMap<string, CommandSpec<never>>;
}

interface RunningCommand {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export class CommandService {
  private readonly running = new Set<RunningCommand>();
  private stopping = false;

  constructor(private readonly deps: CommandServiceDependencies) {}

  /** Commands running right now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Runs one call. Every outcome — success, a bad call, a failure — is reported through `emit`,
   * ending with an `exit` event; this never throws. `signal` aborts when the client goes away.
   */
  async run(body: unknown, emit: (event: OutputEvent) => void, signal: AbortSignal): Promise<void> {
    const controller = new AbortController();
    const onClientGone = () => controller.abort(new InterruptedError('SIGINT'));
    signal.addEventListener('abort', onClientGone, { once: true });
    let finish!: () => void;
    const entry: RunningCommand = { controller, done: new Promise<void>((resolve) => (finish = resolve)) };
    this.running.add(entry);
    try {
      emit({ type: 'exit', code: await this.execute(body, emit, controller.signal) });
    } finally {
      signal.removeEventListener('abort', onClientGone);
      this.running.delete(entry);
      finish();
    }
  }

  /** Asks every running command to stop after its current item and waits for them, at most `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const running = [...this.running];
    for (const entry of running) entry.controller.abort(new InterruptedError('SIGTERM'));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running.map((entry) => entry.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  private async execute(body: unknown, emit: (event: OutputEvent) => void, signal: AbortSignal): Promise<number> {
    const call = commandCallSchema.safeParse(body);
    const output = createEventOutput(call.success && call.data.json, emit);
    const fail = (message: string): number => {
      output.record({ error: message, exitCode: EXIT.failed } satisfies ErrorRecord);
      output.warn(`Error: ${message}`);
      return EXIT.failed;
    };
    if (!call.success) return fail('the assistant could not read the command (expected {"command", "request", "json"}): update shoplens on both sides');
    if (this.stopping) return fail('the assistant is shutting down: run the command again in a moment');
    const spec = (this.deps.commands ?? CATALOG_COMMANDS).get(call.data.command);
    if (!spec) return fail(`the assistant does not run "${call.data.command}" for the CLI`);
    const request = spec.requestSchema.safeParse(call.data.request);
    if (!request.success) {
      return fail(`bad request for ${spec.name}: ${request.error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`).join('; ')}`);
    }
    const context: CommandContext = {
      config: this.deps.config,
      logger: this.deps.logger,
      output,
      signal,
      assistant: () => Promise.resolve(this.deps.assistant),
    };
    this.deps.logger.info({ command: spec.name }, 'running a CLI command for the owner');
    try {
      const code = await spec.execute(context, request.data);
      // Stopped by the client (Ctrl-C) or by shutdown: the same codes as a local run (130/143).
      return signal.aborted && signal.reason instanceof InterruptedError ? signal.reason.exitCode : code;
    } catch (error) {
      const failure = describeFailure(error);
      output.record({ error: failure.message, exitCode: failure.exitCode } satisfies ErrorRecord);
      output.warn(`Error: ${failure.message}`);
      if (failure.unexpected) {
        this.deps.logger.error({ err: error, command: spec.name }, 'CLI command failed');
        if (call.data.verbose && error instanceof Error && error.stack) output.warn(error.stack);
      }
      return failure.exitCode;
    }
  }
}
