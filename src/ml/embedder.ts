/**
 * Photos in, vectors out. `embed` serves one customer photo; `embedAll` indexes a catalogue,
 * overlapping the decoding of upcoming images with inference of the current batch so the
 * (expensive) network never waits for the (cheaper) decoder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';
import type { Config } from '../config/index.ts';
import type { Backbone } from './backbone.ts';
import { ImageRejectedError } from './image-errors.ts';
import { inputBuffers } from './input-buffers.ts';
import { preprocessFile, preprocessImage, type PreprocessMode, type PreprocessSettings, type PreprocessedImage } from './preprocess.ts';

/** One image to embed: bytes already in memory, or a file to read. Exactly one of `path`/`data`. */
export interface ImageInput {
  /** Label used in error messages and to match outcomes to inputs (file path, upload id). */
  source: string;
  path?: string;
  data?: Buffer;
}

/** The embedding of one image. */
export interface ImageEmbedding {
  /** Raw pooled backbone features, length = backbone dimension (2048). Non-negative for ResNets. */
  features: Float32Array;
  /** `features` scaled to unit L2 norm: what is stored and compared by cosine similarity. */
  embedding: Float32Array;
  /** Original width in pixels, after EXIF orientation. */
  width: number;
  /** Original height in pixels, after EXIF orientation. */
  height: number;
  /** Lower-case hex SHA-256 of the encoded image bytes. */
  sha256: string;
}

/** Result for one input of {@link ImageEmbedder.embedAll}; a bad image is an outcome, not an exception. */
export type EmbedOutcome =
  | { input: ImageInput; ok: true; image: ImageEmbedding }
  | { input: ImageInput; ok: false; error: ImageRejectedError };

export interface EmbedderOptions {
  mode: PreprocessMode;
  /** Largest accepted encoded image, in bytes. */
  maxBytes: number;
  /** Largest accepted decoded image, in pixels (width × height). */
  maxPixels: number;
  /** Images per inference call in `embedAll` (default 2). */
  batchSize?: number;
  /**
   * Images read and decoded at the same time in `embedAll` (default: one per core, at least 2, at
   * most 4; 2 measured best on a 2-core machine, see bench/embed.bench.ts). Each sharp
   * call holds a libuv threadpool thread (4 unless UV_THREADPOOL_SIZE says otherwise) while libvips
   * worker threads do the pixel work, so more than 4 only queues; on a small machine every extra
   * decoder also takes CPU from inference.
   */
  decodeConcurrency?: number;
  /**
   * Nice value (0–19) given to libvips' decoder threads while `embedAll` runs, Linux only;
   * default 10, 0 leaves priorities alone. With both cores busy, the scheduler then favours
   * inference (the bottleneck) and decoding uses what inference leaves idle, instead of the two
   * slowing each other down. libvips threads only ever run sharp work, so nothing else is slowed;
   * the change is permanent for those threads (raising priority back needs privileges).
   */
  decodeNiceness?: number;
}

export interface EmbedAllOptions {
  /** Called once per finished input, in order, with counts of inputs (not batches). */
  onProgress?: (done: number, total: number) => void;
  /** Stops scheduling work; the generator then throws the signal's reason. */
  signal?: AbortSignal;
}

/** Default images per inference call: enough to amortise per-call overhead, small enough for RAM. */
export const DEFAULT_BATCH_SIZE = 2;
const DEFAULT_DECODE_NICENESS = 10;
/** Batches handed to the inference worker ahead of the one being awaited: one running, one queued. */
const INFERENCE_DEPTH = 2;

/** Embedder settings from the app configuration (`PREPROCESS_MODE`, `ML_BATCH_SIZE`, image limits). */
export function embedderOptionsFromConfig(config: Pick<Config, 'model' | 'images'>): EmbedderOptions {
  return {
    mode: config.model.preprocessMode,
    batchSize: config.model.batchSize,
    maxBytes: config.images.maxBytes,
    maxPixels: config.images.maxPixels,
  };
}

/** Turns images into embeddings with one {@link Backbone}. Cheap to construct; owns nothing. */
export class ImageEmbedder {
  private readonly settings: PreprocessSettings;
  private readonly batchSize: number;
  /** Images decoded at once by `embedAll`, after defaults. */
  readonly decodeConcurrency: number;
  /** @internal */
  readonly decodeNiceness: number;

