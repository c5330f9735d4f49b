/**
 * Re-embeds stored images with the active backbone, after the model file changed. Works from
 * our stored copies, so the owner's original import folders are not needed.
 */
import type { Database } from '../../db/database.ts';
import { refreshPlannerStatistics } from '../../db/planner-statistics.ts';
import { ImageRepository } from '../../db/repositories/images.ts';
import type { EmbeddingModel } from '../ports.ts';
import type { ImageStore } from './image-store.ts';
import type { ImportProblem } from './import-report.ts';

export interface ReindexReport {
  readonly total: number;
  reembedded: number;
  failed: number;
  readonly problems: ImportProblem[];
}

export class ReindexService {
  constructor(
    private readonly deps: {
      readonly db: Database;
      readonly store: ImageStore;
      readonly model: () => Promise<EmbeddingModel>;
      /** Called after re-embedding changed the catalog (the in-memory search index catches up). */
      readonly onChanged?: () => void;
    },
  ) {}

  /** Number of images whose embedding came from another model than the active one. */
  async pending(): Promise<number> {
    const model = await this.deps.model();
    return (await new ImageRepository(this.deps.db).listAll({ exceptModelId: model.modelId })).length;
  }

  async reindex(options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<ReindexReport> {
    const model = await this.deps.model();
    const repository = new ImageRepository(this.deps.db);
    const stale = await repository.listAll({ exceptModelId: model.modelId });
    const report: ReindexReport = { total: stale.length, reembedded: 0, failed: 0, problems: [] };
    const inputs = stale.map((image) => ({ source: image.filePath, path: this.deps.store.resolve(image.filePath) }));
    let index = 0;
    const embedOptions = options.signal ? { onProgress: options.onProgress, signal: options.signal } : { onProgress: options.onProgress };
    for await (const outcome of model.embedAll(inputs, embedOptions)) {
      const image = stale[index++]!;
      if (!outcome.ok) {
        report.failed += 1;
        report.problems.push({ where: `image ${image.id} (${image.source})`, reason: outcome.error.message });
        continue;
      }
      await repository.updateEmbedding(image.id, model.modelId, outcome.image.embedding);
      report.reembedded += 1;
    }
    if (report.reembedded > 0) {
      // Every image's model_id changed: the planner's picture of that column is now wrong. Only an
      // optimisation, so a failure must not cost the report or the index update below.
      await refreshPlannerStatistics(this.deps.db).catch(() => undefined);
      this.deps.onChanged?.();
    }
    return report;
  }
}
