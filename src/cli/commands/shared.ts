/** Helpers every command shares: flag parsing with one-line errors, image arguments, the generated-weights warning. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { IMAGE_EXTENSIONS } from '../../core/catalog/import-folder.ts';
import type { EmbeddingModel } from '../../core/ports.ts';
import type { Output } from '../output.ts';
import { UsageError } from '../errors.ts';

/** Generated weights make every match meaningless; say so wherever results are shown. */
export function warnIfNotPretrained(output: Output, model: Pick<EmbeddingModel, 'pretrained' | 'modelId'>): void {
  if (!model.pretrained) {
    output.warn(
      `Warning: the backbone ${model.modelId} is not marked as pretrained on ImageNet (generated weights, or imported without --pretrained); ` +
        'matches are not meaningful unless it is. Run `npx shoplens model fetch`, or `npx shoplens model import <file.onnx> --pretrained --activate` for your own export.',
    );
  }
}

/**
 * A whole number flag within `[min, max]`.
 * @throws {UsageError} naming the flag, the value and the accepted range.
 */
export function integerFlag(value: string, flag: string, range: { min: number; max?: number }): number {
  const parsed = Number(value.trim());
  const inRange = Number.isInteger(parsed) && parsed >= range.min && (range.max === undefined || parsed <= range.max);
  if (value.trim() === '' || !inRange) {
    const accepted = range.max === undefined ? `a whole number ≥ ${range.min}` : `a whole number from ${range.min} to ${range.max}`;
    throw new UsageError(`${flag} must be ${accepted}, got "${value}"`);
  }
  return parsed;
}

/** A number flag (any finite value); `undefined` when the flag was not given. @throws {UsageError} */
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) throw new UsageError(`${flag} must be a number, got "${value}"`);
  return parsed;
}

/**
 * One image argument: `label` is how the owner named it (as typed, or the typed folder joined
 * with the file inside it) and what output shows; `file` is its absolute path, since the command
 * may run in the assistant's process, whose working folder differs.
 */
export const queryImageSchema = z.object({ label: z.string().min(1), file: z.string().refine((file) => path.isAbsolute(file), 'must be an absolute path') });

export type QueryImage = z.infer<typeof queryImageSchema>;

/** A command without arguments. */
export const noArguments = z.object({}).strict();

/**
 * Image arguments: files stay as given, folders expand to the images inside them (recursively,
 * sorted).
 * @throws {UsageError} for a folder without images.
 */
export async function imageArguments(targets: readonly string[]): Promise<QueryImage[]> {
  const queries: QueryImage[] = [];
  for (const target of targets) {
    const absolute = path.resolve(target);
    const info = await stat(absolute).catch(() => undefined);
    if (info?.isDirectory()) {
      const images = await imagesUnder(absolute);
      if (images.length === 0) throw new UsageError(`${target}: no images found (${[...IMAGE_EXTENSIONS].join(', ')})`);
      queries.push(...images.map((file) => ({ label: path.join(target, path.relative(absolute, file)), file })));
    } else {
      queries.push({ label: target, file: absolute });
    }
  }
  return queries;
}

async function imagesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** The message of a per-item failure, prefixed with the item unless it already names it. */
export function itemProblem(item: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(item) ? message : `${item}: ${message}`;
}