  constructor(
    readonly backbone: Backbone,
    options: EmbedderOptions,
  ) {
    const { manifest } = backbone;
    this.settings = {
      mode: options.mode,
      inputSize: manifest.inputSize,
      mean: manifest.mean,
      std: manifest.std,
      maxBytes: options.maxBytes,
      maxPixels: options.maxPixels,
    };
    this.batchSize = positiveInteger(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize');
    this.decodeConcurrency = positiveInteger(
      options.decodeConcurrency ?? Math.min(4, Math.max(2, availableParallelism())),
      'decodeConcurrency',
    );
    this.decodeNiceness = Math.min(19, Math.max(0, Math.trunc(options.decodeNiceness ?? DEFAULT_DECODE_NICENESS)));
  }

  /** Identifier stored next to each vector; see {@link Backbone.modelId}. */
  get modelId(): string {
    return this.backbone.modelId;
  }

  /** Length of every vector this embedder produces. */
  get dimension(): number {
    return this.backbone.dimension;
  }

  /**
   * Embeds one encoded image.
   * @param source label for error messages (upload id, file name).
   * @throws {ImageRejectedError} when the bytes are not a usable image.
   */
  async embed(input: Buffer, source: string): Promise<ImageEmbedding> {
    const image = await preprocessImage(input, { ...this.settings, source });
    const features = await this.backbone.run(image.tensor, 1, 'interactive', true);
    return toEmbedding(features, image);
  }

  /**
   * Embeds many images, yielding one outcome per input in input order. Up to `decodeConcurrency`
   * images decode while earlier batches run through the network, so for large catalogues the
   * throughput is close to the network's own. Rejected images become `ok: false` outcomes.
   * @throws {TypeError} up front if an input has neither or both of `path` and `data`.
   * @throws the signal's reason when aborted; errors of the network itself (not of an image).
   */
  async *embedAll(inputs: readonly ImageInput[], options: EmbedAllOptions = {}): AsyncGenerator<EmbedOutcome> {
    inputs.forEach(assertOneSource);
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    const pipeline = new EmbedPipeline(this, inputs, this.batchSize, this.decodeConcurrency);
    try {
      let done = 0;
      for (let batch = 0; batch < pipeline.batchCount; batch += 1) {
        const outcomes = await untilAborted(pipeline.results(batch), signal);
        for (const outcome of outcomes) {
          done += 1;
          onProgress?.(done, inputs.length);
          yield outcome;
        }
      }
    } finally {
      pipeline.stop();
    }
  }

  /** @internal Reads/decodes one input; never rejects for problems with the image itself. */
  async prepare(input: ImageInput): Promise<PreprocessedImage | ImageRejectedError> {
    try {
      if (input.data !== undefined) return await preprocessImage(input.data, { ...this.settings, source: input.source });
      return await preprocessFile(input.path!, { ...this.settings, source: input.source });
    } catch (error) {
      if (error instanceof ImageRejectedError) return error;
      throw error;
    }
  }
}

type Prepared = PreprocessedImage | ImageRejectedError;

/**
 * Schedules one `embedAll` call. Three stages run at once: up to `concurrency` images decode on
 * libuv's threadpool, up to {@link INFERENCE_DEPTH} batches sit in the inference worker (so it goes
 * from one batch straight to the next without a round trip through this thread), and finished
 * outcomes wait for the consumer. Decoding runs at most `INFERENCE_DEPTH + 1` batches ahead of the
 * consumer, which bounds memory (≈0.6 MB per decoded 224×224 image).
 */
class EmbedPipeline {
  readonly batchCount: number;
  /** One slot per input, resolved when its decode finishes; batches wait on slots, not on the scheduler. */
  private readonly slots: Deferred<Prepared>[];
  private readonly batches: Promise<EmbedOutcome[]>[] = [];
  /** Resolves when the previous batch has been handed to the worker, so batches enter it in order. */
  private lastSubmission: Promise<void> = Promise.resolve();
  private started = 0;
  private decoding = 0;
  private consumedBatches = 0;
  private stopped = false;

  constructor(
    private readonly embedder: ImageEmbedder,
    private readonly inputs: readonly ImageInput[],
    private readonly batchSize: number,
    private readonly concurrency: number,
  ) {
    this.batchCount = Math.ceil(inputs.length / batchSize);
    rescanDecoderThreads();
    this.slots = inputs.map(() => {
      const slot = deferred<Prepared>();
      // Slots of batches the consumer never reaches (early break) are never awaited.
      slot.promise.catch(() => undefined);
      return slot;
    });
    this.fillDecoders();
    for (let batch = 0; batch < Math.min(INFERENCE_DEPTH, this.batchCount); batch += 1) this.launchBatch(batch);
  }

  /** Outcomes of batch `index`; batches must be requested in order. */
  async results(index: number): Promise<EmbedOutcome[]> {
    const outcomes = await this.batches[index]!;
    this.consumedBatches = index + 1;
    if (index + INFERENCE_DEPTH < this.batchCount) this.launchBatch(index + INFERENCE_DEPTH);
    this.fillDecoders();
    return outcomes;
  }

  /** Stops starting new work; work already started finishes and is discarded. */
  stop(): void {
    this.stopped = true;
  }

