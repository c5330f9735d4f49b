/**
 * The feature extractor: one ONNX Runtime session over a ResNet-50-shaped model whose sidecar
 * manifest says what the file is. Loading refuses files that do not match their manifest, because
 * vectors from a silently swapped model would be compared against the shop's stored vectors and
 * return confident nonsense.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { loneRunOptions, openWithFallback, withSessionEntries, type ActiveProvider, type DeviceRequest, type WarnLogger } from './execution-provider.ts';
import { ModelMismatchError, OperationalError } from '../domain/errors.ts';
import { modelIdOf, readManifest, type ModelManifest } from './manifest.ts';
import { inputBuffers } from './input-buffers.ts';
import { discardOptimizedModel, hasOptimizedModel, optimizedModelPath, prepareOptimizedModelWrite, prepareScratchOptimizedModelWrite, type OptimizedModelWrite } from './optimized-model.ts';

/** How to get a model, worded for the person who just hit a missing or stale file. */
export function modelFixHint(modelPath: string): string {
  return (
    '`npx shoplens model fetch` downloads the pretrained ResNet-50, or ' +
    `\`npx shoplens model generate --arch resnet50 --seed 42 --out ${modelPath}\` makes a test model`
  );
}

/** The configured model file does not exist. */
export class ModelMissingError extends OperationalError {
  constructor(readonly modelPath: string) {
    super(`Model file not found: ${modelPath}. ${modelFixHint(modelPath)}.`);
    this.name = 'ModelMissingError';
  }
}

/** Re-exported: one class for every model mismatch, see `src/domain/errors.ts`. */
export { ModelMismatchError };

export interface BackboneLoadOptions {
  /** `ML_DEVICE`; CUDA falls back to CPU with a warning. */
  device: DeviceRequest;
  /** `ML_THREADS`: ONNX Runtime intra-op threads, 0 = runtime default (all cores). */
  threads: number;
  /** See {@link InferenceSessionSettings.allowSpinning}; default false. */
  allowSpinning?: boolean;
  /** Most customer photos run together as one batch (default 2, `ML_BATCH_SIZE`). */
  maxBatch?: number;
  /** Keep ONNX Runtime's CPU memory arena (see execution-provider.ts); default true. */
  memoryArena?: boolean;
  logger: WarnLogger;
}

/**
 * `interactive`: a customer is waiting; runs before queued bulk work and is merged with other
 * interactive requests. `bulk`: catalog embedding (import, reindex, training), in order.
 */
export type InferencePriority = 'interactive' | 'bulk';

/**
 * A loaded backbone. `run` turns a batch of preprocessed images into raw pooled features.
 * Create with {@link Backbone.load}; call {@link Backbone.close} when done.
 */
export class Backbone {
  /** Stamp stored with every vector this backbone produces (`<id>@<sha256 prefix>`). */
  readonly modelId: string;
  #runsAlone = 0;

  private constructor(
    /** Absolute path of the `.onnx` file. */
    readonly modelPath: string,
    /** The validated sidecar manifest. */
    readonly manifest: ModelManifest,
    /** Where inference runs after any CUDA → CPU fallback. */
    readonly provider: ActiveProvider,
    private readonly session: WorkerSession,
  ) {
    this.modelId = modelIdOf(manifest);
  }

  /** False for generated weights: their matches are meaningless and the UI should say so. */
  get pretrained(): boolean {
    return this.manifest.pretrained;
  }

  /**
   * Runs so far that went to the lone-photo session: a customer photo with the inference worker
   * to itself, on the CPU with the optimized copy (see `loneRunOptions` in execution-provider.ts).
   */
  get runsAlone(): number {
    return this.#runsAlone;
  }

  /** Length of one feature vector (2048 for ResNet-50). */
  get dimension(): number {
    return this.manifest.dimension;
  }

  /** Side S of the square network input in pixels (224 for ResNet-50). */
  get inputSize(): number {
    return this.manifest.inputSize;
  }

