/**
 * The assistant core: one object that owns the database, the backbone and the services, shared
 * by every channel (CLI, Telegram, web chat, Instagram). It knows nothing about any channel and
 * hands channels services only — never the database itself.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/index.ts';
import type { DataDirLock } from '../db/data-dir-lock.ts';
import type { Database } from '../db/database.ts';
import { openDatabase } from '../db/open.ts';
import { refreshPlannerStatistics } from '../db/planner-statistics.ts';
import { CatalogStateRepository } from '../db/repositories/catalog-state.ts';
import { CatalogVocabularyRepository } from '../db/repositories/catalog-vocabulary.ts';
import { ImageRepository } from '../db/repositories/images.ts';
import { InboundMessageRepository } from '../db/repositories/inbound-messages.ts';
import { BackupService } from './backup/backup-service.ts';
import { CatalogService } from './catalog/catalog-service.ts';
import { DemoCatalog } from './catalog/demo-catalog.ts';
import { executePlan } from './catalog/import-plan.ts';
import { planCsvImport } from './catalog/import-csv.ts';
import { planFolderImport, type FolderDefaults } from './catalog/import-folder.ts';
import { emptyReport, type ImportOptions, type ImportReport } from './catalog/import-report.ts';
import { ImageStore } from './catalog/image-store.ts';
import { MediaIdCache } from './catalog/media-id-cache.ts';
import { ModelConsistency } from './catalog/model-consistency.ts';
import { ReindexService } from './catalog/reindex-service.ts';
import type { Logger } from './logger.ts';
import type { EmbeddingModel } from './ports.ts';
import { Conversation } from './conversation/conversation.ts';
import { InboundLedger } from './conversation/inbound-ledger.ts';
import { OwnerDesk } from './conversation/owner-desk.ts';
import { EmbeddingIndex } from './search/in-memory-index/embedding-index.ts';
import { SearchService } from './search/search-service.ts';
import { TextSearch } from './search/text-search.ts';
import { DashboardStats } from './stats/dashboard.ts';
import { StatsService } from './stats/stats-service.ts';
import { createTrainingComponents, type TrainingComponents } from './training/index.ts';
import { UnmetDemandService } from './unmet-demand/unmet-demand-service.ts';

/** An embedding model the assistant owns and must release on shutdown. */
export type ClosableEmbeddingModel = EmbeddingModel & { close(): Promise<void> };

export interface AssistantDependencies {
  readonly config: Config;
  readonly logger: Logger;
  /** Loads the backbone; called once, on first use. */
  readonly loadModel: () => Promise<ClosableEmbeddingModel>;
  /** An already open database (tests); otherwise the configured one is opened and migrated. */
  readonly db?: Database;
  /** The data-directory lock the caller holds for the embedded database (the caller releases it). */
  readonly lock?: DataDirLock;
}

/** Longest wait at shutdown for search-log rows still being written, in milliseconds. */
const SEARCH_LOG_GRACE_MS = 5_000;

export class Assistant {
  /** Customers' photo, text, "more like" and "show more" requests, for every channel. */
  readonly conversation: Conversation;
  /** Owners' chat actions: add, stock, price, remove, stats, train. */
  readonly owner: OwnerDesk;
  /** Message ids webhook channels already took in, so a redelivered message is answered once. */
  readonly inbound: InboundLedger;
  readonly catalog: CatalogService;
  readonly textSearch: TextSearch;
  readonly search: SearchService;
  readonly stats: StatsService;
  /** Day-by-day figures and charts for the owner dashboard. */
  readonly dashboard: DashboardStats;
  readonly reindexer: ReindexService;
  readonly store: ImageStore;
  /** Messenger ids of uploaded product photos (Telegram `file_id`s). */
  readonly mediaIds: MediaIdCache;
  /** Backups of the embedded database, photos and heads (`backup` command, scheduled backups). */
  readonly backups: BackupService;
  /** Category head: training, the active head registry, the classifier search uses, the retrain job. */
  readonly training: TrainingComponents;
  /** Thumbnails of customer photos that found no match, for the owner's gallery. */
  readonly unmetDemand: UnmetDemandService;
  /** The one-click demo catalog for a first start. */
  readonly demo: DemoCatalog;
  private modelPromise: Promise<ClosableEmbeddingModel> | undefined;
  private consistencyPromise: Promise<ModelConsistency> | undefined;
  private indexPromise: Promise<EmbeddingIndex | undefined> | undefined;
  /** When opening the in-memory index last failed (ms since epoch); it is retried a minute later. */
  private indexFailedAt = 0;

