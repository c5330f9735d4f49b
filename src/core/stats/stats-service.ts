import type { Database } from '../../db/database.ts';
import { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import type { StoredHead } from '../../db/repositories/classifier-models.ts';
import { ProductRepository } from '../../db/repositories/products.ts';
import { SearchLogRepository, type SearchLogSummary } from '../../db/repositories/search-log.ts';
import type { CatalogCounts } from '../../domain/catalog.ts';

export interface BackboneInfo {
  readonly modelId: string;
  readonly pretrained: boolean;
}

/** The active category head, as /stats and `stats` show it. */
export type ClassifierInfo = Pick<StoredHead, 'id' | 'recipe' | 'valAccuracy' | 'categories' | 'backboneModelId' | 'active' | 'createdAt'>;

export interface ShopStats {
  readonly catalog: CatalogCounts;
  readonly catalogRevision: number;
  readonly searches: SearchLogSummary;
  readonly backbone: BackboneInfo;
  /** Null until a head has been trained and promoted for this backbone. */
  readonly classifier: ClassifierInfo | null;
  readonly database: { readonly engine: string; readonly location: string };
}

/** Figures for `stats` and `/stats`. */
export class StatsService {
  constructor(
    private readonly deps: {
      readonly db: Database;
      readonly backbone: () => Promise<BackboneInfo>;
      readonly activeHead?: () => Promise<ClassifierInfo | undefined>;
    },
  ) {}

  async collect(now = new Date()): Promise<ShopStats> {
    const [catalog, state, searches, backbone, head] = await Promise.all([
      new ProductRepository(this.deps.db).counts(),
      new CatalogStateRepository(this.deps.db).revision(),
      new SearchLogRepository(this.deps.db).summary(now),
      this.deps.backbone(),
      this.deps.activeHead?.() ?? Promise.resolve(undefined),
    ]);
    return {
      catalog,
      catalogRevision: state.revision,
      searches,
      backbone,
      classifier: head ?? null,
      database: { engine: this.deps.db.engine, location: this.deps.db.location },
    };
  }
}
