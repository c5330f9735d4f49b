/**
 * Chooses where ONNX Runtime runs. The npm package ships CPU binaries only; CUDA works only when
 * the user has installed the CUDA provider libraries, so asking for it must degrade to CPU with a
 * warning rather than stop the shop's bot from starting.
 */
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** What the configuration asks for (`ML_DEVICE`). */
export type DeviceRequest = 'cpu' | 'cuda' | 'auto';

/** What a session actually runs on. */
export type ActiveProvider = 'cpu' | 'cuda';

/** The slice of a pino logger this module needs; tests pass a recorder. */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

/**
 * Execution providers to try, most preferred first. `cuda` and `auto` both try CUDA then CPU;
 * they differ only in how loudly a fallback is reported (see {@link createInferenceSession}).
 */
export function resolveExecutionProviders(device: DeviceRequest): readonly ActiveProvider[] {
  return device === 'cpu' ? ['cpu'] : ['cuda', 'cpu'];
}

export interface InferenceSessionSettings {
  device: DeviceRequest;
  /** Intra-op threads for one inference; 0 = automatic, see {@link resolveThreads}. */
  threads: number;
  /**
   * Keep ONNX Runtime's CPU memory arena (default true). Without it every run takes its working
   * memory from malloc and returns it; with a new input buffer per photo, as in serving, glibc then
   * keeps handing out fresh pages, and the page faults made one customer photo's inference 43–45 ms
   * instead of 26–27 ms in the assistant (bench:bot, 2 cores, ResNet-50). The arena keeps the
   * largest batch's working memory for good instead: at the default batch of 2 that is less than
   * malloc held (RSS 213 against 220–228 MB for the session), but a batch of 32 keeps ~700 MB.
   */
  memoryArena?: boolean;
  /**
   * Let idle ONNX Runtime workers spin-wait for the next op (faster when the CPU is otherwise idle,
   * but on a small machine the spinning steals cores from image decoding). Default false.
   */
  allowSpinning?: boolean;
  logger: WarnLogger;
}

export interface CreatedSession<S = ort.InferenceSession> {
  session: S;
  provider: ActiveProvider;
}

/** Opens a session with the given options; lets the same fallback logic drive an in-thread or worker-hosted session. */
export type SessionOpener<S> = (options: ort.InferenceSession.SessionOptions) => Promise<S>;

/**
 * Intra-op threads for `ML_THREADS`: a positive number is taken as is; 0 means every core this
 * process may use (`os.availableParallelism()`). ONNX Runtime's own default counts physical cores
 * and on some VMs (this project's 2-vCPU machines) finds one, leaving the other core idle while a
 * customer waits. Bulk embedding needs no smaller number: its image decoding runs at a lower OS
 * priority (see embedder.ts), so inference keeps the cores and decoding uses what is left.
 */
export function resolveThreads(threads: number): number {
  return threads > 0 ? threads : Math.max(1, availableParallelism());
}

/** Session options shared by every attempt; only the provider list differs. */
export function sessionOptionsFor(
  providers: readonly ActiveProvider[],
  { threads, allowSpinning = false, memoryArena = true }: Pick<InferenceSessionSettings, 'threads' | 'allowSpinning' | 'memoryArena'>,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [...providers],
    intraOpNumThreads: resolveThreads(threads),
    enableCpuMemArena: memoryArena,
    graphOptimizationLevel: 'all',
    // One model, one request at a time per session: parallel mode only adds scheduling overhead.
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: allowSpinning ? '1' : '0' } } },
  };
}

/**
 * `options` for the session that runs a lone customer photo: ONNX Runtime's workers spin-wait
 * between the operators of a run and stop when it ends (`force_spinning_stop`). Without spinning,
 * each of ResNet-50's ~55 parallel operators wakes a worker that went to sleep, and after the CPU
 * has been idle a while those wake-ups can be slow: on the slower of this project's 2-core VMs one
 * inference after a 150 ms pause took 37–41 ms against 27–28 ms with spinning, and a lone
 * customer's whole answer after 0.3 s idle 55–64 ms against 40–49 ms (bench:bot, p50s of 5 and 9
 * runs; README, Scaling). The batch session keeps spinning off: with every core busy, a spinning
 * worker takes CPU from image decoding (10 customers got 0.58–0.61× of raw inference instead of
 * 0.65–0.66× when one spinning session served everything).
 */
