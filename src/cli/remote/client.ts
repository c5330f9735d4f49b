/**
 * The CLI's side of "act through the running assistant": sends the command to the assistant
 * advertised in the data directory's lock file and replays its output events locally, so the
 * owner sees the same lines, records and progress bars as from a local run.
 */
import { adminTokenPath, readStoredToken } from '../../config/admin-token.ts';
import type { Config } from '../../config/index.ts';
import type { LockHolder } from '../../core/data-dir.ts';
import { OperationalError } from '../../domain/errors.ts';
import type { Output } from '../output.ts';
import { createReplayer, outputEventSchema } from './events.ts';
import { COMMANDS_PATH } from './route.ts';

/** The assistant could not be reached (it is stopping, or crashed): the caller may open the database itself. */
export const UNREACHABLE = Symbol('unreachable');

/** The admin token: `ADMIN_TOKEN`, or the one the assistant generated into `DATA_DIR/admin-token`. */
export async function adminTokenFor(config: Config, holder: LockHolder): Promise<string> {
  if (config.web.adminToken) return config.web.adminToken;
  const file = adminTokenPath(config.dataDir);
  let token: string | undefined;
  try {
    token = await readStoredToken(file);
  } catch (error) {
    throw new OperationalError(
      `The running assistant (pid ${holder.pid}) runs this command, but ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): ` +
        'run the command as the user who started the assistant, or set ADMIN_TOKEN',
      { cause: error },
    );
  }
  if (!token) throw new OperationalError(`The running assistant (pid ${holder.pid}) has no admin token in ${file}: set ADMIN_TOKEN for both, or restart the assistant`);
  return token;
}

/**
 * Runs `command` in the assistant at `holder.url` and returns its exit code, or
 * {@link UNREACHABLE} when nothing answers there.
 */
export async function runInAssistant(options: {
  holder: LockHolder & { url: string };
  token: string;
  command: string;
  request: unknown;
  json: boolean;
  verbose: boolean;
  output: Output;
  signal: AbortSignal;
}): Promise<number | typeof UNREACHABLE> {
  const { holder, output } = options;
  let response: Response;
  try {
    response = await fetch(new URL(COMMANDS_PATH, holder.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command: options.command, request: options.request, json: options.json, verbose: options.verbose }),
      signal: options.signal,
    });
  } catch {
    if (options.signal.aborted) throw options.signal.reason;
    return UNREACHABLE;
  }
  if (response.status === 401) {
    throw new OperationalError(`The running assistant (pid ${holder.pid}) refused the admin token: use the ADMIN_TOKEN it runs with (or DATA_DIR/admin-token)`);
  }
  if (!response.ok || !response.body) {
    const text = (await response.text().catch(() => '')).slice(0, 300);
    throw new OperationalError(`The running assistant (pid ${holder.pid}) at ${holder.url} answered ${response.status} ${text}: is it the same shoplens version?`);
  }
  const replay = createReplayer(output);
  try {
    let pending = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line) replay.play(outputEventSchema.parse(JSON.parse(line)));
      }
    }
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (replay.exitCode === undefined) throw assistantGone(holder, options.command, error);
  } finally {
    replay.stopAll();
  }
  if (replay.exitCode === undefined) throw assistantGone(holder, options.command);
  return replay.exitCode;
}

function assistantGone(holder: LockHolder, command: string, cause?: unknown): OperationalError {
  return new OperationalError(
    `The assistant (pid ${holder.pid}) stopped while running ${command}: what it finished is saved (each product whole); run the command again`,
    { cause },
  );
}
