import type { Queryable } from '../database.ts';

/** What started a run: a command, the schedule, a chat `/train`, the web dashboard, a test. */
export type TrainingTrigger = 'cli' | 'cron' | 'chat' | 'test' | 'web';
export type TrainingRunStatus = 'running' | 'success' | 'skipped' | 'failed';

export interface TrainingRunRecord {
  readonly id: string;
  readonly trigger: TrainingTrigger;
  readonly status: TrainingRunStatus;
  readonly reason: string | null;
  readonly recipe: string | null;
  readonly catalogRevision: number | null;
  readonly backboneModelId: string | null;
  readonly headId: string | null;
  readonly promoted: boolean | null;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
}

interface RunRow {
  id: string;
  trigger: TrainingTrigger;
  status: TrainingRunStatus;
  reason: string | null;
  recipe: string | null;
  catalog_revision: string | number | null;
  backbone_model_id: string | null;
  head_id: string | null;
  promoted: boolean | null;
  started_at: Date | string;
  finished_at: Date | string | null;
}

const toRun = (row: RunRow): TrainingRunRecord => ({
  id: row.id,
  trigger: row.trigger,
  status: row.status,
  reason: row.reason,
  recipe: row.recipe,
  catalogRevision: row.catalog_revision === null ? null : Number(row.catalog_revision),
  backboneModelId: row.backbone_model_id,
  headId: row.head_id,
  promoted: row.promoted,
  startedAt: new Date(row.started_at),
  finishedAt: row.finished_at === null ? null : new Date(row.finished_at),
});

/** The training log: one row per attempted run, including skipped ones. */
export class TrainingRunRepository {
  constructor(private readonly db: Queryable) {}

  within(tx: Queryable): TrainingRunRepository {
    return new TrainingRunRepository(tx);
  }

  async start(run: { id: string; trigger: TrainingTrigger; recipe: string | null; catalogRevision: number | null; backboneModelId: string | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO training_runs (id, trigger, status, recipe, catalog_revision, backbone_model_id) VALUES ($1, $2, 'running', $3, $4, $5)`,
      [run.id, run.trigger, run.recipe, run.catalogRevision, run.backboneModelId],
    );
  }

  async finish(id: string, outcome: { status: Exclude<TrainingRunStatus, 'running'>; reason?: string | null; headId?: string | null; promoted?: boolean | null }): Promise<void> {
    await this.db.query(
      'UPDATE training_runs SET status = $2, reason = $3, head_id = $4, promoted = $5, finished_at = now() WHERE id = $1',
      [id, outcome.status, outcome.reason ?? null, outcome.headId ?? null, outcome.promoted ?? null],
    );
  }

  /** Records a run that did not start (e.g. nothing changed), in one row. */
  async recordSkipped(run: { id: string; trigger: TrainingTrigger; reason: string; catalogRevision: number | null }): Promise<void> {
    await this.db.query(
      `INSERT INTO training_runs (id, trigger, status, reason, catalog_revision, finished_at) VALUES ($1, $2, 'skipped', $3, $4, now())`,
      [run.id, run.trigger, run.reason, run.catalogRevision],
    );
  }

  /** The newest successful run, whose catalog revision tells whether anything changed since. */
  async lastSuccessful(): Promise<TrainingRunRecord | undefined> {
    const { rows } = await this.db.query<RunRow>(`SELECT * FROM training_runs WHERE status = 'success' ORDER BY started_at DESC, id DESC LIMIT 1`);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** The newest run that ended (success, skipped or failed), for `/stats` and `stats`. */
  async lastFinished(): Promise<TrainingRunRecord | undefined> {
    const { rows } = await this.db.query<RunRow>(`SELECT * FROM training_runs WHERE status <> 'running' ORDER BY finished_at DESC NULLS LAST, id DESC LIMIT 1`);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  async find(id: string): Promise<TrainingRunRecord | undefined> {
    const { rows } = await this.db.query<RunRow>('SELECT * FROM training_runs WHERE id = $1', [id]);
    return rows[0] ? toRun(rows[0]) : undefined;
  }

  /** Newest first. */
  async recent(limit: number): Promise<TrainingRunRecord[]> {
    const { rows } = await this.db.query<RunRow>('SELECT * FROM training_runs ORDER BY started_at DESC, id DESC LIMIT $1', [limit]);
    return rows.map(toRun);
  }
}
