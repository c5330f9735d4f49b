import type { Database } from '../../db/database.ts';
import { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import { ProductRepository } from '../../db/repositories/products.ts';
import { SearchLogRepository, type SearchLogSummary } from '../../db/repositories/search-log.ts';
import type { CatalogCounts } from '../../domain/catalog.ts';

export interface BackboneInfo {
  readonly modelId: string;
  readonly pretrained: boolean;
}

export interface ShopStats {
  readonly catalog: CatalogCounts;
  readonly catalogRevision: number;
  readonly searches: SearchLogSummary;
  readonly backbone: BackboneInfo;
  readonly database: { readonly engine: string; readonly location: string };
}

/** Figures for `stats` and `/stats`. */
export class StatsService {
  constructor(
    private readonly deps: { readonly db: Database; readonly backbone: () => Promise<BackboneInfo> },
  ) {}

  async collect(now = new Date()): Promise<ShopStats> {
    const [catalog, state, searches, backbone] = await Promise.all([
      new ProductRepository(this.deps.db).counts(),
      new CatalogStateRepository(this.deps.db).revision(),
      new SearchLogRepository(this.deps.db).summary(now),
      this.deps.backbone(),
    ]);
    return {
      catalog,
      catalogRevision: state.revision,
      searches,
      backbone,
      database: { engine: this.deps.db.engine, location: this.deps.db.location },
    };
  }
}
