import { OperationalError } from '../../domain/errors.ts';

/**
 * A file `model import` (or `model fetch --from`) cannot turn into a backbone, or an import that
 * would overwrite something it must not. The message names the file, what is wrong and the fix.
 */
export class ModelImportError extends OperationalError {}
