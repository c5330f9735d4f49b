/**
 * Worker-thread entry: receives a {@link TrainingJob}, posts `epoch` messages while fitting and
 * one `done` (or `error`) message at the end. Started by {@link runTrainingInWorker}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainHead, type TrainingJob } from './pipeline.ts';

const port = parentPort;
if (port) {
  try {
    const output = trainHead(workerData as TrainingJob, (metrics) => port.postMessage({ type: 'epoch', metrics }));
    port.postMessage({ type: 'done', output });
  } catch (error) {
    port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}