  /** Number of float32 values one preprocessed image occupies in a batch: 3·S·S. */
  get imageLength(): number {
    return 3 * this.inputSize * this.inputSize;
  }

  /**
   * Validates the manifest and the file's SHA-256, then opens an inference session.
   * @throws {ModelMissingError} when `modelPath` does not exist.
   * @throws {ManifestError} when the sidecar manifest is missing or malformed.
   * @throws {ModelMismatchError} when the hash, tensor names or shapes disagree with the manifest.
   */
  static async load(modelPath: string, options: BackboneLoadOptions): Promise<Backbone> {
    const path = resolve(modelPath);
    await assertModelFile(path);
    const manifest = await readManifest(path);
    const host = WorkerSession.start(options.maxBatch ?? 2);
    const cpu = new CpuSessionOpener(host, path, manifest.sha256);
    try {
      // Hashing (libuv thread) and opening the session (worker) overlap: start-up pays for the slower one only.
      const [hashed, opened] = await Promise.allSettled([
        sha256OfFile(path),
        openWithFallback((sessionOptions) => (isCpuOnly(sessionOptions) ? cpu.open(sessionOptions) : host.open(path, sessionOptions)), options),
      ]);
      if (hashed.status === 'rejected') throw hashed.reason;
      if (hashed.value !== manifest.sha256) {
        throw new ModelMismatchError(
          path,
          `model file does not match its manifest (file sha256 ${hashed.value.slice(0, 12)}…, manifest ${manifest.sha256.slice(0, 12)}…); ` +
            `re-run ${rerunHint(manifest, path)}`,
        );
      }
      if (opened.status === 'rejected') throw opened.reason;
      const { session, provider } = opened.value;
      assertContract(path, manifest, session);
      // Only now is the file known to be the manifest's, so only now may its optimized copy be kept.
      await cpu.keepOptimizedCopy();
      if (manifest.source === 'quantized' && provider !== 'cpu') {
        // ONNX Runtime's CUDA provider has no int8 convolutions: it would dequantize and run float, slower than the float file.
        options.logger.warn(
          { backbone: modelIdOf(manifest), provider },
          `${modelIdOf(manifest)} is an int8 backbone, which is only faster on the CPU; for ${provider}, activate the float one (${manifest.quantizedFrom?.modelId ?? 'the backbone it was made from'})`,
        );
      }
      return new Backbone(path, manifest, provider, host);
    } catch (error) {
      await cpu.dropOptimizedCopy();
      await host.close();
      throw error;
    }
  }

  /**
   * Runs the network on `count` images.
   * @param batch at least `count·3·S·S` float32 values: `[count, 3, S, S]` NCHW, normalized.
   *   Only the first `count` images are read, so a reused, larger buffer is fine.
   * @param priority see {@link InferencePriority}; default `bulk`.
   * @param handOver true when the caller is done with `batch`: its memory then moves to the
   *   inference worker instead of being copied (0.6 MB per image), `batch` is left empty, and the
   *   worker's answer brings the memory back to the input-buffer pool for the next photo.
   *   Default false, so a caller may refill its buffer while inference runs.
   * @returns a fresh `count·dimension` Float32Array: row i holds image i's raw pooled features.
   */
  async run(batch: Float32Array, count: number, priority: InferencePriority = 'bulk', handOver = false): Promise<Float32Array> {
    const size = this.inputSize;
    const needed = count * this.imageLength;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    if (batch.length < needed) {
      throw new RangeError(`batch holds ${batch.length} values, ${count} images of 3×${size}×${size} need ${needed}`);
    }
    const input = handOver && isWholeBuffer(batch, needed) ? batch : pooledCopy(batch, needed);
    const output = await this.session.run(this.manifest.inputName, this.manifest.outputName, input, [count, 3, size, size], priority);
    inputBuffers.give(output.input);
    if (output.alone) this.#runsAlone += 1;
    // [N, 2048] and torchvision exports' [N, 2048, 1, 1] hold the same values; only the count matters.
    if (output.data.length !== count * this.dimension) {
      throw new ModelMismatchError(
        this.modelPath,
        `output "${this.manifest.outputName}" has shape [${output.dims.join(', ')}], expected ${count}×${this.dimension} values`,
      );
    }
    return output.data;
  }

