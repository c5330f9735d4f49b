/**
 * `npx shoplens model fetch`: downloads the pretrained backbone once, verifies it byte for byte,
 * and writes its manifest. Shops often run on machines with poor or no internet, so every
 * failure says exactly which file to put where to finish the job by hand.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256OfFile } from './backbone.ts';
import { createInferenceSession } from './execution-provider.ts';
import { manifestPathFor, readManifest, writeManifest, type ModelManifest } from './manifest.ts';
import { PRETRAINED_RESNET50, type PretrainedModelDescriptor } from './pretrained.ts';
import { OperationalError } from '../domain/errors.ts';

/** Why a download failed: no connection, a bad HTTP answer, or bytes that are not the pinned file. */
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
    this.name = 'ModelDownloadError';
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
}

export interface FetchPretrainedResult {
  /** `already-present`: the file was there with the right hash and nothing was downloaded. */
  status: 'downloaded' | 'already-present';
  modelPath: string;
  manifestPath: string;
  manifest: ModelManifest;
  /** Size of the model file in bytes. */
  bytes: number;
}

/**
 * Ensures `<modelsDir>/<descriptor.fileName>` is the pinned pretrained model with a manifest.
 * Downloads to `<file>.part` while hashing, verifies the SHA-256, then renames into place; a file
 * already present with the right hash is kept (no request is made).
 * @throws {ModelDownloadError} on network failure, a non-2xx answer, or a hash mismatch.
 */
export async function fetchPretrainedModel(options: FetchPretrainedOptions): Promise<FetchPretrainedResult> {
  const descriptor = options.descriptor ?? PRETRAINED_RESNET50;
  const modelsDir = resolve(options.modelsDir);
  const modelPath = join(modelsDir, descriptor.fileName);
  await mkdir(modelsDir, { recursive: true });

  if (await hasHash(modelPath, descriptor.sha256)) {
    const manifest = await ensureManifest(modelPath, descriptor);
    return { status: 'already-present', modelPath, manifestPath: manifestPathFor(modelPath), manifest, bytes: (await stat(modelPath)).size };
  }

  const bytes = await download(descriptor, modelPath, options);
  const manifest = await writeDownloadManifest(modelPath, descriptor);
  return { status: 'downloaded', modelPath, manifestPath: manifestPathFor(modelPath), manifest, bytes };
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

/** Streams the body to `<modelPath>.part`, hashing as it goes, then verifies and renames. */
async function download(descriptor: PretrainedModelDescriptor, modelPath: string, options: FetchPretrainedOptions): Promise<number> {
  const { url } = descriptor;
  const partPath = `${modelPath}.part`;
  const fail = (failure: ModelDownloadFailure, cause: string, error?: unknown): ModelDownloadError =>
    new ModelDownloadError(failure, url, modelPath, `Could not download ${url} (${cause}). ${manualInstallHint(descriptor, modelPath)}`, error);

  let response: Response;
  try {
    response = await (options.fetchImpl ?? fetch)(url, { redirect: 'follow', signal: options.signal });
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
  if (actual !== descriptor.sha256) {
    await rm(partPath, { force: true });
    throw new ModelDownloadError(
      'hash-mismatch',
      url,
      modelPath,
      `Downloaded ${url} but its sha256 is ${actual}, not the expected ${descriptor.sha256}; the file was discarded. ` +
        `The download may have been altered by a proxy, or the file changed upstream. ${manualInstallHint(descriptor, modelPath)}`,
    );
  }
  await rename(partPath, modelPath);
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
