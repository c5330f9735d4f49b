/**
 * Import from a CSV with columns `sku,name,price,currency,category,stock,images,url,description`.
 * `images` holds one or more paths (relative to the CSV, or absolute) separated by `|`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ImportError, type ImportReport } from './import-report.ts';
import type { PlannedProduct } from './import-plan.ts';
import { validateProductInput } from './product-input.ts';

export const REQUIRED_COLUMNS = ['sku', 'name', 'price', 'currency', 'category', 'stock', 'images'] as const;
export const OPTIONAL_COLUMNS = ['url', 'description'] as const;

type CsvRecord = Record<string, string | undefined>;

interface ParsedRow {
  readonly record: CsvRecord;
  /** 1-based line in the file where the row starts (the header is line 1). */
  readonly line: number;
  readonly fieldCount: number;
}

/** Lists the products a catalog CSV describes; bad rows are counted as failed in `report`. */
export async function planCsvImport(csvPath: string, report: ImportReport): Promise<PlannedProduct[]> {
  const rows = await readRows(csvPath);
  const baseDir = path.dirname(path.resolve(csvPath));
  const fileLabel = path.basename(csvPath);
  const plans: PlannedProduct[] = [];
  const seenSkus = new Map<string, number>();
  for (const row of rows) {
    const sku = row.record.sku?.trim() ?? '';
    const where = `${fileLabel} line ${row.line}${sku ? ` (sku ${sku})` : ''}`;
    const problems = rowProblems(row, seenSkus);
    const validation = validateProductInput(row.record);
    if (!validation.ok) problems.push(...validation.problems);
    const images = imagePaths(row.record.images, baseDir);
    if (images.length === 0 && row.record.images !== undefined) problems.push('images is empty (give one or more paths separated by |)');
    if (problems.length > 0 || !validation.ok) {
      report.failed += 1;
      report.problems.push({ where, reason: [...new Set(problems)].join('; ') });
      continue;
    }
    seenSkus.set(validation.value.sku, row.line);
    plans.push({ where, input: validation.value, images: images.map((image) => ({ label: `${where} ${image.label}`, path: image.path })) });
  }
  return plans;
}

async function readRows(csvPath: string): Promise<ParsedRow[]> {
  let text: string;
  try {
    text = await readFile(csvPath, 'utf8');
  } catch (error) {
    throw new ImportError(`${csvPath}: cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let parsed: Array<{ record: CsvRecord; info: { lines: number; columns: unknown } ; raw?: string }>;
  let header: string[] = [];
  try {
    // csv-parse's types do not model `info: true` records, hence the assertion below.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    parsed = (await import('csv-parse/sync')).parse(text, {
      bom: true,
      columns: (names: string[]) => {
        header = names.map((name) => name.trim().toLowerCase());
        return header;
      },
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
      info: true,
    }) as typeof parsed;
  } catch (error) {
    throw new ImportError(`${csvPath}: not a valid CSV file (${(error as Error).message})`);
  }
  const missing = REQUIRED_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new ImportError(`${csvPath}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (expected ${[...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS].join(',')})`);
  }
  if (parsed.length === 0) throw new ImportError(`${csvPath}: no product rows under the header`);
  return parsed.map(({ record, info }) => ({
    record,
    line: info.lines,
    fieldCount: Object.values(record).filter((value) => value !== undefined).length,
  }));
}

function rowProblems(row: ParsedRow, seenSkus: Map<string, number>): string[] {
  const problems: string[] = [];
  const absent = REQUIRED_COLUMNS.filter((column) => row.record[column] === undefined);
  if (absent.length > 0) problems.push(`row has too few columns: ${absent.join(', ')} missing`);
  const sku = row.record.sku?.trim();
  const earlier = sku ? seenSkus.get(sku) : undefined;
  if (earlier !== undefined) problems.push(`sku ${sku} already appears on line ${earlier}`);
  return problems;
}

function imagePaths(field: string | undefined, baseDir: string): Array<{ label: string; path: string }> {
  return (field ?? '')
    .split('|')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => ({ label: item, path: path.resolve(baseDir, item) }));
}