  /** Releases the native session. The backbone must not be used afterwards. */
  async close(): Promise<void> {
    await this.session.close();
  }
}

/** Transferring moves the whole ArrayBuffer, so only a view of exactly the batch may go as it is. */
function isWholeBuffer(batch: Float32Array, length: number): boolean {
  return batch.length === length && batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength && batch.buffer instanceof ArrayBuffer;
}

/** The first `length` values of `batch` in a pooled buffer: a copy that travels to the worker and back. */
function pooledCopy(batch: Float32Array, length: number): Float32Array {
  const copy = inputBuffers.take(length);
  copy.set(batch.subarray(0, length));
  return copy;
}

/**
 * `options` for a saved optimized graph in ONNX Runtime's format, loaded from bytes the caller keeps
 * alive: no optimisation again, and weights read in place rather than copied per session.
 */
function sharedBytesOptions(options: InferenceSession.SessionOptions): InferenceSession.SessionOptions {
  return {
    ...withSessionEntries(options, { load_model_format: 'ORT', use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' }),
    graphOptimizationLevel: 'disabled',
  };
}

function isCpuOnly(options: InferenceSession.SessionOptions): boolean {
  const providers = options.executionProviders ?? [];
  return providers.length === 1 && providers[0] === 'cpu';
}

/**
 * Opens the CPU session pair ({@link WorkerSession.openPair}) from the graph ONNX Runtime optimized
 * at an earlier start when there is one (see optimized-model.ts); otherwise has ONNX Runtime
 * optimize the model and save the result beside it (to be kept once the caller has verified the
 * model file), or in a temporary file when the model's folder is read-only, and opens the pair from
 * that. Only if no file can be written at all does one session run everything, as before.
 */
class CpuSessionOpener {
  private written: OptimizedModelWrite | undefined;

  constructor(
    private readonly host: WorkerSession,
    private readonly modelPath: string,
    private readonly sha256: string,
  ) {}

  async open(options: InferenceSession.SessionOptions): Promise<SessionDescription> {
    const cachePath = optimizedModelPath(this.modelPath, this.sha256);
    if (await hasOptimizedModel(cachePath)) {
      try {
        return await this.host.openPair(cachePath, options);
      } catch {
        // Damaged or made by something else: optimize again below and replace it.
        await discardOptimizedModel(cachePath);
      }
    }
    const write = (await prepareOptimizedModelWrite(cachePath).catch(() => undefined)) ?? (await prepareScratchOptimizedModelWrite().catch(() => undefined));
    if (write === undefined) return this.host.open(this.modelPath, options);
    try {
      // Severity 3 (errors only): saving an NCHWc graph always logs a warning that it is CPU-specific, which the file name already handles.
      await this.host.optimize(this.modelPath, { ...withSessionEntries(options, { save_model_format: 'ORT' }), optimizedModelFilePath: write.tempPath, logSeverityLevel: 3 });
      const description = await this.host.openPair(write.tempPath, options);
      this.written = write;
      return description;
    } catch {
      // Most likely the copy could not be written (read-only folder); the plain open reports real model errors.
      await write.discard();
      return this.host.open(this.modelPath, options);
    }
  }

  /** Moves a freshly written optimized copy into place; failing to is only a slower next start. */
  async keepOptimizedCopy(): Promise<void> {
    const write = this.written;
    this.written = undefined;
    await write?.commit();
  }

  async dropOptimizedCopy(): Promise<void> {
    const write = this.written;
    this.written = undefined;
    await write?.discard();
  }
}

/** Streams the file through SHA-256 so a 100 MB model never sits in memory twice. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function assertModelFile(path: string): Promise<void> {
  try {
    const stats = await stat(path);
    if (!stats.isFile()) throw new ModelMismatchError(path, 'model path is not a regular file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelMissingError(path);
    throw error;
  }
}

function rerunHint(manifest: ModelManifest, path: string): string {
  if (manifest.source === 'download') return '`npx shoplens model fetch`';
  if (manifest.source === 'import') return '`npx shoplens model import <the original .onnx> --activate`';
  if (manifest.source === 'quantized') return '`npx shoplens model quantize` on the float backbone';
  if (manifest.source === 'generated') {
    return `\`npx shoplens model generate --arch ${manifest.arch} --seed <seed> --out ${path}\``;
  }
  return '`npx shoplens model fetch` or `npx shoplens model generate`';
}

/**
 * Checks the session exposes the manifest's tensor names and, where the graph declares fixed
 * sizes, the manifest's input size and dimension. Symbolic dimensions (the batch) are skipped.
 */
function assertContract(path: string, manifest: ModelManifest, session: SessionDescription): void {
  if (!session.inputNames.includes(manifest.inputName)) {
    throw new ModelMismatchError(
      path,
      `manifest input "${manifest.inputName}" is not in the model (inputs: ${session.inputNames.join(', ')})`,
    );
  }
  if (!session.outputNames.includes(manifest.outputName)) {
    throw new ModelMismatchError(
      path,
      `manifest output "${manifest.outputName}" is not in the model (outputs: ${session.outputNames.join(', ')})`,
    );
  }
  const input = tensorShape(session.inputMetadata, manifest.inputName);
  if (input !== undefined && !shapeAllows(input, [undefined, 3, manifest.inputSize, manifest.inputSize])) {
    throw new ModelMismatchError(path, `input shape [${input.join(', ')}] does not accept [N, 3, ${manifest.inputSize}, ${manifest.inputSize}]`);
  }
  const output = tensorShape(session.outputMetadata, manifest.outputName);
  const fixed = output?.slice(1).filter((dim): dim is number => typeof dim === 'number');
  if (output !== undefined && fixed !== undefined && fixed.length === output.length - 1) {
    const perImage = fixed.reduce((product, dim) => product * dim, 1);
    if (perImage !== manifest.dimension) {
      throw new ModelMismatchError(path, `output shape [${output.join(', ')}] does not give ${manifest.dimension} values per image`);
    }
  }
}

function tensorShape(
  metadata: readonly InferenceSession.ValueMetadata[],
  name: string,
): ReadonlyArray<number | string> | undefined {
  const entry = metadata.find((value) => value.name === name);
  if (entry === undefined || !entry.isTensor || entry.shape.length === 0) return undefined;
  return entry.shape;
}

function shapeAllows(shape: ReadonlyArray<number | string>, expected: ReadonlyArray<number | undefined>): boolean {
  if (shape.length !== expected.length) return false;
  return shape.every((dim, i) => typeof dim !== 'number' || dim < 0 || expected[i] === undefined || dim === expected[i]);
}

/** Names and shapes of a session's inputs and outputs, as reported by ONNX Runtime. */
export interface SessionDescription {
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputMetadata: readonly InferenceSession.ValueMetadata[];
  outputMetadata: readonly InferenceSession.ValueMetadata[];
}

interface WorkerReply {
  id: number;
  ok: boolean;
  result?: unknown;
  message?: string;
}

/**
 * Code of the inference worker. onnxruntime-node's `session.run` is synchronous C++ behind a
 * promise: it blocks its thread for the whole forward pass (≈50 ms for a batch of 2 on 2 cores).
 * On the main thread that would freeze the bot and stall the image decoding the embedder wants
 * to overlap with inference, so the sessions live here. The worker also schedules: customers'
 * photos (interactive) go before catalog batches (bulk), and those that arrived while the network
 * was busy are run as one batch — micro-batching without a timer, so a lone photo never waits.
 * Plain CommonJS evaluated from a string, so the same worker runs unchanged whether the app runs
 * compiled (`npm start`) or as TypeScript through tsx (CLI, tests), and never needs a loader.
 */
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const ort = require(workerData.ortPath);
const maxBatch = workerData.maxBatch;
// session runs batches; loneSession, when open, runs a customer photo that has the worker to
// itself; both read their weights from modelBytes, which must outlive them.
let session = null;
let loneSession = null;
let modelBytes = null;
let mergeBuffer = null;
const jobs = [];
let pumping = false;
const describe = (list) => list.map((m) => m.isTensor
  ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] }
  : { name: m.name, isTensor: false });
