/**
 * Runs {@link trainHead} on a worker thread so customers' searches keep being answered while a
 * head trains, and so a run can be stopped at once (the thread is terminated).
 */
import { Worker } from 'node:worker_threads';
import { workerEntrySource } from '../src/project-layout.ts';
import type { TrainingJob, TrainingOutput } from './pipeline.ts';
import type { EpochMetrics } from './softmax.ts';

/** The run was stopped through its AbortSignal (shutdown, or the owner cancelled). */
export class TrainingAbortedError extends Error {
  constructor() {
    super('Training was interrupted.');
    this.name = 'TrainingAbortedError';
  }
}

const BOOTSTRAP = workerEntrySource(import.meta.url, 'worker');

type WorkerMessage =
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'done'; output: TrainingOutput }
  | { type: 'error'; message: string };

/**
 * Trains in a fresh worker thread, forwarding epochs to
 * `onEpoch`. Typed arrays are copied into the worker (structured clone).
 * @throws {TrainingAbortedError} when `signal` aborts; the worker is terminated.
 */
export function runTrainingInWorker(job: TrainingJob, options: { onEpoch?: (metrics: EpochMetrics) => void; signal?: AbortSignal } = {}): Promise<TrainingOutput> {
  if (options.signal?.aborted) return Promise.reject(new TrainingAbortedError());
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData: job });
  return new Promise<TrainingOutput>((resolve, reject) => {
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      action();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new TrainingAbortedError()));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'epoch') options.onEpoch?.(message.metrics);
      else if (message.type === 'done') finish(() => resolve(message.output));
      else finish(() => reject(new Error(`training failed: ${message.message}`)));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code}`))));
  });
}
