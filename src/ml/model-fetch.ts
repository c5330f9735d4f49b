/**
 * `npx shoplens model fetch`: downloads the pretrained backbone once, verifies it byte for byte,
 * and writes its manifest. Shops often run on machines with poor or no internet, so every
 * failure says exactly which file to put where to finish the job by hand. `--from <url>` takes
 * the same file from a mirror, or (with another `--sha256`) any ResNet-50 export, which then goes
 * through `model import`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OperationalError } from '../domain/errors.ts';
import { sha256OfFile } from './backbone.ts';
import { createInferenceSession } from './execution-provider.ts';
import { manifestPathFor, modelIdOf, readManifest, writeManifest, type ModelManifest } from './manifest.ts';
import { ActiveBackboneProtectedError, contentsOf, keepBeforeReplacing, placeModelFile } from './model-library.ts';
import { importBackbone, type ImportBackboneResult } from './model-import/index.ts';
import { PRETRAINED_RESNET50, type PretrainedModelDescriptor } from './pretrained.ts';

/** Why a download failed: no connection, a bad HTTP answer, or bytes that are not the expected file. */
export type ModelDownloadFailure = 'network' | 'http-status' | 'hash-mismatch';

/** A download that did not produce the verified model file; nothing partial is left behind. */
export class ModelDownloadError extends OperationalError {
  constructor(
    readonly failure: ModelDownloadFailure,
    readonly url: string,
    /** Absolute path the model should end up at. */
    readonly destination: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface FetchPretrainedOptions {
  /** Directory the model and its manifest are written to (created if needed). */
  modelsDir: string;
  /** Download progress in bytes; `total` is undefined when the server sends no length. */
  onProgress?: (done: number, total: number | undefined) => void;
  /** `fetch` to use; tests inject one. Defaults to the global fetch. */
  fetchImpl?: typeof fetch;
  /** What to download; defaults to {@link PRETRAINED_RESNET50}. */
  descriptor?: PretrainedModelDescriptor;
  signal?: AbortSignal;
  /**
   * `MODEL_PATH`. When the download's file name is the active backbone's and that holds another
   * complete backbone, replacing it needs `activate`; with `activate`, a download under another
   * name is also put at `MODEL_PATH`. The replaced backbone is kept in the models directory.
   */
  activePath?: string;
  activate?: boolean;
}

export interface FetchPretrainedResult {
  /** `already-present`: the file was there with the right hash and nothing was downloaded. */
  status: 'downloaded' | 'already-present';
  modelPath: string;
  manifestPath: string;
  manifest: ModelManifest;
  /** Size of the model file in bytes. */
  bytes: number;
  /** True when `MODEL_PATH` holds it now; `activated` when this call put it there. */
  active: boolean;
  activated: boolean;
  /** Where the backbone this call replaced is kept. */
  previousKeptAt?: string;
}

/**
 * Ensures `<modelsDir>/<descriptor.fileName>` is the pinned pretrained model with a manifest.
 * Downloads to `<file>.part` while hashing, verifies the SHA-256, then renames into place; a file
 * already present with the right hash is kept (no request is made). Another complete backbone in
 * the way is kept under its id first (see {@link keepBeforeReplacing}).
 * @throws {ModelDownloadError} on network failure, a non-2xx answer, or a hash mismatch.
 * @throws {ActiveBackboneProtectedError} when the file is `activePath`, holds another complete
 *   backbone, and `activate` is not set (checked before downloading).
 */
export async function fetchPretrainedModel(options: FetchPretrainedOptions): Promise<FetchPretrainedResult> {
  const descriptor = options.descriptor ?? PRETRAINED_RESNET50;
  const modelsDir = resolve(options.modelsDir);
  const modelPath = join(modelsDir, descriptor.fileName);
  const activePath = options.activePath === undefined ? undefined : resolve(options.activePath);
  await mkdir(modelsDir, { recursive: true });

  if (await hasHash(modelPath, descriptor.sha256)) {
    const manifest = await ensureManifest(modelPath, descriptor);
    const bytes = (await stat(modelPath)).size;
    return { status: 'already-present', modelPath, manifestPath: manifestPathFor(modelPath), manifest, bytes, ...(await activateIfAsked(modelPath, manifest, options)) };
  }

  // Refuse before spending 100 MB of someone's connection on a download that could not be placed.
  const present = await contentsOf(modelPath);
  if (present.kind === 'backbone' && modelPath === activePath && options.activate !== true) {
    throw new ActiveBackboneProtectedError(modelPath, modelIdOf(present.manifest), `downloading ${descriptor.id}`);
  }
  const partPath = `${modelPath}.part`;
  const bytes = await download(descriptor.url, descriptor.sha256, partPath, options, manualInstallHint(descriptor, modelPath));
  let previousKeptAt: string | undefined;
  try {
    previousKeptAt = await keepBeforeReplacing(modelPath);
    await rename(partPath, modelPath);
  } finally {
    await rm(partPath, { force: true });
  }
  const manifest = await writeDownloadManifest(modelPath, descriptor);
  const placed = { status: 'downloaded', modelPath, manifestPath: manifestPathFor(modelPath), manifest, bytes } as const;
  if (modelPath === activePath) return { ...placed, active: true, activated: true, ...(previousKeptAt === undefined ? {} : { previousKeptAt }) };
  return { ...placed, ...(await activateIfAsked(modelPath, manifest, options)) };
}

/** With `activate`, puts `modelPath` at `MODEL_PATH` too (keeping what was there). */
async function activateIfAsked(
  modelPath: string,
  manifest: ModelManifest,
  options: FetchPretrainedOptions,
): Promise<Pick<FetchPretrainedResult, 'active' | 'activated' | 'previousKeptAt'>> {
  const activePath = options.activePath === undefined ? undefined : resolve(options.activePath);
  if (activePath === undefined) return { active: false, activated: false };
  if (activePath === modelPath) return { active: true, activated: false };
  const current = await contentsOf(activePath);
  const alreadyActive = current.kind === 'backbone' && current.manifest.sha256 === manifest.sha256;
  if (alreadyActive || options.activate !== true) return { active: alreadyActive, activated: false };
  const previousKeptAt = await keepBeforeReplacing(activePath);
  await placeModelFile(modelPath, activePath, manifest);
  return { active: true, activated: true, ...(previousKeptAt === undefined ? {} : { previousKeptAt }) };
}

export interface FetchFromOptions extends Omit<FetchPretrainedOptions, 'descriptor'> {
  /** HTTP(S) URL of an `.onnx` file. */
  url: string;
  /** Lower-case hex SHA-256 the downloaded bytes must have; default: the pinned ResNet-50's. */
  sha256?: string;
  /** Manifest id and file name for a file that is not the pinned one; default: from the URL. */
  id?: string;
  /** `MODEL_PATH`; required here because an import decides what is active. */
  activePath: string;
  onStep?: (step: string) => void;
}

export type FetchFromResult = { kind: 'pinned'; result: FetchPretrainedResult } | { kind: 'imported'; result: ImportBackboneResult };

/**
 * `model fetch --from <url> [--sha256 <hex>]`. With the pinned hash (the default) the URL is a
 * mirror of the pinned ResNet-50 and everything works as {@link fetchPretrainedModel}. With another
 * hash the verified download is imported like `model import` (inspected, cut at the pooled
 * features if it is a classifier, checked in ONNX Runtime), marked pretrained unless it was made
 * by `model generate`. On any failure nothing is left in the models directory.
 * @throws {ModelDownloadError} for a network failure, an HTTP error or a hash mismatch.
 * @throws {ModelImportError} when the verified file is not a usable ResNet-50.
 */
export async function fetchFrom(options: FetchFromOptions): Promise<FetchFromResult> {
  const url = parseDownloadUrl(options.url);
  const sha256 = (options.sha256 ?? PRETRAINED_RESNET50.sha256).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256)) {
    throw new ModelDownloadError('hash-mismatch', url, options.modelsDir, `--sha256 must be 64 hex digits, got "${options.sha256 ?? ''}"; copy the full SHA-256 of the file`);
  }
  if (sha256 === PRETRAINED_RESNET50.sha256) {
    return { kind: 'pinned', result: await fetchPretrainedModel({ ...options, descriptor: { ...PRETRAINED_RESNET50, url } }) };
  }
  const modelsDir = resolve(options.modelsDir);
  await mkdir(modelsDir, { recursive: true });
  const partPath = join(modelsDir, `.fetch-${randomUUID()}.onnx.part`);
  const hint = 'Check the URL and --sha256, or download the file by hand and run `npx shoplens model import <file>`.';
  try {
    await download(url, sha256, partPath, options, hint);
    const result = await importBackbone({
      file: partPath,
      modelsDir,
      activePath: options.activePath,
      pretrained: 'unless-generated',
      activate: options.activate === true,
      origin: { source: 'download', url },
      ...(options.id === undefined ? {} : { id: options.id }),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    return { kind: 'imported', result };
  } finally {
    await rm(partPath, { force: true });
  }
}

function parseDownloadUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ModelDownloadError('network', text, '', `--from "${text}" is not a URL; give an http:// or https:// address of an .onnx file`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ModelDownloadError('network', text, '', `--from must be an http:// or https:// URL, got ${url.protocol}; for a local file use \`npx shoplens model import <file>\``);
  }
  return url.href;
}

/** Advice for finishing by hand, appended to every download failure. */
export function manualInstallHint(descriptor: PretrainedModelDescriptor, modelPath: string): string {
  return (
    'Download it on a machine with internet access and place it at ' +
    `${modelPath} (sha256 ${descriptor.sha256}), then run the command again.`
  );
}

async function hasHash(path: string, sha256: string): Promise<boolean> {
  try {
    return (await sha256OfFile(path)) === sha256;
  } catch {
    return false;
  }
}

/**
 * Streams `url` to `partPath`, hashing as it goes, and checks the SHA-256. The part file is removed
 * on every failure; on success the caller renames or imports it.
 * @returns the number of bytes downloaded.
 */
async function download(url: string, sha256: string, partPath: string, options: Pick<FetchPretrainedOptions, 'fetchImpl' | 'signal' | 'onProgress'>, hint: string): Promise<number> {
  const fail = (failure: ModelDownloadFailure, cause: string, error?: unknown): ModelDownloadError =>
    new ModelDownloadError(failure, url, partPath.replace(/\.part$/, ''), `Could not download ${url} (${cause}). ${hint}`, error);

  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(url, { redirect: 'follow', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    throw fail('network', describeNetworkError(error), error);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw fail('http-status', `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }

  const total = contentLength(response);
  const hash = createHash('sha256');
  let done = 0;
  try {
    await streamToFile(response.body, partPath, (chunk) => {
      hash.update(chunk);
      done += chunk.length;
      options.onProgress?.(done, total);
    });
  } catch (error) {
    await rm(partPath, { force: true });
    throw fail('network', `interrupted after ${done} bytes: ${describeNetworkError(error)}`, error);
  }

  const actual = hash.digest('hex');
  if (actual !== sha256) {
    await rm(partPath, { force: true });
    throw new ModelDownloadError(
      'hash-mismatch',
      url,
      partPath.replace(/\.part$/, ''),
      `Downloaded ${url}, but it is not the expected file: expected sha256 ${sha256}, received ${actual}; nothing was kept. ` +
        `A proxy may have altered it, or the file changed upstream. ${hint}`,
    );
  }
  return done;
}

async function streamToFile(body: ReadableStream<Uint8Array>, path: string, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const file = createWriteStream(path);
  const closed = new Promise<void>((resolvePromise, reject) => {
    file.on('close', resolvePromise);
    file.on('error', reject);
  });
  // Awaited in `finally`; this only stops an early write error from counting as unhandled.
  closed.catch(() => undefined);
  try {
    for await (const chunk of body) {
      onChunk(chunk);
      // Respect the disk's pace instead of buffering a 100 MB download in memory.
      if (!file.write(chunk)) await new Promise<void>((drained) => file.once('drain', () => drained()));
    }
  } finally {
    file.end();
    await closed;
  }
}

function contentLength(response: Response): number | undefined {
  const header = response.headers.get('content-length');
  const length = header === null ? Number.NaN : Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause?.code === 'string') return `${error.message}: ${cause.code}`;
  if (typeof cause?.message === 'string') return `${error.message}: ${cause.message}`;
  return error.message;
}

/** Keeps a valid manifest that describes this very file; otherwise writes a fresh one. */
async function ensureManifest(modelPath: string, descriptor: PretrainedModelDescriptor): Promise<ModelManifest> {
  try {
    const existing = await readManifest(modelPath);
    if (existing.sha256 === descriptor.sha256 && existing.id === descriptor.id) return existing;
  } catch {
    // Missing or malformed: rewrite below.
  }
  return writeDownloadManifest(modelPath, descriptor);
}

async function writeDownloadManifest(modelPath: string, descriptor: PretrainedModelDescriptor): Promise<ModelManifest> {
  const io = await inspectModelIo(modelPath);
  const manifest: ModelManifest = {
    id: descriptor.id,
    pretrained: true,
    arch: descriptor.arch,
    source: 'download',
    url: descriptor.url,
    sha256: descriptor.sha256,
    inputName: io?.inputName ?? descriptor.inputName,
    outputName: io?.outputName ?? descriptor.outputName,
    inputSize: descriptor.inputSize,
    mean: [...descriptor.mean],
    std: [...descriptor.std],
    dimension: io?.dimension ?? descriptor.dimension,
    createdAt: new Date().toISOString(),
  };
  await writeManifest(modelPath, manifest);
  return manifest;
}

interface ModelIo {
  inputName: string;
  outputName: string;
  dimension: number | undefined;
}

/**
 * Reads the tensor names (and, when fixed, the per-image output size) from the verified file, so
 * the manifest records what the file really exposes rather than what was expected of it.
 * Returns undefined when the model has several inputs/outputs or cannot be opened; the
 * descriptor's values are used then and `Backbone.load` reports any disagreement.
 */
async function inspectModelIo(modelPath: string): Promise<ModelIo | undefined> {
  let created;
  try {
    created = await createInferenceSession(modelPath, { device: 'cpu', threads: 1, logger: { warn: () => undefined } });
  } catch {
    return undefined;
  }
  const { session } = created;
  try {
    const [inputName] = session.inputNames;
    const [outputName] = session.outputNames;
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1 || inputName === undefined || outputName === undefined) {
      return undefined;
    }
    const output = session.outputMetadata[0];
    const perImage = output?.isTensor === true ? output.shape.slice(1) : [];
    const fixed = perImage.length > 0 && perImage.every((dim): dim is number => typeof dim === 'number' && dim > 0);
    return { inputName, outputName, dimension: fixed ? perImage.reduce<number>((a, b) => a * Number(b), 1) : undefined };
  } finally {
    await session.release();
  }
}
