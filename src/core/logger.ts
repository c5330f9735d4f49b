import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * The app's structured logger. Pretty, coloured lines on a terminal; JSON lines otherwise (for
 * log collectors). Logs go to stderr so `--json` output on stdout stays machine-readable.
 */
export function createLogger(options: { level: string; name?: string }): Logger {
  const pretty = process.stderr.isTTY && process.env.NODE_ENV !== 'production';
  return pino(
    {
      name: options.name ?? 'shoplens',
      level: options.level,
      redact: { paths: ['token', '*.token', 'config.telegram.token', 'url', '*.password'], censor: '[redacted]' },
    },
    pretty
      ? pino.transport({ target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } })
      : pino.destination(2),
  );
}
