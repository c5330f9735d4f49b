/**
 * `npx shoplens …`: the owner's command line. Each command validates its input, runs through the
 * assistant core, prints results (or JSON lines with `--json`) and exits 0 on full success,
 * 1 when some items failed, 2 when the command could not run at all.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.ts';
import { ImportError } from '../core/catalog/import-report.ts';
import { OperationalError } from '../domain/errors.ts';
import { registerBackup } from './commands/backup.ts';
import { registerClassify } from './commands/classify.ts';
import { registerImport } from './commands/import.ts';
import { registerModelHeads } from './commands/model-heads.ts';
import { registerTrain } from './commands/train.ts';
import { registerModel } from './commands/model.ts';
import { registerReindex } from './commands/reindex.ts';
import { registerSearch } from './commands/search.ts';
import { registerStats } from './commands/stats.ts';
import { createCliContext, type CliContext } from './context.ts';

/** Errors whose message is the whole story: print it, no stack trace. */
const EXPECTED_ERRORS = new Map<string, number>([
  ['ConfigError', 2],
  ['UsageError', 2],
  ['ModelMissingError', 2],
  ['ManifestError', 2],
  ['ModelDownloadError', 2],
  ['ImportError', 1],
  ['ModelMismatchError', 1],
  ['DatabaseUnavailableError', 1],
  ['ImageRejectedError', 1],
  ['InvalidProductError', 1],
  ['UnknownProductError', 1],
  ['InvalidHyperparametersError', 1],
  ['TrainingDataError', 1],
  ['HeadNotUsableError', 1],
  ['TrainingAbortedError', 1],
]);

async function runCommand(json: boolean, action: (context: CliContext) => Promise<number>): Promise<void> {
  let context: CliContext | undefined;
  try {
    context = createCliContext({ json });
    process.exitCode = await action(context);
  } catch (error) {
    process.exitCode = reportFailure(error, json);
  } finally {
    await context?.close().catch(() => undefined);
  }
}

function reportFailure(error: unknown, json: boolean): number {
  const name = error instanceof Error ? error.name : '';
  const code = error instanceof OperationalError
    ? error.exitCode
    : EXPECTED_ERRORS.get(name) ?? (error instanceof ConfigError || error instanceof ImportError ? 2 : undefined);
  const message = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
  process.stderr.write(`Error: ${message}\n`);
  if (code === undefined && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return code ?? 1;
}

/** Builds the command tree; exported so features can add commands and tests can inspect it. */
export function buildProgram(): Command {
  const program = new Command('shoplens')
    .description('ShopLens: find your products by photo')
    .showHelpAfterError()
    .exitOverride();
  registerImport(program, runCommand);
  registerSearch(program, runCommand);
  registerStats(program, runCommand);
  registerReindex(program, runCommand);
  registerModelHeads(registerModel(program, runCommand), runCommand);
  registerTrain(program, runCommand);
  registerClassify(program, runCommand);
  registerBackup(program, runCommand);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportFailure(error, process.argv.includes('--json'));
  }
}
