/**
 * Adapts the training service to what a chat channel needs for `/train`: a progress fraction
 * while epochs pass and a one-line verdict at the end.
 */
import type { TrainingService } from './training-service.ts';

export interface ChatTrainingPort {
  isRunning(): boolean;
  /** `charts`: PNG paths (loss/accuracy curves, confusion matrix) of a finished run. */
  startTraining(onProgress: (fraction: number) => void): Promise<{ readonly summary: string; readonly charts?: readonly string[] }>;
}

export function trainingPortFor(service: TrainingService): ChatTrainingPort {
  return {
    isRunning: () => service.isRunning(),
    async startTraining(onProgress) {
      const result = await service.startTraining({ trigger: 'chat', onEpoch: (epoch) => onProgress(epoch.epoch / epoch.epochs) });
      if (result.status !== 'success') return { summary: `Training skipped: ${result.reason}` };
      const accuracy = (result.valAccuracy * 100).toFixed(1);
      const verdict = result.promoted ? 'promoted, now used by search' : `kept the current head (${result.promotionReason})`;
      return {
        charts: [result.files.curves, result.files.confusion],
        summary: `${result.recipe} head on ${result.classes.length} categories: validation accuracy ${accuracy}% — ${verdict}.`,
      };
    },
  };
}
