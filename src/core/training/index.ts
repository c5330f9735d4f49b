/**
 * Everything training-related the assistant needs, built from its database, backbone and
 * settings: the service that trains, the registry of heads, the classifier search uses.
 */
import path from 'node:path';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../db/database.ts';
import type { EmbeddingModel } from '../ports.ts';
import { CategoryClassifier } from './category-classifier.ts';
import { HeadRegistry } from './head-registry.ts';
import { RetrainJob } from './retrain-job.ts';
import { TrainingHistory } from './run-history.ts';
import { TrainingService } from './training-service.ts';

export { CategoryClassifier } from './category-classifier.ts';
export type { StoredHead } from '../../db/repositories/classifier-models.ts';
export { HeadNotUsableError, HeadRegistry } from './head-registry.ts';
export { RetrainJob } from './retrain-job.ts';
export { RUN_CHARTS, TrainingHistory, type RunChart, type TrainingRunView } from './run-history.ts';
export { TrainingDataError } from './dataset.ts';
export { TrainingService, type StartTrainingOptions, type TrainingResult, type TrainingSuccess } from './training-service.ts';
export { InvalidHyperparametersError, RECIPE_NAMES, type RecipeName } from '../../../training/recipes.ts';
export { TrainingAbortedError } from '../../../training/run-in-worker.ts';

export interface TrainingComponents {
  readonly service: TrainingService;
  readonly heads: HeadRegistry;
  readonly classifier: CategoryClassifier;
  /** Not started; call `start(config.training.cron)` when `config.training.enabled`. */
  readonly retrainJob: RetrainJob;
  /** Past runs with their heads and charts (the dashboard's training page). */
  readonly history: TrainingHistory;
}

export interface TrainingComponentDependencies {
  readonly db: Database;
  readonly model: () => Promise<EmbeddingModel>;
  readonly config: Pick<Config, 'dataDir' | 'model' | 'training'>;
  /** Where `heads/` and `runs/` go; default: the directory of `MODEL_PATH` (`./models`). */
  readonly modelsDir?: string;
  readonly warn?: (message: string) => void;
}

/** Wires the training pieces together; the classifier reloads whenever the active head changes. */
export function createTrainingComponents(deps: TrainingComponentDependencies): TrainingComponents {
  const backboneModelId = async () => (await deps.model()).modelId;
  const classifier = new CategoryClassifier({ db: deps.db, backboneModelId });
  const onActiveHeadChanged = () => classifier.invalidate();
  const modelsDir = deps.modelsDir ?? path.dirname(deps.config.model.path);
  const service = new TrainingService({
    db: deps.db,
    model: deps.model,
    resolveImage: (relative) => path.resolve(deps.config.dataDir, relative),
    modelsDir,
    minImagesPerCategory: deps.config.training.minImagesPerCategory,
    promotionTolerance: deps.config.training.promotionTolerance,
    onActiveHeadChanged,
    ...(deps.warn ? { warn: deps.warn } : {}),
  });
  const heads = new HeadRegistry({ db: deps.db, onActiveHeadChanged });
  const retrainJob = new RetrainJob({ db: deps.db, training: service, backboneModelId, minImagesPerCategory: deps.config.training.minImagesPerCategory });
  return { service, heads, classifier, retrainJob, history: new TrainingHistory({ db: deps.db, modelsDir }) };
}