  private fillDecoders(): void {
    const horizon = Math.min(this.inputs.length, (this.consumedBatches + INFERENCE_DEPTH + 1) * this.batchSize);
    while (!this.stopped && this.decoding < this.concurrency && this.started < horizon) {
      const index = this.started++;
      const slot = this.slots[index]!;
      this.decoding += 1;
      this.embedder
        .prepare(this.inputs[index]!)
        .then(slot.resolve, slot.reject)
        .finally(() => {
          this.decoding -= 1;
          // libvips creates its workers lazily, so look for new ones as decodes finish.
          if (this.embedder.decodeNiceness > 0) lowerDecoderPriority(this.embedder.decodeNiceness);
          this.fillDecoders();
        });
    }
  }

  private launchBatch(index: number): void {
    const start = index * this.batchSize;
    const end = Math.min(start + this.batchSize, this.inputs.length);
    const previous = this.lastSubmission;
    const submission = deferred<void>();
    this.lastSubmission = submission.promise;
    const outcomes = this.runBatch(start, end, previous, submission.resolve);
    // Whatever happens to this batch, the next one must not wait forever for its turn.
    outcomes.finally(submission.resolve).catch(() => undefined);
    this.batches[index] = outcomes;
  }

  private async runBatch(start: number, end: number, previous: Promise<void>, submitted: () => void): Promise<EmbedOutcome[]> {
    const items = await Promise.all(this.slots.slice(start, end).map((slot) => slot.promise));
    const images = items.filter((item): item is PreprocessedImage => !(item instanceof ImageRejectedError));
    let features: Float32Array = new Float32Array(0);
    if (images.length > 0) {
      const { backbone } = this.embedder;
      const batch = inputBuffers.take(images.length * backbone.imageLength);
      images.forEach((image, i) => {
        batch.set(image.tensor, i * backbone.imageLength);
        inputBuffers.give(image.tensor);
      });
      await previous;
      if (this.stopped) return [];
      const running = backbone.run(batch, images.length, 'bulk', true);
      submitted();
      features = await running;
    }
    const dimension = this.embedder.dimension;
    let row = 0;
    return items.map((item, i): EmbedOutcome => {
      const input = this.inputs[start + i]!;
      if (item instanceof ImageRejectedError) return { input, ok: false, error: item };
      const offset = row++ * dimension;
      return { input, ok: true, image: toEmbedding(features.subarray(offset, offset + dimension), item) };
    });
  }
}

function toEmbedding(features: Float32Array, image: PreprocessedImage): ImageEmbedding {
  const own = features.slice();
  return { features: own, embedding: l2Normalize(own), width: image.width, height: image.height, sha256: image.sha256 };
}

/**
 * Returns a unit-length copy of `v` (Euclidean norm 1, accumulated in float64).
 * An all-zero vector has no direction and is returned as a zero copy.
 */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i += 1) sum += v[i]! * v[i]!;
  const out = new Float32Array(v.length);
  if (sum === 0) return out;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i += 1) out[i] = v[i]! * scale;
  return out;
}

/**
 * Cosine of the angle between `a` and `b`, in [-1, 1]; 0 when either is all zeros.
 * @throws {RangeError} if the lengths differ (vectors from different models).
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`cannot compare vectors of length ${a.length} and ${b.length}`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  if (normA === 0 || normB === 0) return 0;
  return dot / Math.sqrt(normA * normB);
}

/**
 * Thread ids {@link lowerDecoderPriority} has already examined, so a scan costs one readdir plus a
 * /proc read per new thread. Cleared at the start of each `embedAll`, so a thread id the kernel
 * reused, or a thread examined before libvips named it, is looked at again.
 */
const examinedThreads = new Set<string>();

/** Forgets which threads were examined; see {@link examinedThreads}. */
function rescanDecoderThreads(): void {
  examinedThreads.clear();
}
/** libvips names its pool threads "libvips worker" (older releases: "vips-…"). */
const LIBVIPS_THREAD = /^(libvips|vips)/;

/**
 * Lowers the scheduling priority of this process's libvips threads to `niceness` (Linux; a no-op
 * elsewhere or when /proc is unavailable). On Linux, setpriority on a thread id affects only that
 * thread. Returns how many threads were changed by this call.
 */
export function lowerDecoderPriority(niceness: number): number {
  if (process.platform !== 'linux') return 0;
  let changed = 0;
  let threadIds: string[];
  try {
    threadIds = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  for (const tid of threadIds) {
    if (examinedThreads.has(tid)) continue;
    examinedThreads.add(tid);
    try {
      if (LIBVIPS_THREAD.test(readFileSync(`/proc/self/task/${tid}/comm`, 'utf8'))) {
        setPriority(Number(tid), niceness);
        changed += 1;
      }
    } catch {
      // The thread exited between listing and reading; nothing to do.
    }
  }
  return changed;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** `Promise.withResolvers`, which Node 20 does not have yet. */
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves like `work`, or rejects with the signal's reason as soon as it aborts. */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function assertOneSource(input: ImageInput, index: number): void {
  if ((input.path === undefined) === (input.data === undefined)) {
    throw new TypeError(`input ${index} (${input.source}) must have exactly one of path or data`);
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
