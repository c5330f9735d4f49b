/**
 * `npx shoplens …`: the owner's command line. Each command validates its flags, runs through the
 * assistant core, prints results (or JSON lines with `--json`) and exits with a code from the
 * README's table: 0 success, 1 some items failed, 2 the command could not run (one line naming
 * the cause and the fix), 3 an unexpected error, 130/143 stopped by SIGINT/SIGTERM.
 */
import { Command, CommanderError } from 'commander';
import { registerBackup } from './commands/backup.ts';
import { registerClassify } from './commands/classify.ts';
import { registerImport } from './commands/import.ts';
import { registerModelHeads } from './commands/model-heads.ts';
import { registerModel } from './commands/model.ts';
import { registerReindex } from './commands/reindex.ts';
import { registerSearch } from './commands/search.ts';
import { registerStats } from './commands/stats.ts';
import { registerTrain } from './commands/train.ts';
import { EXIT } from './errors.ts';
import { createOutput } from './output.ts';
import { createRunner, reportFailure } from './runner.ts';

/** Builds the command tree; exported so features can add commands and tests can inspect it. */
export function buildProgram(): Command {
  const program = new Command('shoplens')
    .description('ShopLens: find your products by photo')
    .option('--verbose', 'show the stack trace of an error (also LOG_LEVEL=debug)', false)
    .exitOverride()
    .configureOutput({
      // Commander's own errors (unknown option, missing argument) follow the one-line contract too.
      outputError: (text, write) => write(`Error: ${text.trim().replace(/^error: /, '')} (see --help)\n`),
    });
  const runner = createRunner({ verbose: () => program.opts<{ verbose: boolean }>().verbose });
  registerImport(program, runner);
  registerSearch(program, runner);
  registerStats(program, runner);
  registerReindex(program, runner);
  registerModelHeads(registerModel(program, runner), runner);
  registerTrain(program, runner);
  registerClassify(program, runner);
  registerBackup(program, runner);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.failed;
  } else {
    process.exitCode = reportFailure(error, createOutput({ json: process.argv.includes('--json') }), process.argv.includes('--verbose'));
  }
}
