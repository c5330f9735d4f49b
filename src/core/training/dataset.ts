/**
 * Where labelled images come from: the shop's catalog (label = product category; every image of
 * a product counts) or an ImageFolder tree given with `--data` (`<folder>/<category>/<image>`).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../../domain/errors.ts';

/** A labelled image; its bytes are read again only when its features are not cached. */
export interface LabelledImage {
  /** Path or label for messages. */
  readonly source: string;
  readonly category: string;
  /** Lower-case hex SHA-256 of the image bytes. */
  readonly sha256: string;
  read(): Promise<Buffer>;
}

/** The data cannot be trained on; the message says why, for the owner. */
export class TrainingDataError extends OperationalError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDataError';
  }
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif']);

export function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads `<folder>/<category>/<image>`. Files with other extensions are ignored.
 * @throws {TrainingDataError} for a missing folder or a category folder without images.
 */
export async function readImageFolder(folder: string): Promise<LabelledImage[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new TrainingDataError(`Cannot read the data folder ${folder}: ${(error as Error).message}`);
  }
  const categories = entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name).sort();
  const images: LabelledImage[] = [];
  const empty: string[] = [];
  for (const category of categories) {
    const files = (await readdir(path.join(folder, category))).filter((file) => IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase())).sort();
    if (files.length === 0) empty.push(category);
    for (const file of files) {
      const source = path.join(folder, category, file);
      images.push(await labelledFile(source, category));
    }
  }
  if (empty.length > 0) throw new TrainingDataError(`Category folder${empty.length > 1 ? 's' : ''} without images in ${folder}: ${empty.join(', ')}.`);
  return images;
}

/**
 * Checks there is something to learn: at least 2 categories and `minPerCategory` images in each.
 * Returns the problem as a sentence, or undefined when the data is enough.
 */
export function insufficiencyReason(counts: ReadonlyMap<string, number>, minPerCategory: number): string | undefined {
  const categories = [...counts].filter(([, n]) => n > 0);
  if (categories.length < 2) {
    return `Training needs at least 2 categories with images; found ${categories.length}${categories.length === 1 ? ` (${categories[0]![0]})` : ''}.`;
  }
  const short = categories.filter(([, n]) => n < minPerCategory);
  if (short.length > 0) {
    return `Each category needs at least ${minPerCategory} images; too few in ${short.map(([c, n]) => `${c} (${n})`).join(', ')}.`;
  }
  return undefined;
}

/** Image count per category. */
export function countByCategory(images: readonly { readonly category: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const image of images) counts.set(image.category, (counts.get(image.category) ?? 0) + 1);
  return counts;
}

/** Hashes the file now and returns a handle that re-reads it on demand. */
export async function labelledFile(source: string, category: string): Promise<LabelledImage> {
  const data = await readFile(source);
  return { source, category, sha256: sha256Of(data), read: () => readFile(source) };
}
