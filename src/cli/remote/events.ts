/**
 * A command's output as a stream of events, so the same command code can run inside the running
 * assistant while the owner's terminal shows exactly what a local run shows: the assistant turns
 * each {@link Output} call into one event (sent as one NDJSON line), the CLI replays the events
 * into its own {@link Output} — same lines, same `--json` records, same progress bars.
 */
import { z } from 'zod';
import type { Output, Progress } from '../output.ts';

export const outputEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('line'), text: z.string() }),
  z.object({ type: z.literal('record'), value: z.unknown() }),
  z.object({ type: z.literal('warn'), text: z.string() }),
  z.object({ type: z.literal('progress'), id: z.number().int(), label: z.string(), done: z.number(), total: z.number() }),
  z.object({ type: z.literal('progress-stop'), id: z.number().int() }),
  /** The last event of every run: the command's exit code (README "Exit codes"). */
  z.object({ type: z.literal('exit'), code: z.number().int() }),
]);

export type OutputEvent = z.infer<typeof outputEventSchema>;

/** An {@link Output} that emits events instead of writing; `json` is the caller's `--json`. */
export function createEventOutput(json: boolean, emit: (event: OutputEvent) => void): Output {
  let nextProgress = 0;
  return {
    json,
    line: (text) => emit({ type: 'line', text }),
    record: (value) => emit({ type: 'record', value }),
    warn: (text) => emit({ type: 'warn', text }),
    progress(label): Progress {
      const id = nextProgress++;
      let stopped = false;
      return {
        update: (done, total) => emit({ type: 'progress', id, label, done, total }),
        stop() {
          if (stopped) return;
          stopped = true;
          emit({ type: 'progress-stop', id });
        },
      };
    },
  };
}

/** Plays events back into a local {@link Output}; returns the exit code once the `exit` event arrives. */
export function createReplayer(output: Output): { play(event: OutputEvent): void; readonly exitCode: number | undefined; stopAll(): void } {
  const bars = new Map<number, Progress>();
  let exitCode: number | undefined;
  return {
    play(event) {
      switch (event.type) {
        case 'line':
          output.line(event.text);
          break;
        case 'record':
          output.record(event.value);
          break;
        case 'warn':
          output.warn(event.text);
          break;
        case 'progress': {
          let bar = bars.get(event.id);
          if (!bar) bars.set(event.id, (bar = output.progress(event.label)));
          bar.update(event.done, event.total);
          break;
        }
        case 'progress-stop':
          bars.get(event.id)?.stop();
          break;
        case 'exit':
          exitCode = event.code;
          break;
      }
    },
    get exitCode() {
      return exitCode;
    },
    stopAll() {
      for (const bar of bars.values()) bar.stop();
    },
  };
}
