/**
 * The base of every failure a person can fix themselves: bad configuration or arguments, a
 * missing model or database extension, an unreachable database, a held lock. Its message names
 * the cause and the fix in one line, so channels and commands show just that line (no stack
 * trace) — the CLI exits with {@link OperationalError.exitCode}.
 *
 * Lives in `src/domain` because every layer (db, ml, core, channels) raises such failures.
 */
export class OperationalError extends Error {
  /** Process exit code for the CLI: 2 = the command could not run (see the README's exit-code table). */
  readonly exitCode: number = 2;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
