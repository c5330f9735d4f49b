/**
 * `npx shoplens import <folder|file.csv> [--price P] [--currency C] [--stock N] [--json]`: adds
 * or updates products. Each product is written whole in its own transaction as soon as its images
 * are embedded, so Ctrl-C (or a crash) keeps every finished product and a re-run continues.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { formatProblem, type ImportReport } from '../../core/catalog/import-report.ts';
import { productInputSchema } from '../../core/catalog/product-input.ts';
import { importRecord } from '../../core/records.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { EXIT, UsageError } from '../errors.ts';
import { warnIfNotPretrained } from './shared.ts';

/** Defaults for products from a folder, checked by the same rules as every product field. */
const folderDefaults = productInputSchema.pick({ price: true, currency: true, stock: true }).partial({ currency: true });

/**
 * `path`: absolute path of the folder or CSV file (the command may run in the assistant's
 * process); `price`/`currency`/`stock`: defaults for products from a folder (no currency = SHOP_CURRENCY).
 */
const importRequest = z.object({ path: z.string().refine((file) => path.isAbsolute(file), 'must be an absolute path') }).extend(folderDefaults.shape);

export type ImportRequest = z.infer<typeof importRequest>;

export const importCommand: CommandSpec<ImportRequest> = {
  name: 'import',
  scope: 'catalog',
  requestSchema: importRequest,
  execute: importCatalog,
};

interface ImportFlags {
  json: boolean;
  price: string;
  currency?: string;
  stock: string;
}

export function registerImport(program: Command, runner: CommandRunner): void {
  program
    .command('import')
    .description('import products from an ImageFolder tree (<folder>/<category>/<image>) or a catalog CSV')
    .argument('<path>', 'folder or .csv file')
    .option('--price <price>', 'price for products imported from a folder', '0.00')
    .option('--currency <code>', 'currency for products imported from a folder (default: SHOP_CURRENCY)')
    .option('--stock <n>', 'stock for products imported from a folder', '1')
    .option('--json', 'print a JSON summary', false)
    .action(async (target: string, flags: ImportFlags) => {
      await runner.run(importCommand, flags, () => parseImport(target, flags));
    });
}

/** Checks the folder defaults with the same rules as every product field, so a bad flag fails once, not per file. */
function parseImport(target: string, flags: ImportFlags): ImportRequest {
  const defaults = folderDefaults.safeParse({
    price: flags.price,
    stock: flags.stock,
    ...(flags.currency === undefined ? {} : { currency: flags.currency }),
  });
  if (!defaults.success) {
    const problems = defaults.error.issues.map((issue) => `--${String(issue.path[0])}: ${issue.message}`);
    throw new UsageError(problems.join('; '));
  }
  return {
    path: path.resolve(target),
    price: defaults.data.price,
    stock: defaults.data.stock,
    ...(defaults.data.currency === undefined ? {} : { currency: defaults.data.currency }),
  };
}

async function importCatalog(context: CommandContext, request: ImportRequest): Promise<number> {
  const assistant = await context.assistant();
  warnIfNotPretrained(context.output, await assistant.model());
  const progress = context.output.progress('import');
  const options = { onProgress: (done: number, total: number) => progress.update(done, total), signal: context.signal };
  let report: ImportReport;
  try {
    report = (await isCsv(request.path))
      ? await assistant.importCsv(request.path, options)
      : await assistant.importFolder(
          request.path,
          { price: request.price, currency: request.currency ?? context.config.shop.currency, stock: request.stock },
          options,
        );
  } finally {
    progress.stop();
  }
  for (const problem of report.problems) context.output.warn(formatProblem(problem));
  context.output.record(importRecord(report, report.interrupted));
  context.output.line(
    `imported ${report.imported}, updated ${report.updated}, skipped ${report.skipped}, failed ${report.failed}` +
      (report.interrupted ? ' — interrupted: run the same import again to add the rest' : ''),
  );
  return report.failed > 0 ? EXIT.partial : EXIT.ok;
}

async function isCsv(target: string): Promise<boolean> {
  if (!target.toLowerCase().endsWith('.csv')) return false;
  try {
    return (await stat(target)).isFile();
  } catch {
    return true; // let the CSV importer report the missing file by name
  }
}
