/**
 * The backbones kept in the models directory, and the one rule for replacing the active one.
 *
 * Every backbone is a `<name>.onnx` with its `<name>.manifest.json`. The *active* backbone is the
 * file `MODEL_PATH` names. Imports and downloads go into the directory under their own names;
 * only an explicit activation puts another backbone at `MODEL_PATH`, and the backbone it replaces
 * is kept in the directory under its id first, so switching never loses weights.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, link, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../domain/errors.ts';
import { sha256OfFile } from './backbone.ts';
import { modelIdOf, readManifest, writeManifest, type ModelManifest } from './manifest.ts';

/** A command would overwrite the active backbone (`MODEL_PATH`) without `--activate`. */
export class ActiveBackboneProtectedError extends OperationalError {
  constructor(
    readonly modelPath: string,
    readonly activeModelId: string,
    what: string,
  ) {
    super(`${what} would replace the active backbone ${activeModelId} at ${modelPath} (MODEL_PATH); pass --activate to replace it (the current one stays in the models directory)`);
  }
}

/** One backbone, possibly stored under several file names (an activated copy has two). */
export interface StoredBackbone {
  /** `<id>@<sha256 prefix>`, the stamp its embeddings carry. */
  modelId: string;
  manifest: ModelManifest;
  /** Absolute paths of the files holding it, sorted. */
  files: string[];
  /** True when `MODEL_PATH` holds it. */
  active: boolean;
}

/** What a model path currently holds. */
export type ModelFileContents =
  | { kind: 'empty' }
  /** A complete backbone: the file's SHA-256 equals its manifest's. */
  | { kind: 'backbone'; manifest: ModelManifest }
  /** A file without a valid manifest, or one that does not match it (half a download, a stray copy). */
  | { kind: 'unusable' };

/**
 * Every backbone in `modelsDir` (files with a valid manifest), active first, then by id. Files are
 * grouped by manifest id and hash; nothing is re-hashed, so listing stays instant.
 */
export async function listBackbones(modelsDir: string, activePath: string): Promise<StoredBackbone[]> {
  const active = path.resolve(activePath);
  const groups = new Map<string, StoredBackbone>();
  for (const file of await onnxFiles(modelsDir)) {
    const manifest = await readManifest(file).catch(() => undefined);
    if (manifest === undefined) continue;
    const modelId = modelIdOf(manifest);
    const group = groups.get(modelId) ?? { modelId, manifest, files: [], active: false };
    group.files.push(file);
    if (file === active) {
      group.active = true;
      group.manifest = manifest;
    }
    groups.set(modelId, group);
  }
  return [...groups.values()].sort((a, b) => Number(b.active) - Number(a.active) || a.modelId.localeCompare(b.modelId));
}

export interface ActivationResult {
  backbone: StoredBackbone;
  /** False when it already was the active backbone. */
  activated: boolean;
  /** Where the backbone it replaced is kept. */
  previousKeptAt?: string;
}

/**
 * `model activate <id>`: puts a stored backbone at `MODEL_PATH` (keeping the one there), after
 * checking its file still matches its manifest. `id` is a manifest id or a full `<id>@<hash>`.
 * @throws {UnknownBackboneError} when no backbone, or more than one, answers to `id`.
 */
export async function activateStored(modelsDir: string, activePath: string, id: string): Promise<ActivationResult> {
  const backbones = await listBackbones(modelsDir, activePath);
  const matches = backbones.filter((backbone) => backbone.modelId === id || backbone.manifest.id === id);
  const known = backbones.map((backbone) => backbone.modelId).join(', ') || 'none';
  const [backbone] = matches;
  if (backbone === undefined) throw new UnknownBackboneError(`No backbone "${id}" in ${modelsDir} (there: ${known}); see \`npx shoplens model list\``);
  if (matches.length > 1) throw new UnknownBackboneError(`"${id}" names ${matches.length} backbones (${matches.map((m) => m.modelId).join(', ')}); give the full <id>@<hash>`);
  if (backbone.active) return { backbone, activated: false };
  const source = backbone.files[0]!;
  if ((await contentsOf(source)).kind !== 'backbone') {
    throw new UnknownBackboneError(`${source} no longer matches its manifest (changed or damaged); import it again with \`npx shoplens model import\``);
  }
  const previousKeptAt = await keepBeforeReplacing(activePath);
  await placeModelFile(source, path.resolve(activePath), backbone.manifest);
  return { backbone: { ...backbone, active: true, files: [...backbone.files, path.resolve(activePath)].sort() }, activated: true, ...(previousKeptAt === undefined ? {} : { previousKeptAt }) };
}

/** `model activate` was given an id that names no stored backbone, or several. */
export class UnknownBackboneError extends OperationalError {}

/** Hashes the file at `modelPath` and compares it with its manifest. */
export async function contentsOf(modelPath: string): Promise<ModelFileContents> {
  try {
    if (!(await stat(modelPath)).isFile()) return { kind: 'unusable' };
  } catch {
    return { kind: 'empty' };
  }
  const manifest = await readManifest(modelPath).catch(() => undefined);
  if (manifest === undefined) return { kind: 'unusable' };
  const sha256 = await sha256OfFile(modelPath).catch(() => undefined);
  return sha256 === manifest.sha256 ? { kind: 'backbone', manifest } : { kind: 'unusable' };
}

/**
 * Makes sure the backbone at `modelPath` (if it is a complete one) also exists elsewhere in its
 * directory before `modelPath` is overwritten: reuses another file with the same id and hash, or
 * links (copies, where links are impossible) it to `<id>.onnx` (`<id>-<hash prefix>.onnx` when taken).
 * @returns where the backbone is kept, or undefined when there was nothing to keep.
 */
export async function keepBeforeReplacing(modelPath: string): Promise<string | undefined> {
  const contents = await contentsOf(modelPath);
  if (contents.kind !== 'backbone') return undefined;
  const { manifest } = contents;
  const source = path.resolve(modelPath);
  const directory = path.dirname(source);
  for (const backbone of await listBackbones(directory, source)) {
    const copy = backbone.files.find((file) => file !== source);
    if (backbone.modelId === modelIdOf(manifest) && copy !== undefined) return copy;
  }
  let target = path.join(directory, `${manifest.id}.onnx`);
  if ((await contentsOf(target)).kind !== 'empty') target = path.join(directory, `${manifest.id}-${manifest.sha256.slice(0, 12)}.onnx`);
  await placeModelFile(source, target, manifest);
  return target;
}

/**
 * Puts a model file and its manifest at `target`, atomically: the bytes go to a temporary file
 * first (a hard link when `source` is a file on the same disk), then are renamed into place, then
 * the manifest is written. A reader never sees half a file; between the two renames it sees a
 * manifest that does not match, which loading reports instead of using the wrong weights.
 * @param source bytes of the model, or the path of a file holding them.
 */
export async function placeModelFile(source: Uint8Array | string, target: string, manifest: ModelManifest): Promise<void> {
  const temporary = `${target}.${randomUUID()}.tmp`;
  try {
    if (typeof source === 'string') await linkOrCopy(source, temporary);
    else await writeFile(temporary, source);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await writeManifest(target, manifest);
}

async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch {
    await copyFile(source, target);
  }
}

async function onnxFiles(modelsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(modelsDir);
  } catch {
    return [];
  }
  const directory = path.resolve(modelsDir);
  return names.filter((name) => name.endsWith('.onnx')).map((name) => path.join(directory, name)).sort();
}
