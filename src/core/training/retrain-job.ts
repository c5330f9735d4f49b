/**
 * Automatic retraining: on a node-cron schedule (`RETRAIN_CRON`), train when the catalog changed
 * since the last successful training (or the active head belongs to another backbone, or none is
 * active) and there is enough labelled data; otherwise record a `skipped` run with the reason.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Database } from '../../db/database.ts';
import { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import { ClassifierModelRepository } from '../../db/repositories/classifier-models.ts';
import { TrainingDataRepository } from '../../db/repositories/training-data.ts';
import { TrainingRunRepository } from '../../db/repositories/training-runs.ts';
import type { RecipeName } from '../../../training/recipes.ts';
import { insufficiencyReason } from './dataset.ts';
import { newRunId, type TrainingResult, type TrainingService } from './training-service.ts';

export interface RetrainJobDependencies {
  readonly db: Database;
  readonly training: Pick<TrainingService, 'startTraining' | 'isRunning'>;
  readonly backboneModelId: () => Promise<string>;
  readonly minImagesPerCategory: number;
  readonly recipe?: RecipeName;
  readonly onResult?: (result: TrainingResult) => void;
  readonly onError?: (error: unknown) => void;
}

/** Why a retrain is due, or undefined when the active head is current. */
export type RetrainCheck = { readonly due: true; readonly why: string } | { readonly due: false; readonly reason: string };

export class RetrainJob {
  private task: ScheduledTask | undefined;
  private readonly abort = new AbortController();
  private hooks: Pick<RetrainJobDependencies, 'onResult' | 'onError'> = {};

  constructor(private readonly deps: RetrainJobDependencies) {}

  /** Decides whether to train now (no side effects). */
  async check(): Promise<RetrainCheck> {
    const [state, last, active, backbone] = await Promise.all([
      new CatalogStateRepository(this.deps.db).revision(),
      new TrainingRunRepository(this.deps.db).lastSuccessful(),
      new ClassifierModelRepository(this.deps.db).active(),
      this.deps.backboneModelId(),
    ]);
    const enough = insufficiencyReason(await new TrainingDataRepository(this.deps.db).countsByCategory(), this.deps.minImagesPerCategory);
    if (enough) return { due: false, reason: enough };
    if (!active) return { due: true, why: 'no head is active' };
    if (active.backboneModelId !== backbone) return { due: true, why: 'the backbone changed' };
    if (!last || last.catalogRevision !== state.revision) return { due: true, why: `catalog revision ${state.revision} differs from the last training's ${last?.catalogRevision ?? 'none'}` };
    return { due: false, reason: `catalog unchanged since the last training (revision ${state.revision})` };
  }

  /** One scheduled tick: trains or records why not. */
  async runOnce(): Promise<TrainingResult> {
    if (this.deps.training.isRunning()) return this.skip('A training run is already in progress.');
    const check = await this.check();
    if (!check.due) return this.skip(check.reason);
    return this.deps.training.startTraining({ trigger: 'cron', recipe: this.deps.recipe ?? 'best', signal: this.abort.signal });
  }

  /**
   * Schedules {@link RetrainJob.runOnce} on `expression` (cron syntax); `hooks` (else the
   * constructor's) hear every outcome, so a failing nightly retrain is never silent.
   * @throws {Error} for an invalid expression.
   */
  start(expression: string, hooks: Pick<RetrainJobDependencies, 'onResult' | 'onError'> = {}): void {
    if (!cron.validate(expression)) throw new Error(`RETRAIN_CRON "${expression}" is not a valid cron expression.`);
    this.hooks = { onResult: hooks.onResult ?? this.deps.onResult, onError: hooks.onError ?? this.deps.onError };
    this.task = cron.schedule(expression, () => this.tick(), { noOverlap: true });
  }

  /** Stops the schedule and interrupts a scheduled run in progress. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.task?.stop();
    this.task = undefined;
  }

  private async tick(): Promise<void> {
    try {
      this.hooks.onResult?.(await this.runOnce());
    } catch (error) {
      this.hooks.onError?.(error);
    }
  }

  private async skip(reason: string): Promise<TrainingResult> {
    const state = await new CatalogStateRepository(this.deps.db).revision();
    const runId = newRunId();
    await new TrainingRunRepository(this.deps.db).recordSkipped({ id: runId, trigger: 'cron', reason, catalogRevision: state.revision });
    return { status: 'skipped', runId, reason };
  }
}