export function loneRunOptions(options: ort.InferenceSession.SessionOptions): ort.InferenceSession.SessionOptions {
  return withSessionEntries(options, { intra_op: { allow_spinning: '1' }, force_spinning_stop: '1' });
}

/**
 * `options` with more of ONNX Runtime's `session.*` configuration entries, written as the nested
 * objects the Node binding joins with dots (`{ intra_op: { allow_spinning: '1' } }` is
 * `session.intra_op.allow_spinning`). Entries already in `options` stay unless `entries` names them.
 */
export function withSessionEntries(options: ort.InferenceSession.SessionOptions, entries: Readonly<Record<string, unknown>>): ort.InferenceSession.SessionOptions {
  return { ...options, extra: { ...options.extra, session: mergeEntries((options.extra?.session ?? {}) as Record<string, unknown>, entries) } };
}

function mergeEntries(base: Readonly<Record<string, unknown>>, entries: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(entries)) {
    const existing = merged[key];
    merged[key] = isEntryGroup(value) && isEntryGroup(existing) ? mergeEntries(existing, value) : value;
  }
  return merged;
}

function isEntryGroup(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Opens a session on the best available provider through `open`.
 * @returns the session and the provider it runs on; a CUDA failure falls back to CPU and logs
 *   one warning (with the runtime's reason) through `settings.logger.warn`.
 * @throws whatever the CPU attempt throws (bad model file, unsupported operator).
 */
export async function openWithFallback<S>(
  open: SessionOpener<S>,
  settings: InferenceSessionSettings,
  cudaInstalled: () => boolean = () => cudaProviderLibrary() !== undefined,
): Promise<CreatedSession<S>> {
  const providers = resolveExecutionProviders(settings.device);
  if (providers[0] === 'cuda') {
    if (!cudaInstalled()) {
      // Skipping the attempt spares the log a multi-line native error from ONNX Runtime on every
      // start of a CPU-only install; the outcome is the same as a failed attempt.
      warnFallback(settings, 'the CUDA execution provider library is not installed next to onnxruntime-node');
    } else {
      try {
        return { session: await open(sessionOptionsFor(providers, settings)), provider: 'cuda' };
      } catch (error) {
        // Missing CUDA/cuDNN libraries or no GPU: an expected deployment, not a crash.
        warnFallback(settings, error instanceof Error ? error.message : String(error));
      }
    }
  }
  return { session: await open(sessionOptionsFor(['cpu'], settings)), provider: 'cpu' };
}

function warnFallback(settings: InferenceSessionSettings, reason: string): void {
  settings.logger.warn(
    { device: settings.device, err: reason },
    settings.device === 'cuda'
      ? 'CUDA was requested (ML_DEVICE=cuda) but is not available; running on CPU instead'
      : 'CUDA is not available; running on CPU',
  );
}

/**
 * Path of onnxruntime-node's CUDA provider library, if installed. The npm package ships CPU
 * binaries; its install script (disabled in this project) or a manual copy adds the CUDA ones to
 * the same directory as the native binding, which is where ONNX Runtime looks for them.
 */
export function cudaProviderLibrary(): string | undefined {
  const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    for (const napi of readdirSync(bin)) {
      const candidate = join(bin, napi, process.platform, process.arch, library);
      if (existsSync(candidate)) return candidate;
    }
  } catch {
    // An unexpected package layout means we cannot tell; let the real attempt decide.
    return library;
  }
  return undefined;
}

/**
 * Creates an in-thread ONNX Runtime session on the best available provider (see
 * {@link openWithFallback}). Note that `session.run` of onnxruntime-node blocks the calling
 * thread for the whole inference; {@link Backbone} hosts its session in a worker for that reason.
 * @param model path of an `.onnx` file or its bytes.
 */
export function createInferenceSession(
  model: string | Uint8Array,
  settings: InferenceSessionSettings,
): Promise<CreatedSession> {
  return openWithFallback(
    (options) => (typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options)),
    settings,
  );
}
