import type { Database } from '../../db/database.ts';
import { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import type { StoredHead } from '../../db/repositories/classifier-models.ts';
import { ProductRepository } from '../../db/repositories/products.ts';
import { SearchInsightsRepository, type CategoryCount, type DailySearches } from '../../db/repositories/search-insights.ts';
import { SearchLogRepository, type SearchLogSummary } from '../../db/repositories/search-log.ts';
import { TrainingRunRepository, type TrainingRunStatus, type TrainingTrigger } from '../../db/repositories/training-runs.ts';
import type { CatalogCounts } from '../../domain/catalog.ts';

export interface BackboneInfo {
  readonly modelId: string;
  readonly pretrained: boolean;
}

/** The active category head, as /stats and `stats` show it. */
export type ClassifierInfo = Pick<StoredHead, 'id' | 'recipe' | 'valAccuracy' | 'categories' | 'backboneModelId' | 'active' | 'createdAt'>;

/** How the newest training run (scheduled, chat or CLI) ended. */
export interface LastTraining {
  readonly status: Exclude<TrainingRunStatus, 'running'>;
  /** Why it was skipped or failed, or the promotion verdict of a success. */
  readonly reason: string | null;
  readonly trigger: TrainingTrigger;
  readonly at: Date;
}

export interface ShopStats {
  readonly catalog: CatalogCounts;
  readonly catalogRevision: number;
  readonly searches: SearchLogSummary;
  readonly backbone: BackboneInfo;
  /** Null until a head has been trained and promoted for this backbone. */
  readonly classifier: ClassifierInfo | null;
  /** Null until a training run (or a scheduled check) has ended. */
  readonly lastTraining: LastTraining | null;
  readonly database: { readonly engine: string; readonly location: string };
  /** Categories of the best answer to matched searches in the last {@link TOP_CATEGORY_DAYS} days, most frequent first. */
  readonly topCategories: readonly CategoryCount[];
  /** Searches per UTC day for the last {@link CHART_DAYS} days, oldest first, zero-filled. */
  readonly searchesPerDay: readonly DailySearches[];
}

/** Days covered by {@link ShopStats.searchesPerDay}. */
export const CHART_DAYS = 14;
/** Window and length of {@link ShopStats.topCategories}. */
export const TOP_CATEGORY_DAYS = 7;
const TOP_CATEGORIES = 5;

/** Figures for `stats` and `/stats`. */
export class StatsService {
  constructor(
    private readonly deps: {
      readonly db: Database;
      readonly backbone: () => Promise<BackboneInfo>;
      readonly activeHead?: () => Promise<ClassifierInfo | undefined>;
      /** Resolves once searches already answered are in the search log (written behind the answers). */
      readonly searchesLogged?: () => Promise<void>;
    },
  ) {}

  async collect(now = new Date()): Promise<ShopStats> {
    await this.deps.searchesLogged?.();
    const insights = new SearchInsightsRepository(this.deps.db);
    const [catalog, state, searches, backbone, head, lastRun, topCategories, searchesPerDay] = await Promise.all([
      new ProductRepository(this.deps.db).counts(),
      new CatalogStateRepository(this.deps.db).revision(),
      new SearchLogRepository(this.deps.db).summary(now),
      this.deps.backbone(),
      this.deps.activeHead?.() ?? Promise.resolve(undefined),
      new TrainingRunRepository(this.deps.db).lastFinished(),
      insights.topCategories(TOP_CATEGORIES, TOP_CATEGORY_DAYS, now),
      insights.searchesPerDay(CHART_DAYS, now),
    ]);
    return {
      catalog,
      catalogRevision: state.revision,
      searches,
      backbone,
      classifier: head ?? null,
      lastTraining: lastRun && lastRun.status !== 'running'
        ? { status: lastRun.status, reason: lastRun.reason, trigger: lastRun.trigger, at: lastRun.finishedAt ?? lastRun.startedAt }
        : null,
      database: { engine: this.deps.db.engine, location: this.deps.db.location },
      topCategories,
      searchesPerDay,
    };
  }
}