async function releaseAll() {
  const open = [session, loneSession].filter(Boolean);
  session = null;
  loneSession = null;
  for (const each of open) await each.release();
  modelBytes = null;
}
const controls = {
  async open({ model, options, loneOptions }) {
    await releaseAll();
    if (loneOptions) {
      modelBytes = readFileSync(model);
      session = await ort.InferenceSession.create(modelBytes, options);
      loneSession = await ort.InferenceSession.create(modelBytes, loneOptions);
    } else {
      session = await ort.InferenceSession.create(model, options);
    }
    return { value: {
      inputNames: [...session.inputNames], outputNames: [...session.outputNames],
      inputMetadata: describe(session.inputMetadata), outputMetadata: describe(session.outputMetadata),
    } };
  },
  async optimize({ model, options }) {
    const optimizing = await ort.InferenceSession.create(model, options);
    await optimizing.release();
    return { value: null };
  },
  async release() {
    await releaseAll();
    return { value: null };
  },
};
const reply = (id, value, transfer) => parentPort.postMessage({ id, ok: true, result: value }, transfer || []);
const fail = (id, error) => parentPort.postMessage({ id, ok: false, message: error instanceof Error ? error.message : String(error) });
// Interactive requests (one customer photo each) that arrived while the network was busy run
// together as one batch, ahead of queued bulk batches; bulk batches run one per call, in order.
function nextBatch(runnable) {
  const interactive = runnable.filter((job) => job.args.priority === 'interactive');
  if (interactive.length === 0) return [runnable[0]];
  const batch = [];
  let images = 0;
  for (const job of interactive) {
    if (batch.length > 0 && images + job.args.dims[0] > maxBatch) break;
    batch.push(job);
    images += job.args.dims[0];
  }
  return batch;
}
// A photo that runs alone goes to the spinning session: its worker threads stay awake between
// operators instead of being woken ~55 times (see loneRunOptions). Anything else would let that
// spinning take cores from work that is waiting.
function sessionFor(batch) {
  const alone = batch.length === 1 && jobs.length === 0 && batch[0].args.priority === 'interactive';
  return alone && loneSession ? loneSession : session;
}
async function runBatch(batch) {
  if (!session) throw new Error('no session is open');
  const { inputName, outputName, dims } = batch[0].args;
  const count = batch.reduce((sum, job) => sum + job.args.dims[0], 0);
  let data = batch[0].args.data;
  if (batch.length > 1) {
    // Merged photos go into one buffer kept for the next merge: fresh memory per run page-faults.
    const length = batch.reduce((sum, job) => sum + job.args.data.length, 0);
    if (!mergeBuffer || mergeBuffer.length !== length) mergeBuffer = new Float32Array(length);
    data = mergeBuffer;
    let offset = 0;
    for (const job of batch) { data.set(job.args.data, offset); offset += job.args.data.length; }
  }
  const runner = sessionFor(batch);
  const outputs = await runner.run({ [inputName]: new ort.Tensor('float32', data, [count, ...dims.slice(1)]) }, [outputName]);
  const output = outputs[outputName];
  if (!output || !(output.data instanceof Float32Array)) throw new Error('output "' + outputName + '" is not a float32 tensor');
  const perImage = output.data.length / count;
  let row = 0;
  for (const job of batch) {
    const images = job.args.dims[0];
    const part = output.data.slice(row * perImage, (row + images) * perImage);
    row += images;
    // The input goes back too, for the main thread to reuse (ONNX Runtime is done with it).
    const input = job.args.data;
    reply(job.id, { data: part, dims: [images, ...output.dims.slice(1)], input, alone: runner === loneSession }, [part.buffer, input.buffer]);
  }
}
async function pump() {
  while (jobs.length > 0) {
    const control = jobs.findIndex((job) => job.type !== 'run');
    if (control === 0) {
      const job = jobs.shift();
      try {
        const { value } = await controls[job.type](job.args);
        reply(job.id, value);
      } catch (error) {
        fail(job.id, error);
      }
      continue;
    }
    const batch = nextBatch(control === -1 ? jobs : jobs.slice(0, control));
    for (const job of batch) jobs.splice(jobs.indexOf(job), 1);
    try {
      await runBatch(batch);
    } catch (error) {
      for (const job of batch) fail(job.id, error);
    }
    // Let requests that arrived during the run in before choosing the next batch.
    await new Promise((resolve) => setImmediate(resolve));
  }
  pumping = false;
}
parentPort.on('message', (job) => {
  jobs.push(job);
  if (!pumping) {
    pumping = true;
    setImmediate(() => void pump());
  }
});
`;

/**
 * ONNX Runtime hosted in a worker thread: one session, or on the CPU the pair of {@link WorkerSession.openPair};
 * requests are served one at a time, customer photos first.
 */
class WorkerSession {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`inference worker exited with code ${code}`)));
    // An idle worker must not keep the process alive if a caller forgets close().
    worker.unref();
  }

  /** @param maxBatch most images one merged interactive run may hold. */
  static start(maxBatch: number): WorkerSession {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
    // execArgv [] keeps a parent's loader flags (tsx under the CLI and tests) out of a worker that needs none.
    return new WorkerSession(new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath, maxBatch }, execArgv: [] }));
  }

  /** One session on the model file; every run uses it. */
  async open(model: string, options: InferenceSession.SessionOptions): Promise<SessionDescription> {
    return (await this.request('open', { model, options })) as SessionDescription;
  }

  /**
   * Two sessions on one optimized graph in ONNX Runtime's format (`ortModel`), both reading their
   * weights from the same bytes in the worker's memory: `options` for batches, and
   * {@link loneRunOptions} for a customer photo that runs alone (see the worker's `sessionFor`).
   */
  async openPair(ortModel: string, options: InferenceSession.SessionOptions): Promise<SessionDescription> {
    const shared = sharedBytesOptions(options);
    return (await this.request('open', { model: ortModel, options: shared, loneOptions: loneRunOptions(shared) })) as SessionDescription;
  }

  /** Opens a session only for ONNX Runtime to write its optimized graph (`options.optimizedModelFilePath`), then closes it. */
  async optimize(model: string, options: InferenceSession.SessionOptions): Promise<void> {
    await this.request('optimize', { model, options });
  }

  /**
   * Runs one batch; `data` is transferred to the worker and must not be used afterwards.
   * @returns the output, and the input's memory back (`input`), free for reuse.
   */
  async run(
    inputName: string,
    outputName: string,
    data: Float32Array,
    dims: readonly number[],
    priority: InferencePriority,
  ): Promise<{ data: Float32Array; dims: number[]; input: Float32Array; alone: boolean }> {
    const result = await this.request('run', { inputName, outputName, data, dims, priority }, [data.buffer as ArrayBuffer]);
    return result as { data: Float32Array; dims: number[]; input: Float32Array; alone: boolean };
  }

  async close(): Promise<void> {
    if (this.failure === undefined) {
      await this.request('release', {}).catch(() => undefined);
    }
    await this.worker.terminate();
  }

  private request(type: string, args: object, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    const reply = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, type, args }, transfer);
    return reply;
  }

  private settle({ id, ok, result, message }: WorkerReply): void {
    const waiter = this.pending.get(id);
    if (waiter === undefined) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    if (ok) waiter.resolve(result);
    else waiter.reject(new Error(message));
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
