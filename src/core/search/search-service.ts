/**
 * Finding in-stock products that look like a photo: the heart of the assistant. Channels call
 * these methods and render the answer; every answered query is written to the search log.
 */
import type { Database } from '../../db/database.ts';
import { ImageRepository, type NearestQuery } from '../../db/repositories/images.ts';
import { ProductRepository } from '../../db/repositories/products.ts';
import { SearchLogRepository, type SearchLogEntry, type SearchQueryKind } from '../../db/repositories/search-log.ts';
import type { Product, SearchHit } from '../../domain/catalog.ts';
import { BackgroundWrites } from '../background-writes.ts';
import type { ModelConsistency } from '../catalog/model-consistency.ts';
import type { EmbeddingModel } from '../ports.ts';
import { rankByCategory, type RankingOptions, type RankingPrediction } from './category-ranking.ts';
import type { EmbeddingIndex } from './in-memory-index/embedding-index.ts';
import { nearestThroughIndex, warmUpNearest } from './in-memory-index/nearest.ts';
import { DisplayRowCache } from './in-memory-index/row-cache.ts';

/** Predicts a query's category from raw backbone features; undefined without a usable head. */
export interface CategoryPredictor {
  predict(features: Float32Array): Promise<RankingPrediction | undefined>;
}

/** Who asked, for the search log. */
export interface Requester {
  /** `telegram`, `cli`, `web`, … */
  readonly channel: string;
  /** Channel-specific user id; never a name. */
  readonly userRef?: string | null;
}

export interface PageRequest {
  /** Results per page. */
  readonly limit: number;
  /** Results to skip (for "show more"). */
  readonly offset?: number;
}

/**
 * A photo query once embedded: enough to fetch any page of its answer again without the photo
 * (so "show more" works for channels that cannot re-download it, and costs no inference).
 */
export interface ImageQuery {
  /** L2-normalized embedding, length = model dimension (2048). */
  readonly embedding: Float32Array;
  readonly modelId: string;
  /** The classifier's guess for the photo, when a head was active. */
  readonly prediction?: RankingPrediction;
}

export interface SearchResult {
  /** Best first; at most `limit`. */
  readonly hits: readonly SearchHit[];
  /** False when the best score is under the no-match threshold (or nothing is in stock). */
  readonly matched: boolean;
  /** From receiving the query to having the answer, in milliseconds. */
  readonly latencyMs: number;
  readonly modelId: string;
  /** The classifier's guess for the query photo, when a head is active. */
  readonly predictedCategory?: RankingPrediction;
}

/**
 * Search-log rows wait this long, in milliseconds, or until this many have gathered, and are then
 * written in one statement: one INSERT per answer cost the event loop about a millisecond each,
 * and ran while the answer was being sent.
 */
export const SEARCH_LOG_WRITES = { delayMs: 250, batchSize: 50 } as const;

/** How a photo search is run; everything optional. */
export interface ImageSearchOptions {
  /** `performance.now()` when the query was received, so the logged latency covers the download. */
  readonly startedAt?: number;
  /**
   * A {@link SearchService.checkCatalog} the caller started earlier (while the photo downloaded);
   * without it the check runs while the photo is embedded.
   */
  readonly catalogCheck?: Promise<number>;
}