  private constructor(
    readonly config: Config,
    private readonly db: Database,
    readonly logger: Logger,
    private readonly loadModel: () => Promise<ClosableEmbeddingModel>,
  ) {
    this.store = new ImageStore(config.dataDir);
    const model = () => this.model();
    const consistency = () => this.consistency();
    const warn = (details: object, message: string) => logger.warn(details, message);
    // Catalog writes made here reach the index at once; anyone else's at the next search.
    const onCatalogChanged = () => void this.indexPromise?.then((index) => index?.syncSoon());
    this.catalog = new CatalogService({ db, store: this.store, model, consistency, onChanged: onCatalogChanged });
    this.training = createTrainingComponents({ db, model, config, warn: (message) => logger.warn(message) });
    this.search = new SearchService({
      db,
      model,
      consistency,
      minScore: config.search.minScore,
      classifier: this.training.classifier,
      ranking: { threshold: config.training.categoryConfidenceThreshold, margin: config.training.categoryRankMargin },
      index: () => this.searchIndex(),
      warn,
    });
    this.stats = new StatsService({ db, backbone: async () => {
      const loaded = await this.model();
      return { modelId: loaded.modelId, pretrained: loaded.pretrained };
    }, activeHead: () => this.training.heads.active(), searchesLogged: () => this.search.settled() });
    this.dashboard = new DashboardStats({ db, searchesLogged: () => this.search.settled() });
    this.reindexer = new ReindexService({ db, store: this.store, model, onChanged: onCatalogChanged });
    this.backups = new BackupService({ db, dataDir: config.dataDir, modelsDir: path.dirname(config.model.path) });
    this.demo = new DemoCatalog({ db, catalog: this.catalog, store: this.store, model, currency: config.shop.currency, onChanged: onCatalogChanged });
    this.unmetDemand = new UnmetDemandService({ db, logger, retentionDays: config.unmetDemand.retentionDays, maxPixels: config.images.maxPixels });
    this.mediaIds = new MediaIdCache(db);
    this.textSearch = new TextSearch({
      search: this.search,
      words: new CatalogVocabularyRepository(db),
      state: new CatalogStateRepository(db),
      images: new ImageRepository(db),
      maxEdits: config.search.textMaxEdits,
    });
    this.conversation = new Conversation({
      search: this.search,
      textSearch: this.textSearch,
      logger,
      pageSize: config.search.topK,
      searchesPerMinute: config.search.rateLimitPerMinute,
      unmetDemand: this.unmetDemand,
    });
    this.inbound = new InboundLedger(new InboundMessageRepository(db), logger);
    this.owner = new OwnerDesk({ catalog: this.catalog, stats: this.stats, training: this.training.service, logger, currency: config.shop.currency });
  }

  /** Which database engine serves the catalog, and where (a directory, or a password-free URL). */
  get database(): { readonly engine: Database['engine']; readonly location: string } {
    return { engine: this.db.engine, location: this.db.location };
  }

  /** Opens (and migrates) the database; the model loads lazily on first use. */
  static async create(deps: AssistantDependencies): Promise<Assistant> {
    const { database, dataDir } = deps.config;
    const db = deps.db ?? (await openDatabase({ url: database.url, dataDir, vectorIndex: database.vectorIndex, ...(deps.lock ? { lock: deps.lock } : {}) }));
    return new Assistant(deps.config, db, deps.logger, deps.loadModel);
  }

  /**
   * Uses a backbone whose loading the caller started already (start-up loads it while the
   * database opens), instead of loading it on first use. Ignored when a model is already loading.
   */
  adoptModel(loading: Promise<ClosableEmbeddingModel>): void {
    this.modelPromise ??= loading.catch((error: unknown) => {
      this.modelPromise = undefined;
      throw error;
    });
  }

