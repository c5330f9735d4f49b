/**
 * Import from an ImageFolder tree, `<folder>/<category>/<image>`: one product per image, SKU
 * from the file name, category from the folder.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImportProblem, ImportReport } from './import-report.ts';
import { ImportError } from './import-report.ts';
import type { PlannedProduct } from './import-plan.ts';
import { nameFromFileName, skuFromFileName, validateProductInput } from './product-input.ts';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

export interface FolderDefaults {
  /** Price given to every imported product, decimal string. */
  readonly price: string;
  readonly currency: string;
  /** Units on hand given to every imported product (must be > 0 for customers to see them). */
  readonly stock: number;
}

/** Lists the products an ImageFolder tree describes; problems go to `report`. */
export async function planFolderImport(root: string, defaults: FolderDefaults, report: ImportReport): Promise<PlannedProduct[]> {
  const entries = await readRoot(root);
  const plans: PlannedProduct[] = [];
  const seenSkus = new Map<string, string>();
  for (const entry of entries) {
    const label = entry.name;
    if (!entry.isDirectory()) {
      if (IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        addProblem(report, { where: label, reason: 'image is not inside a category folder (expected <folder>/<category>/<image>)' });
      }
      continue;
    }
    plans.push(...(await planCategory(root, entry.name, defaults, report, seenSkus)));
  }
  if (plans.length === 0 && report.failed === 0) {
    throw new ImportError(`${root}: no images found (expected <folder>/<category>/<image> with extension ${[...IMAGE_EXTENSIONS].join(', ')})`);
  }
  return plans;
}

async function readRoot(root: string) {
  try {
    const info = await stat(root);
    if (!info.isDirectory()) throw new ImportError(`${root}: not a folder`);
    return (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`${root}: cannot open folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

async function planCategory(
  root: string,
  category: string,
  defaults: FolderDefaults,
  report: ImportReport,
  seenSkus: Map<string, string>,
): Promise<PlannedProduct[]> {
  const files = (await readdir(path.join(root, category), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const images = files.filter((file) => file.isFile() && IMAGE_EXTENSIONS.has(path.extname(file.name).toLowerCase()));
  for (const file of files) {
    if (file.isFile() && !images.includes(file) && !file.name.startsWith('.')) {
      report.problems.push({ where: `${category}/${file.name}`, reason: `skipped: not a supported image type (${[...IMAGE_EXTENSIONS].join(', ')})` });
    }
  }
  if (images.length === 0) {
    report.problems.push({ where: `${category}/`, reason: 'category folder has no images' });
    return [];
  }
  const plans: PlannedProduct[] = [];
  for (const file of images) {
    const label = `${category}/${file.name}`;
    const sku = skuFromFileName(file.name);
    const earlier = seenSkus.get(sku);
    if (earlier !== undefined) {
      addProblem(report, { where: label, reason: `SKU "${sku}" is already used by ${earlier}; rename one of the files` });
      continue;
    }
    seenSkus.set(sku, label);
    const validation = validateProductInput({ sku, name: nameFromFileName(file.name), category, ...defaults });
    if (!validation.ok) {
      addProblem(report, { where: label, reason: validation.problems.join('; ') });
      continue;
    }
    plans.push({ where: label, input: validation.value, images: [{ label, path: path.join(root, category, file.name) }] });
  }
  return plans;
}

function addProblem(report: ImportReport, problem: ImportProblem): void {
  report.failed += 1;
  report.problems.push(problem);
}
