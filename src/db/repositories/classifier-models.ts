import type { Queryable } from '../database.ts';

/** A stored head and what it was trained with. `parameters` is the serialized head (JSON). */
export interface StoredHead {
  readonly id: string;
  readonly backboneModelId: string;
  readonly recipe: 'thesis' | 'best';
  readonly categories: string[];
  readonly hyperparameters: Record<string, unknown>;
  readonly metrics: Record<string, unknown>;
  /** In [0, 1]. */
  readonly valAccuracy: number;
  readonly active: boolean;
  readonly activatedAt: Date | null;
  readonly createdAt: Date;
}

interface HeadRow {
  id: string;
  backbone_model_id: string;
  recipe: 'thesis' | 'best';
  categories: string[] | string;
  hyperparameters: Record<string, unknown> | string;
  metrics: Record<string, unknown> | string;
  val_accuracy: number;
  active: boolean;
  activated_at: Date | string | null;
  created_at: Date | string;
}

const COLUMNS = 'id, backbone_model_id, recipe, categories, hyperparameters, metrics, val_accuracy, active, activated_at, created_at';

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

function toHead(row: HeadRow): StoredHead {
  return {
    id: row.id,
    backboneModelId: row.backbone_model_id,
    recipe: row.recipe,
    categories: json(row.categories),
    hyperparameters: json(row.hyperparameters),
    metrics: json(row.metrics),
    valAccuracy: Number(row.val_accuracy),
    active: row.active,
    activatedAt: row.activated_at === null ? null : new Date(row.activated_at),
    createdAt: new Date(row.created_at),
  };
}

/** Trained category heads; at most one is active. */
export class ClassifierModelRepository {
  constructor(private readonly db: Queryable) {}

  within(tx: Queryable): ClassifierModelRepository {
    return new ClassifierModelRepository(tx);
  }

  async insert(head: Omit<StoredHead, 'active' | 'activatedAt' | 'createdAt'>, parameters: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO classifier_models (id, backbone_model_id, recipe, categories, hyperparameters, metrics, parameters, val_accuracy)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8)`,
      [head.id, head.backboneModelId, head.recipe, JSON.stringify(head.categories), JSON.stringify(head.hyperparameters),
        JSON.stringify(head.metrics), JSON.stringify(parameters), head.valAccuracy],
    );
  }

  /** Makes `id` the only active head (call inside a transaction). Returns false for an unknown id. */
  async activate(id: string): Promise<boolean> {
    await this.db.query('UPDATE classifier_models SET active = false WHERE active AND id <> $1', [id]);
    const { rowCount } = await this.db.query('UPDATE classifier_models SET active = true, activated_at = now() WHERE id = $1', [id]);
    return rowCount > 0;
  }

  /** Deactivates every head trained on another backbone than `backboneModelId`; returns how many. */
  async deactivateOtherBackbones(backboneModelId: string): Promise<number> {
    const { rowCount } = await this.db.query('UPDATE classifier_models SET active = false WHERE active AND backbone_model_id <> $1', [backboneModelId]);
    return rowCount;
  }

  async active(): Promise<StoredHead | undefined> {
    const { rows } = await this.db.query<HeadRow>(`SELECT ${COLUMNS} FROM classifier_models WHERE active`);
    return rows[0] ? toHead(rows[0]) : undefined;
  }

  async find(id: string): Promise<StoredHead | undefined> {
    const { rows } = await this.db.query<HeadRow>(`SELECT ${COLUMNS} FROM classifier_models WHERE id = $1`, [id]);
    return rows[0] ? toHead(rows[0]) : undefined;
  }

  /** The serialized head of `id`. */
  async parameters(id: string): Promise<unknown> {
    const { rows } = await this.db.query<{ parameters: unknown }>('SELECT parameters FROM classifier_models WHERE id = $1', [id]);
    const value = rows[0]?.parameters;
    return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  }

  /** Newest first. */
  async list(): Promise<StoredHead[]> {
    const { rows } = await this.db.query<HeadRow>(`SELECT ${COLUMNS} FROM classifier_models ORDER BY created_at DESC, id DESC`);
    return rows.map(toHead);
  }

  /** The head active before the current one: most recently activated among the inactive ones on `backboneModelId`. */
  async previous(backboneModelId: string): Promise<StoredHead | undefined> {
    const { rows } = await this.db.query<HeadRow>(
      `SELECT ${COLUMNS} FROM classifier_models WHERE NOT active AND activated_at IS NOT NULL AND backbone_model_id = $1
       ORDER BY activated_at DESC LIMIT 1`,
      [backboneModelId],
    );
    return rows[0] ? toHead(rows[0]) : undefined;
  }
}