  /** The backbone, loaded once; concurrent callers share one load. */
  model(): Promise<ClosableEmbeddingModel> {
    this.modelPromise ??= this.loadModel().catch((error: unknown) => {
      this.modelPromise = undefined;
      throw error;
    });
    return this.modelPromise;
  }

  /** True when photo searches go through the in-memory index (`SEARCH_INDEX`, `auto` = on the embedded database). */
  get usesMemoryIndex(): boolean {
    const policy = this.config.search.index;
    return policy === 'memory' || (policy === 'auto' && this.db.engine === 'pglite');
  }

  /**
   * The in-memory search index, opened (and loaded) on first use; undefined when the configuration
   * searches the database, or while the index cannot be opened (searches then use the database
   * and opening is retried a minute later).
   */
  searchIndex(): Promise<EmbeddingIndex | undefined> {
    if (!this.usesMemoryIndex) return Promise.resolve(undefined);
    if (this.indexPromise === undefined && Date.now() - this.indexFailedAt > 60_000) {
      this.indexPromise = this.model()
        .then((model) => EmbeddingIndex.open({ db: this.db, modelId: model.modelId, dimension: model.dimension, warn: (d, m) => this.logger.warn(d, m) }))
        .catch((error: unknown) => {
          this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'in-memory search index unavailable; searching the database directly');
          this.indexFailedAt = Date.now();
          this.indexPromise = undefined;
          return undefined;
        });
    }
    return this.indexPromise ?? Promise.resolve(undefined);
  }

  /**
   * Gets photo search ready before the first customer: loads the in-memory index and runs one
   * unlogged search through it (see SearchService.warmUp). A failure is only logged: searches
   * then open the index or fall back to the database themselves.
   */
  async prepareSearch(): Promise<void> {
    await this.search.warmUp().catch((error: unknown) => {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'could not warm up photo search; the first search will be slower');
    });
  }

  private consistency(): Promise<ModelConsistency> {
    this.consistencyPromise ??= this.model().then(
      (model) => new ModelConsistency(new ImageRepository(this.db), new CatalogStateRepository(this.db), model.modelId),
    );
    return this.consistencyPromise;
  }

  /** Images embedded by another backbone than the loaded one, per model id. */
  async foreignEmbeddings(): Promise<Map<string, number>> {
    return (await this.consistency()).foreignEmbeddings();
  }

  /** Imports an ImageFolder tree (`<folder>/<category>/<image>`). */
  async importFolder(folder: string, defaults: FolderDefaults, options: ImportOptions = {}): Promise<ImportReport> {
    const report = emptyReport();
    const plans = await planFolderImport(folder, defaults, report);
    await this.importPlans(plans, report, options);
    return report;
  }

  /** Imports a catalog CSV (`sku,name,price,currency,category,stock,images,url,description`). */
  async importCsv(csvPath: string, options: ImportOptions = {}): Promise<ImportReport> {
    const report = emptyReport();
    const plans = await planCsvImport(csvPath, report);
    await this.importPlans(plans, report, options);
    return report;
  }

  private async importPlans(plans: Parameters<typeof executePlan>[0], report: ImportReport, options: ImportOptions): Promise<void> {
    const model = await this.model();
    await (await this.consistency()).assertConsistent();
    try {
      await executePlan(plans, { catalog: this.catalog, model, report, ...options });
    } finally {
      // Even a stopped import may have added thousands of rows the planner does not know about.
      // Statistics only speed queries up: failing to refresh them must not replace the import's outcome.
      await refreshPlannerStatistics(this.db).catch(() => undefined);
    }
  }

  /** Stops a chat-started training, then releases the model and the database. Safe to call twice. */
  async close(): Promise<void> {
    await this.owner.close();
    const model = this.modelPromise;
    this.modelPromise = undefined;
    if (model) await (await model.catch(() => undefined))?.close();
    await this.unmetDemand.settled();
    // Search-log rows still being written; a database that hangs is closed with its grace below.
    await Promise.race([this.search.settled(), sleep(SEARCH_LOG_GRACE_MS, undefined, { ref: false })]);
    const index = this.indexPromise;
    this.indexPromise = undefined;
    if (index) await (await index)?.close();
    await this.db.close();
  }
}
