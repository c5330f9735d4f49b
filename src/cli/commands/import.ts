import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatProblem, type ImportReport } from '../../core/catalog/import-report.ts';
import type { CliContext } from '../context.ts';
import { warnIfNotPretrained } from './shared.ts';

interface ImportOptions {
  json: boolean;
  price: string;
  currency?: string;
  stock: string;
}

export function registerImport(program: Command, run: (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>): void {
  program
    .command('import')
    .description('import products from an ImageFolder tree (<folder>/<category>/<image>) or a catalog CSV')
    .argument('<path>', 'folder or .csv file')
    .option('--price <price>', 'price for products imported from a folder', '0.00')
    .option('--currency <code>', 'currency for products imported from a folder (default: SHOP_CURRENCY)')
    .option('--stock <n>', 'stock for products imported from a folder', '1')
    .option('--json', 'print a JSON summary', false)
    .action(async (target: string, options: ImportOptions) => {
      await run(options.json, async (context) => importCatalog(context, target, options));
    });
}

async function importCatalog(context: CliContext, target: string, options: ImportOptions): Promise<number> {
  const assistant = await context.assistant();
  const model = await assistant.model();
  warnIfNotPretrained(context, model);
  const progress = context.output.progress('import');
  const onProgress = (done: number, total: number) => progress.update(done, total);
  let report: ImportReport;
  try {
    report = (await isCsv(target))
      ? await assistant.importCsv(target, onProgress)
      : await assistant.importFolder(target, { price: options.price, currency: options.currency ?? context.config.shop.currency, stock: Number(options.stock) }, onProgress);
  } finally {
    progress.stop();
  }
  for (const problem of report.problems) context.output.warn(formatProblem(problem));
  context.output.record({ imported: report.imported, updated: report.updated, skipped: report.skipped, failed: report.failed, problems: report.problems.map(formatProblem) });
  context.output.line(`imported ${report.imported}, updated ${report.updated}, skipped ${report.skipped}, failed ${report.failed}`);
  return report.failed > 0 ? 1 : 0;
}

async function isCsv(target: string): Promise<boolean> {
  if (!target.toLowerCase().endsWith('.csv')) return false;
  try {
    return (await stat(target)).isFile();
  } catch {
    return true; // let the CSV importer report the missing file by name
  }
}
