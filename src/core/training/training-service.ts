/**
 * Training a category head end to end: gather labelled images (catalog or `--data` folder),
 * split, extract features through the cache (augmenting training images), fit on a worker
 * thread, write charts and metrics, decide promotion and store the head. Single-flight within the
 * process and across processes (a lease row in the database).
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import { ClassifierModelRepository } from '../../db/repositories/classifier-models.ts';
import { FeatureCacheRepository } from '../../db/repositories/feature-cache.ts';
import { TrainingDataRepository } from '../../db/repositories/training-data.ts';
import { TrainingLockRepository } from '../../db/repositories/training-lock.ts';
import { TrainingRunRepository, type TrainingTrigger } from '../../db/repositories/training-runs.ts';
import { augmentImage, augmentationId, sampleAugmentation } from '../../ml/augment.ts';
import { deserializeHead, headAccuracy, serializeHead, type SerializedHead } from '../../../training/head.ts';
import { perClassMetrics, type ClassMetrics } from '../../../training/metrics.ts';
import { warmStartFor, type TrainingJob, type TrainingOutput, type WarmStart } from '../../../training/pipeline.ts';
import { resolveHyperparameters, type HyperparameterOverrides, type Hyperparameters, type RecipeName } from '../../../training/recipes.ts';
import { runTrainingInWorker, TrainingAbortedError } from '../../../training/run-in-worker.ts';
import type { EpochMetrics } from '../../../training/softmax.ts';
import { stratifiedSplit } from '../../../training/split.ts';
import type { EmbeddingModel } from '../ports.ts';
import { removeHeadFile, writeHeadFile, writeRunFiles, type RunFiles } from './artifacts.ts';
import { countByCategory, insufficiencyReason, labelledFile, readImageFolder, TrainingDataError, type LabelledImage } from './dataset.ts';
import { extractFeatures, type Augmenter } from './features.ts';
import { decidePromotion, type PromotionDecision } from './promotion.ts';

const LOCK_NAME = 'training';

export interface TrainingServiceDependencies {
  readonly db: Database;
  readonly model: () => Promise<EmbeddingModel>;
  /** Absolute path of a catalog image from its path relative to `DATA_DIR`. */
  readonly resolveImage: (relativePath: string) => string;
  /** The `models/` directory (heads and runs go under it). */
  readonly modelsDir: string;
  readonly minImagesPerCategory: number;
  /** Accuracy points (0–100), see {@link decidePromotion}. */
  readonly promotionTolerance: number;
  /** Default: the thesis augmentations of `src/ml/augment.ts`. */
  readonly augment?: Augmenter;
  /** Called after a head was promoted (e.g. to reload the classifier). */
  readonly onActiveHeadChanged?: () => void;
  readonly warn?: (message: string) => void;
  /** Lease length for the cross-process lock, seconds (renewed every third of it). */
  readonly leaseSeconds?: number;
}

export interface StartTrainingOptions {
  readonly recipe?: RecipeName;
  /** An ImageFolder tree to train on instead of the catalog. */
  readonly data?: string;
  readonly overrides?: HyperparameterOverrides;
  readonly trigger?: TrainingTrigger;
  readonly onEpoch?: (metrics: EpochMetrics) => void;
  /** Feature extraction progress (images embedded so far / to embed). */
  readonly onFeatures?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
  /** Receives this run's warnings (skipped images); default: the service's `warn`. */
  readonly onWarning?: (message: string) => void;
  /**
   * Continue from the active head when it has the same backbone, categories and recipe (default
   * true): a short fine-tuning run instead of training from random weights.
   */
  readonly warmStart?: boolean;
}

export interface TrainingSuccess {
  readonly status: 'success';
  readonly runId: string;
  readonly headId: string;
  readonly recipe: RecipeName;
  readonly classes: readonly string[];
  /** Training rows including augmented copies. */
  readonly trainSize: number;
  /** Original validation images. */
  readonly valSize: number;
  /** In [0, 1]. */
  readonly valAccuracy: number;
  readonly valLoss: number;
  readonly perClass: Record<string, ClassMetrics>;
  readonly confusion: number[][];
  readonly promoted: boolean;
  readonly promotionReason: string;
  readonly history: readonly EpochMetrics[];
  readonly bestEpoch: number;
  readonly hyperparameters: Hyperparameters;
  readonly cacheHits: number;
  readonly embedded: number;
  /** The head this run continued from, when it was warm-started. */
  readonly warmStartedFrom?: string;
  readonly files: RunFiles & { readonly head: string };
  readonly durationMs: number;
}

