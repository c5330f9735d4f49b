/**
 * How the CLI talks: results on stdout (human text, or JSON with `--json`), progress and
 * warnings on stderr, a progress bar only on a terminal.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Output {
  readonly json: boolean;
  /** A result line for humans (suppressed with `--json`). */
  line(text: string): void;
  /** A machine-readable result: one JSON object per line. */
  record(value: unknown): void;
  /** A warning or problem, always on stderr. */
  warn(text: string): void;
  progress(label: string): Progress;
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function createOutput(options: { json: boolean; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WriteStream | NodeJS.WritableStream }): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const isTty = 'isTTY' in stderr && stderr.isTTY === true;
  return {
    json: options.json,
    line(text) {
      if (!options.json) stdout.write(`${text}\n`);
    },
    record(value) {
      if (options.json) stdout.write(`${JSON.stringify(value)}\n`);
    },
    warn(text) {
      stderr.write(`${text}\n`);
    },
    progress(label) {
      return isTty ? barProgress(label, stderr) : lineProgress(label, stderr);
    },
  };
}

function barProgress(label: string, stream: NodeJS.WritableStream): Progress {
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}`, stream, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, done);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Without a terminal, one line per 10% (and the last item), so logs stay readable. */
function lineProgress(label: string, stream: NodeJS.WritableStream): Progress {
  let lastDecile = -1;
  return {
    update(done, total) {
      const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (decile !== lastDecile || done === total) {
        if (decile === lastDecile && done !== total) return;
        lastDecile = decile;
        stream.write(`${label}: ${done}/${total} (${total === 0 ? 100 : Math.round((done / total) * 100)}%)\n`);
      }
    },
    stop() {},
  };
}