export class SearchService {
  private readonly images: ImageRepository;
  private readonly displayRows: DisplayRowCache;
  private readonly products: ProductRepository;
  private readonly log: SearchLogRepository;
  /** Search-log rows still being written (see {@link SearchService.settled}). */
  private readonly logWrites = new BackgroundWrites();
  /** Search-log rows gathered for the next write, and the timer that will write them. */
  private readonly unwrittenLog: SearchLogEntry[] = [];
  private logTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      readonly db: Database;
      readonly model: () => Promise<EmbeddingModel>;
      readonly consistency: () => Promise<ModelConsistency>;
      /** Cosine similarity under which the best hit counts as no match. */
      readonly minScore: number;
      /** When gathered search-log rows are written (default {@link SEARCH_LOG_WRITES}). */
      readonly searchLogWrites?: { readonly delayMs: number; readonly batchSize: number };
      /** Optional category head: confident predictions move that category ahead (see category-ranking.ts). */
      readonly classifier?: CategoryPredictor;
      readonly ranking?: RankingOptions;
      /**
       * The in-memory index, when the configuration uses one (resolves to undefined otherwise);
       * without it every search is an exact scan in the database.
       */
      readonly index?: () => Promise<EmbeddingIndex | undefined>;
      /** Told when the index fails and a search falls back to the database. */
      readonly warn?: (details: object, message: string) => void;
    },
  ) {
    this.images = new ImageRepository(deps.db);
    this.displayRows = new DisplayRowCache(this.images);
    this.products = new ProductRepository(deps.db);
    this.log = new SearchLogRepository(deps.db);
  }

  /**
   * Opens the in-memory index (when the configuration uses one), runs one search through it that
   * is neither logged nor answered (see {@link warmUpNearest}) and fills the display rows with the
   * searchable catalog (see DisplayRowCache); nothing to do without an index.
   * @throws whatever opening or searching throws; the catalog is not changed either way.
   */
  async warmUp(): Promise<void> {
    const index = await this.deps.index?.();
    if (!index) return;
    const model = await this.deps.model();
    await this.checkCatalog();
    this.displayRows.follow(index);
    await warmUpNearest(index, this.displayRows, model.modelId, model.dimension);
    await index.sync();
    await this.displayRows.fill(model.modelId);
  }

  /**
   * Products that look most like the photo in `data`; the result carries the embedded query so
   * later pages can be fetched with {@link SearchService.searchByQuery}.
   * @throws {ImageRejectedError} for unusable bytes; {@link ModelMismatchError} if the catalog needs reindexing.
   */
  async searchByImage(data: Buffer, source: string, page: PageRequest, requester: Requester, options: ImageSearchOptions = {}): Promise<SearchResult & { query: ImageQuery }> {
    const startedAt = options.startedAt ?? performance.now();
    const model = await this.deps.model();
    // The catalog check is a database round trip: it runs before or while the photo is decoded and
    // embedded instead of after, which takes it off the customer's wait. A bad photo is still reported first.
    const [embedded, checked] = await Promise.allSettled([model.embed(data, source), options.catalogCheck ?? this.checkCatalog()]);
    if (embedded.status === 'rejected') throw embedded.reason;
    if (checked.status === 'rejected') throw checked.reason;
    const { embedding, features } = embedded.value;
    const prediction = await this.predictCategory(features);
    const query: ImageQuery = { embedding, modelId: model.modelId, ...(prediction ? { prediction } : {}) };
    return { ...(await this.rankedPage(query, page, requester, startedAt, checked.value)), query };
  }

  /**
   * Another page of an earlier photo query, ranked exactly as its first page was.
   * @throws {ModelMismatchError} if the catalog needs reindexing.
   */
  async searchByQuery(query: ImageQuery, page: PageRequest, requester: Requester, startedAt = performance.now()): Promise<SearchResult> {
    const revision = await this.checkCatalog();
    return this.rankedPage(query, page, requester, startedAt, revision);
  }

  /**
   * Checks that every stored embedding comes from the active model (one cheap query per catalog
   * revision); a caller may start it early and hand it to {@link SearchService.searchByImage}.
   * @returns the catalog revision it read, so the search knows which catalog it answers from.
   * @throws {ModelMismatchError} if the catalog needs reindexing.
   */
  async checkCatalog(): Promise<number> {
    return (await this.deps.consistency()).assertConsistent();
  }

  /** Resolves once every search answered so far is in the search log (stats, shutdown, tests). */
  settled(): Promise<void> {
    this.writeLog();
    return this.logWrites.settled();
  }

  /** A page of `query`'s answer, once the catalog is known to be consistent with its model. */
  private async rankedPage(query: ImageQuery, page: PageRequest, requester: Requester, startedAt: number, catalogRevision: number): Promise<SearchResult> {
    const { embedding, modelId, prediction } = query;
    const offset = page.offset ?? 0;
    // Re-ranking can pull in-category hits from below the page, so look further than we show.
    const window = prediction ? (offset + page.limit) * 3 : page.limit;
    const nearest = await this.nearest({ near: { embedding }, modelId, limit: window, offset: prediction ? 0 : offset }, catalogRevision);
    const ranked = prediction && this.deps.ranking
      ? rankByCategory(nearest, prediction, this.deps.ranking, { category: (hit) => hit.product.category, score: (hit) => hit.score })
      : nearest;
    const hits = prediction ? ranked.slice(offset, offset + page.limit) : ranked;
    return this.answer('image', hits, modelId, requester, startedAt, page, prediction);
  }

  /** Products that look like product image `imageId` ("more like this"), excluding that product. */
  async searchSimilarToImage(imageId: number, page: PageRequest, requester: Requester): Promise<SearchResult> {
    const startedAt = performance.now();
    const model = await this.deps.model();
    const revision = await this.checkCatalog();
    const image = await this.images.findById(imageId);
    const hits = image
      ? await this.nearest({ near: { imageId }, modelId: model.modelId, limit: page.limit, offset: page.offset ?? 0, excludeProductId: image.productId }, revision)
      : [];
    return this.answer('similar', hits, model.modelId, requester, startedAt, page);
  }

  /** In-stock products whose name, category or SKU contains `text`. */
  async searchByText(text: string, page: PageRequest, requester: Requester): Promise<{ products: Product[]; latencyMs: number }> {
    const startedAt = performance.now();
    const products = await this.products.searchByText(text.trim(), (page.offset ?? 0) + page.limit);
    const pageOfProducts = products.slice(page.offset ?? 0);
    const latencyMs = performance.now() - startedAt;
    this.record({
      channel: requester.channel,
      userRef: requester.userRef ?? null,
      queryKind: 'text',
      modelId: null,
      latencyMs,
      matched: pageOfProducts.length > 0,
      topProductIds: pageOfProducts.map((product) => product.id),
      topScores: [],
    });
    return { products: pageOfProducts, latencyMs };
  }

  /**
   * Through the in-memory index when there is one; a failing index costs speed, never the answer.
   * @param catalogRevision the revision this search's catalog check read.
   */
  private async nearest(query: NearestQuery, catalogRevision: number): Promise<SearchHit[]> {
    const index = await this.deps.index?.();
    if (index) {
      this.displayRows.follow(index);
      try {
        return await nearestThroughIndex(index, this.displayRows, query, catalogRevision);
      } catch (error) {
        this.deps.warn?.({ err: error instanceof Error ? error.message : String(error) }, 'in-memory search index failed; searching the database directly');
      }
    }
    return this.images.nearest(query);
  }

  /** A classifier failure must never cost the customer an answer: search then ranks by similarity only. */
  private async predictCategory(features: Float32Array): Promise<RankingPrediction | undefined> {
    if (!this.deps.classifier) return undefined;
    try {
      return await this.deps.classifier.predict(features);
    } catch {
      return undefined;
    }
  }

  /** The result, with its search-log row on the way (see {@link SearchService.record}). */
  private answer(
    kind: SearchQueryKind,
    hits: SearchHit[],
    modelId: string,
    requester: Requester,
    startedAt: number,
    page: PageRequest,
    prediction?: RankingPrediction,
  ): SearchResult {
    const best = hits[0]?.score;
    const matched = best !== undefined && (best >= this.deps.minScore || (page.offset ?? 0) > 0);
    const latencyMs = performance.now() - startedAt;
    this.record({
      channel: requester.channel,
      userRef: requester.userRef ?? null,
      queryKind: kind,
      modelId,
      latencyMs,
      matched,
      topProductIds: hits.map((hit) => hit.product.id),
      topScores: hits.map((hit) => hit.score),
      ...(prediction ? { predictedCategory: prediction.category, categoryConfidence: prediction.confidence } : {}),
    });
    return { hits, matched, latencyMs, modelId, ...(prediction ? { predictedCategory: prediction } : {}) };
  }

  /**
   * Writes the search log without making the answer wait: rows gather for up to
   * {@link SEARCH_LOG_WRITES} `delayMs` (or `batchSize` rows) and go to the database in one
   * statement, after the channel has sent the answer instead of while it sends. A failed write costs
   * its rows, never a customer's answer. Readers of the log (stats, the dashboard, shutdown) wait
   * for {@link SearchService.settled}, which writes the gathered rows at once.
   */
  private record(entry: SearchLogEntry): void {
    this.unwrittenLog.push(entry);
    const { delayMs, batchSize } = this.deps.searchLogWrites ?? SEARCH_LOG_WRITES;
    if (this.unwrittenLog.length >= batchSize) this.writeLog();
    else this.logTimer ??= setTimeout(() => this.writeLog(), delayMs).unref();
  }

  private writeLog(): void {
    clearTimeout(this.logTimer);
    this.logTimer = undefined;
    const entries = this.unwrittenLog.splice(0);
    if (entries.length === 0) return;
    const write = this.log.recordAll(entries).catch((error: unknown) => {
      this.deps.warn?.({ err: error instanceof Error ? error.message : String(error), rows: entries.length }, 'could not write searches to the search log');
    });
    void this.logWrites.track(write);
  }
}
