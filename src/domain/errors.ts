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

/** Which pair does not fit: a backbone file and its manifest, or the stored embeddings and the loaded backbone. */
export type ModelMismatchKind = 'model-file' | 'catalog';

/**
 * A model does not fit what it is used with. `model-file`: the ONNX file is not the file (or
 * shape) its manifest describes — get the model again. `catalog`: stored embeddings were made by
 * another backbone than the loaded one — `npx shoplens reindex` re-embeds them. Either way
 * comparing vectors would give confident nonsense, so the work stops with this one-line error.
 */
export class ModelMismatchError extends OperationalError {
  /**
   * @param subject the model file path, or `The catalog`.
   * @param detail what disagrees and how to fix it; the message is `<subject>: <detail>`.
   */
  constructor(
    readonly subject: string,
    detail: string,
    readonly kind: ModelMismatchKind = 'model-file',
  ) {
    super(`${subject}: ${detail}`);
  }
}

/** The fix for each file-system error code a person can do something about. */
const FILE_SYSTEM_FIXES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied{where}: make it writable for this user, or set DATA_DIR to a folder you own',
  EPERM: 'permission denied{where}: make it writable for this user, or set DATA_DIR to a folder you own',
  EROFS: 'read-only file system{where}: set DATA_DIR to a writable folder',
  ENOSPC: 'the disk is full{where}: free some space and run the command again (nothing half-written was kept)',
  EDQUOT: 'the disk quota is used up{where}: free some space and run the command again (nothing half-written was kept)',
  ENOTDIR: 'a file is in the way{where}: DATA_DIR must be a folder',
  EEXIST: 'a file is in the way{where}: DATA_DIR must be a folder',
};

/** A file-system failure as the cause and the fix, in one line. */
export function describeFileSystemError(error: NodeJS.ErrnoException): string {
  const where = error.path ? ` (${error.path})` : '';
  const fix = error.code === undefined ? undefined : FILE_SYSTEM_FIXES[error.code];
  return fix ? fix.replace('{where}', where) : `${error.code ?? 'error'}${where}: ${error.message}`;
}