export type TrainingResult = TrainingSuccess | { readonly status: 'skipped'; readonly runId: string; readonly reason: string };

/** Starts training runs; at most one at a time per database. */
export class TrainingService {
  private running = false;
  private current: Promise<unknown> | undefined;
  private readonly shutdown = new AbortController();
  private readonly holder = `${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(private readonly deps: TrainingServiceDependencies) {}

  /** True while this process runs a training. */
  isRunning(): boolean {
    return this.running;
  }

  /**
   * Interrupts the run in progress, whoever started it (chat, cron, CLI), and refuses new ones:
   * shutdown calls this so it never waits for a training. The run is recorded as failed
   * ("Training was interrupted."); the active head is unchanged.
   */
  abortAll(): void {
    this.shutdown.abort();
  }

  /** Resolves once no run is in progress (after {@link abortAll}, within moments). */
  async idle(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  /**
   * Trains one head. Expected refusals (another run in progress) come back as `skipped`.
   * @throws {InvalidHyperparametersError} before anything starts, for bad settings.
   * @throws {TrainingDataError} for unusable data; the run is recorded as failed, the active head unchanged.
   * @throws {TrainingAbortedError} when `signal` aborts.
   */
  async startTraining(options: StartTrainingOptions = {}): Promise<TrainingResult> {
    const hyperparameters = resolveHyperparameters(options.recipe ?? 'best', options.overrides);
    const runId = newRunId();
    if (this.running) return { status: 'skipped', runId, reason: 'A training run is already in progress.' };
    if (this.shutdown.signal.aborted) throw new TrainingAbortedError();
    this.running = true;
    const signal = options.signal ? AbortSignal.any([options.signal, this.shutdown.signal]) : this.shutdown.signal;
    const run = this.withLock(runId, options.trigger ?? 'cli', () => this.run(runId, hyperparameters, { ...options, signal }));
    this.current = run;
    try {
      return await run;
    } finally {
      this.running = false;
      this.current = undefined;
    }
  }

  private async withLock(runId: string, trigger: TrainingTrigger, work: () => Promise<TrainingResult>): Promise<TrainingResult> {
    const lock = new TrainingLockRepository(this.deps.db);
    const lease = this.deps.leaseSeconds ?? 120;
    if (!(await lock.tryAcquire(LOCK_NAME, this.holder, lease))) {
      const reason = 'Another process is training right now.';
      await new TrainingRunRepository(this.deps.db).recordSkipped({ id: runId, trigger, reason, catalogRevision: null });
      return { status: 'skipped', runId, reason };
    }
    const heartbeat = setInterval(() => void lock.renew(LOCK_NAME, this.holder, lease).catch(() => undefined), (lease * 1000) / 3);
    heartbeat.unref();
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
      await lock.release(LOCK_NAME, this.holder);
    }
  }

  private async run(runId: string, h: Hyperparameters, options: StartTrainingOptions): Promise<TrainingResult> {
    const started = performance.now();
    const model = await this.deps.model();
    const runs = new TrainingRunRepository(this.deps.db);
    const revision = options.data ? null : (await new CatalogStateRepository(this.deps.db).revision()).revision;
    await runs.start({ id: runId, trigger: options.trigger ?? 'cli', recipe: h.recipe, catalogRevision: revision, backboneModelId: model.modelId });
    let headId: string | undefined;
    try {
      const prepared = await this.prepare(model, h, options);
      const output = await runTrainingInWorker(prepared.job, { ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      headId = `${h.recipe}-${runId}`;
      const result = await this.persist({ runId, headId, model, h, prepared, output, started });
      return result;
    } catch (error) {
      if (headId) await removeHeadFile(this.deps.modelsDir, headId);
      await runs.finish(runId, { status: 'failed', reason: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  /** Images → split → cached features → the worker's job. */
  private async prepare(model: EmbeddingModel, h: Hyperparameters, options: StartTrainingOptions): Promise<PreparedRun> {
    const images = options.data ? await readImageFolder(options.data) : await this.catalogImages(options);
    this.assertEnough(images);
    const categories = [...new Set(images.map((image) => image.category))].sort();
    const label = new Map(categories.map((category, index) => [category, index]));
    const split = stratifiedSplit(images.map((image) => ({ sha256: image.sha256, label: label.get(image.category)! })), h.validationFraction, h.seed);
    const requests = [
      ...split.validation.map((index) => ({ index, augmentation: 'original' })),
      ...split.train.flatMap((index) => Array.from({ length: h.augmentCopies + 1 }, (_, copy) => ({ index, augmentation: augmentationId(h.seed, copy) }))),
    ];
    const batch = await extractFeatures(requests.map((r) => ({ image: images[r.index]!, augmentation: r.augmentation })), {
      model,
      cache: new FeatureCacheRepository(this.deps.db),
      augment: this.deps.augment ?? defaultAugmenter(h.seed),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onFeatures ? { onProgress: options.onFeatures } : {}),
    });
    if (batch.rejected.length > 0) {
      if (options.data) throw new TrainingDataError(`Unreadable images in ${options.data}:\n  ${batch.rejected.join('\n  ')}`);
      for (const line of batch.rejected) this.warn(options, `skipping unreadable catalog image ${line}`);
    }
    const usable = requests.map((r, i) => ({ ...r, features: batch.features[i] })).filter((r) => r.features !== undefined);
    this.assertEnough(usable.filter((r) => r.augmentation === 'original').map((r) => images[r.index]!));
    const toSet = (rows: typeof usable) => packRows(rows.map((r) => ({ features: r.features!, label: label.get(images[r.index]!.category)!, group: r.index })), model.dimension);
    const validationSet = new Set(split.validation);
    const validationRows = usable.filter((r) => validationSet.has(r.index));
    const trainRows = usable.filter((r) => !validationSet.has(r.index));
    const warm = options.warmStart === false ? undefined : await this.warmStart(model.modelId, categories, h);
    const job: TrainingJob = { categories, hyperparameters: h, train: toSet(trainRows), validation: toSet(validationRows), ...(warm ? { warmStart: warm.start } : {}) };
    return { job, cacheHits: batch.cacheHits, embedded: batch.embedded, ...(warm ? { warmStartedFrom: warm.headId } : {}) };
  }

  /** The active head as a starting point, when it was trained for the same backbone, categories and recipe. */
  private async warmStart(backbone: string, categories: readonly string[], h: Hyperparameters): Promise<{ start: WarmStart; headId: string } | undefined> {
    const heads = new ClassifierModelRepository(this.deps.db);
    const active = await heads.active();
    if (!active || active.backboneModelId !== backbone || active.recipe !== h.recipe || active.categories.join('\n') !== categories.join('\n')) return undefined;
    try {
      return { start: warmStartFor(deserializeHead((await heads.parameters(active.id)) as SerializedHead), h), headId: active.id };
    } catch (error) {
      this.deps.warn?.(`active head ${active.id} cannot be continued (${(error as Error).message}); training from scratch`);
      return undefined;
    }
  }

  private assertEnough(images: readonly LabelledImage[]): void {
    const reason = insufficiencyReason(countByCategory(images), this.deps.minImagesPerCategory);
    if (reason) throw new TrainingDataError(reason);
  }

  private warn(options: StartTrainingOptions, message: string): void {
    (options.onWarning ?? this.deps.warn)?.(message);
  }

  private async catalogImages(options: StartTrainingOptions): Promise<LabelledImage[]> {
    const rows = await new TrainingDataRepository(this.deps.db).labelledImages();
    const images: LabelledImage[] = [];
    for (const row of rows) {
      try {
        images.push(await labelledFile(this.deps.resolveImage(row.filePath), row.category));
      } catch (error) {
        this.warn(options, `skipping catalog image ${row.filePath}: ${(error as Error).message}`);
      }
    }
    return images;
  }

  /** Charts, metrics, promotion decision, head file, then the database rows in one transaction. */
  private async persist(run: PersistInput): Promise<TrainingSuccess> {
    const { job } = run.prepared;
    const perClass = perClassMetrics(run.output.confusion, job.categories);
    const decision = await this.promotion(run.model.modelId, job, run.output);
    const metrics = {
      runId: run.runId, headId: run.headId, recipe: run.h.recipe, backboneModelId: run.model.modelId, classes: job.categories,
      trainSize: job.train.count, valSize: job.validation.count, valAccuracy: run.output.valAccuracy, valLoss: run.output.valLoss,
      bestEpoch: run.output.bestEpoch, perClass, confusion: run.output.confusion, history: run.output.history, hyperparameters: run.h,
      promoted: decision.promote, promotionReason: decision.reason, warmStartedFrom: run.prepared.warmStartedFrom ?? null,
    };
    const files = await writeRunFiles(this.deps.modelsDir, { runId: run.runId, recipe: run.h.recipe, categories: job.categories, history: run.output.history, confusion: run.output.confusion, metrics });
    const parameters = serializeHead(run.output.head);
    const head = await writeHeadFile(this.deps.modelsDir, run.headId, { id: run.headId, backboneModelId: run.model.modelId, recipe: run.h.recipe, categories: job.categories, hyperparameters: run.h, metrics: summary(metrics), createdAt: new Date().toISOString(), parameters });
    await this.deps.db.transaction(async (tx) => {
      const heads = new ClassifierModelRepository(tx);
      await heads.insert({ id: run.headId, backboneModelId: run.model.modelId, recipe: run.h.recipe, categories: [...job.categories], hyperparameters: { ...run.h }, metrics: summary(metrics), valAccuracy: run.output.valAccuracy }, parameters);
      if (decision.promote) await heads.activate(run.headId);
      await new TrainingRunRepository(tx).finish(run.runId, { status: 'success', reason: decision.reason, headId: run.headId, promoted: decision.promote });
    });
    if (decision.promote) this.deps.onActiveHeadChanged?.();
    return {
      status: 'success', runId: run.runId, headId: run.headId, recipe: run.h.recipe, classes: job.categories, trainSize: job.train.count, valSize: job.validation.count,
      valAccuracy: run.output.valAccuracy, valLoss: run.output.valLoss, perClass, confusion: run.output.confusion, promoted: decision.promote,
      promotionReason: decision.reason, history: run.output.history, bestEpoch: run.output.bestEpoch, hyperparameters: run.h,
      cacheHits: run.prepared.cacheHits, embedded: run.prepared.embedded, files: { ...files, head }, durationMs: performance.now() - run.started,
      ...(run.prepared.warmStartedFrom ? { warmStartedFrom: run.prepared.warmStartedFrom } : {}),
    };
  }

  /** Compares with the active head on this run's validation images. */
  private async promotion(backbone: string, job: TrainingJob, output: TrainingOutput): Promise<PromotionDecision> {
    const heads = new ClassifierModelRepository(this.deps.db);
    const active = await heads.active();
    const base = { candidateAccuracy: output.valAccuracy, candidateBackbone: backbone, candidateCategories: job.categories, tolerancePoints: this.deps.promotionTolerance };
    if (!active) return decidePromotion(base);
    const comparable = active.backboneModelId === backbone && active.categories.join('\n') === job.categories.join('\n');
    const accuracyOnSameSplit = comparable
      ? headAccuracy(deserializeHead((await heads.parameters(active.id)) as SerializedHead), job.validation.x, job.validation.y)
      : active.valAccuracy;
    return decidePromotion({ ...base, active: { id: active.id, backbone: active.backboneModelId, categories: active.categories, accuracyOnSameSplit } });
  }
}

interface PreparedRun {
  readonly job: TrainingJob;
  readonly cacheHits: number;
  readonly embedded: number;
  readonly warmStartedFrom?: string;
}

interface PersistInput {
  readonly runId: string;
  readonly headId: string;
  readonly model: EmbeddingModel;
  readonly h: Hyperparameters;
  readonly prepared: PreparedRun;
  readonly output: TrainingOutput;
  readonly started: number;
}

function summary(metrics: { valAccuracy: number; valLoss: number; trainSize: number; valSize: number; bestEpoch: number; runId: string }): Record<string, unknown> {
  return { runId: metrics.runId, valAccuracy: metrics.valAccuracy, valLoss: metrics.valLoss, trainSize: metrics.trainSize, valSize: metrics.valSize, bestEpoch: metrics.bestEpoch };
}

/** Packs feature vectors into one row-major set. */
function packRows(rows: readonly { features: Float32Array; label: number; group: number }[], dimension: number): TrainingJob['train'] {
  const x = new Float32Array(rows.length * dimension);
  const y = new Int32Array(rows.length);
  const group = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    x.set(row.features, i * dimension);
    y[i] = row.label;
    group[i] = row.group;
  });
  return { x, y, group, count: rows.length, dimension };
}

/** Augmentation ids encode the copy index; the parameters come from (sha256, seed, copy). */
function defaultAugmenter(seed: number): Augmenter {
  return (data, sha256, augmentation) => {
    const copy = Number(/:c(\d+)$/.exec(augmentation)?.[1] ?? '1');
    return augmentImage(data, sampleAugmentation(sha256, seed, copy));
  };
}

/** `20261125T041200123Z-ab12cd`: sortable and unique. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`;
}
