/**
 * ONNX Runtime's CPU graph optimisations at level "all" (fused operators and NCHWc layouts for this
 * CPU's vector units) run at every session start: for ResNet-50 about 0.6 s, and the optimizer's
 * transient copies of the weights leave ~140 MB with the allocator for good. Saved once, the
 * optimized graph loads with optimisations off — same outputs, same speed. Measured on this
 * project's 2-core machines: 1.44 → 0.85 s to open the session, 328 → 191 MB resident.
 *
 * It is saved in ONNX Runtime's own format (`.ort`), whose sessions can read their weights straight
 * from the file's bytes in memory: the two CPU sessions of a backbone (backbone.ts) then share one
 * copy of the weights, and the second costs ~14 MB instead of ~126 MB for ResNet-50.
 *
 * The saved graph only suits the CPU and ONNX Runtime version that made it (ONNX Runtime warns
 * about exactly this), so both are part of its name. A cached file that fails to load is deleted
 * and made again; when the model's folder is read-only the app optimises at every start into a
 * temporary copy that is removed once loaded ({@link prepareScratchOptimizedModelWrite}).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/** Sub-folder of the model's folder holding optimized copies (the model library lists only `*.onnx` files at the top). */
export const OPTIMIZED_DIR = '.optimized';

/**
 * Where the optimized copy of `modelPath` (content hash `sha256`) for this CPU and ONNX Runtime
 * version lives: `<model dir>/.optimized/<name>-<hash prefix>-<environment key>.ort`.
 */
export function optimizedModelPath(modelPath: string, sha256: string): string {
  const name = path.basename(modelPath, '.onnx');
  return path.join(path.dirname(modelPath), OPTIMIZED_DIR, `${name}-${sha256.slice(0, 12)}-${environmentKey()}.ort`);
}

/** True when a usable-looking (non-empty) optimized copy exists. */
export async function hasOptimizedModel(cachePath: string): Promise<boolean> {
  try {
    const stats = await stat(cachePath);
    return stats.isFile() && stats.size > 0;
  } catch {
    return false;
  }
}

/** A temporary file ONNX Runtime writes the optimized graph to, before it is known to be wanted. */
export interface OptimizedModelWrite {
  readonly tempPath: string;
  /**
   * Moves it into place atomically and removes the copies it replaces ({@link discardReplacedCopies});
   * if the move fails it is removed (only a slower next start). Never rejects.
   */
  commit(): Promise<void>;
  /** Removes it. Never rejects. */
  discard(): Promise<void>;
}

/**
 * A temporary path in the cache folder (created here).
 * @throws when the folder cannot be created (read-only, or its name taken by a file).
 */
export async function prepareOptimizedModelWrite(cachePath: string): Promise<OptimizedModelWrite> {
  await mkdir(path.dirname(cachePath), { recursive: true });
  const tempPath = `${cachePath}.${process.pid}.tmp`;
  const discard = () => removeQuietly(tempPath);
  return { tempPath, discard, commit: () => rename(tempPath, cachePath).then(() => discardReplacedCopies(cachePath), discard) };
}

/**
 * For a model whose folder cannot hold the copy (read-only): a file in the system's temporary
 * folder that is only read once, at load, and then removed, so the session pair still shares its
 * weights (at the cost of optimising at every start). `commit` removes it too.
 * @throws when no temporary folder can be created.
 */
export async function prepareScratchOptimizedModelWrite(): Promise<OptimizedModelWrite> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-optimized-'));
  const discard = () => rm(dir, { recursive: true, force: true }).catch(() => undefined);
  return { tempPath: path.join(dir, 'model.ort'), discard, commit: discard };
}

/**
 * Removes the copies of the same model that `cachePath` replaces: those made for an earlier version
 * of the file (another hash) and those saved in the ONNX format earlier releases used. Copies for
 * another CPU or ONNX Runtime version of the same file stay, for a models folder that several
 * machines share. Never rejects.
 */
export async function discardReplacedCopies(cachePath: string): Promise<void> {
  const dir = path.dirname(cachePath);
  const [name, hash] = parseCopyName(path.basename(cachePath)) ?? [];
  if (name === undefined) return;
  const files = await readdir(dir).catch(() => [] as string[]);
  const replaced = files.filter((file) => {
    const parsed = parseCopyName(file);
    return parsed !== undefined && parsed[0] === name && (parsed[1] !== hash || file.endsWith('.onnx'));
  });
  await Promise.all(replaced.map((file) => removeQuietly(path.join(dir, file))));
}

/** `<name>-<12 hex>-<12 hex>.ort|.onnx` → [name, hash prefix]; undefined for anything else (temporary files too). */
function parseCopyName(file: string): [string, string] | undefined {
  const match = /^(.+)-([0-9a-f]{12})-[0-9a-f]{12}\.(?:ort|onnx)$/.exec(file);
  return match ? [match[1]!, match[2]!] : undefined;
}

/** Removes a cached copy that could not be loaded, so the next start makes a fresh one. Never rejects. */
export function discardOptimizedModel(cachePath: string): Promise<void> {
  return removeQuietly(cachePath);
}

/** The cache is an optimisation: failing to tidy it up must not fail a model load. */
async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => undefined);
}

let cachedKey: string | undefined;

/** 12 hex digits naming the ONNX Runtime version, CPU architecture, model and instruction-set flags. */
export function environmentKey(): string {
  cachedKey ??= createHash('sha256').update(JSON.stringify([onnxRuntimeVersion(), process.platform, process.arch, cpuSignature()])).digest('hex').slice(0, 12);
  return cachedKey;
}

function onnxRuntimeVersion(): string {
  try {
    return (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The CPU model and, on Linux, its feature flags (AVX2, AVX-512… decide the NCHWc block size). */
function cpuSignature(): string {
  const model = os.cpus()[0]?.model ?? 'unknown';
  if (process.platform !== 'linux') return model;
  try {
    const flags = /^(flags|Features)\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[2] ?? '';
    return `${model} ${flags}`;
  } catch {
    return model;
  }
}
