/**
 * Past training runs as the owner's dashboard shows them: each run with its head (accuracy,
 * active or not) and the charts it left in `models/runs/<runId>/`.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../../db/database.ts';
import { ClassifierModelRepository, type StoredHead } from '../../db/repositories/classifier-models.ts';
import { TrainingRunRepository, type TrainingRunRecord } from '../../db/repositories/training-runs.ts';

/** The two figures a successful run draws. */
export const RUN_CHARTS = ['curves', 'confusion'] as const;
export type RunChart = (typeof RUN_CHARTS)[number];

/** Run ids are `20261125T041200123Z-ab12cd`; anything else never reaches the file system. */
const RUN_ID_PATTERN = /^[0-9A-Za-z-]{1,64}$/;

export interface TrainingRunView extends TrainingRunRecord {
  /** The head this run trained, when it got that far. */
  readonly head: Pick<StoredHead, 'id' | 'recipe' | 'valAccuracy' | 'active' | 'categories'> | null;
  /** Charts present on disk for this run. */
  readonly charts: readonly RunChart[];
}

export class TrainingHistory {
  constructor(private readonly deps: { readonly db: Database; readonly modelsDir: string }) {}

  /** The newest `limit` runs, newest first. */
  async recent(limit: number): Promise<TrainingRunView[]> {
    const [runs, heads] = await Promise.all([new TrainingRunRepository(this.deps.db).recent(limit), new ClassifierModelRepository(this.deps.db).list()]);
    const byId = new Map(heads.map((head) => [head.id, head]));
    return Promise.all(runs.map(async (run) => {
      const head = run.headId ? byId.get(run.headId) : undefined;
      return {
        ...run,
        head: head ? { id: head.id, recipe: head.recipe, valAccuracy: head.valAccuracy, active: head.active, categories: head.categories } : null,
        charts: await this.chartsOf(run.id),
      };
    }));
  }

  /** Absolute path of a run's chart PNG, or undefined when the run or the file does not exist. */
  async chartFile(runId: string, chart: RunChart): Promise<string | undefined> {
    if (!RUN_ID_PATTERN.test(runId)) return undefined;
    const file = path.join(this.deps.modelsDir, 'runs', runId, `${chart}.png`);
    return (await present(file)) ? file : undefined;
  }

  private async chartsOf(runId: string): Promise<RunChart[]> {
    const found = await Promise.all(RUN_CHARTS.map(async (chart) => ((await this.chartFile(runId, chart)) ? chart : undefined)));
    return found.filter((chart) => chart !== undefined);
  }
}

async function present(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
