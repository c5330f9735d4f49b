/**
 * The machine-readable shape of every record ShopLens prints or serves: `--json` output of each
 * CLI command and the JSON of the HTTP API use these, so one product, search answer, category
 * head or stats snapshot looks the same wherever it comes from. Field names are fixed here:
 * an image given to search or classify is a `query`; a backbone is named by `backboneModelId`;
 * a head's date is `trainedAt`; times are ISO 8601 strings; prices stay decimal strings.
 */
import type { ImportReport } from './catalog/import-report.ts';
import { formatProblem } from './catalog/import-report.ts';
import type { ReindexReport } from './catalog/reindex-service.ts';
import type { ShopStats } from './stats/stats-service.ts';
import type { CategoryPrediction } from './training/category-classifier.ts';
import type { TrainingResult, TrainingSuccess } from './training/training-service.ts';
import type { Product, SearchHit } from '../domain/catalog.ts';

/** A product as customers and owners see it. */
export interface ProductRecord {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  /** Decimal string with two fraction digits, e.g. `"19.90"`. */
  readonly price: string;
  /** ISO 4217 code. */
  readonly currency: string;
  readonly stock: number;
  readonly url: string | null;
}

export function productRecord(product: Product): ProductRecord {
  return {
    sku: product.sku,
    name: product.name,
    category: product.category,
    price: product.price,
    currency: product.currency,
    stock: product.stock,
    url: product.url,
  };
}

/** A product as the owner manages it: the product record plus what only the owner sees. */
export interface OwnerProductRecord extends ProductRecord {
  readonly description: string;
  /** False once removed (kept for the search log and restorable). */
  readonly active: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function ownerProductRecord(product: Product): OwnerProductRecord {
  return {
    ...productRecord(product),
    description: product.description,
    active: product.active,
    createdAt: product.createdAt.toISOString(),
    updatedAt: product.updatedAt.toISOString(),
  };
}

/** One product in a search answer; `score` is cosine similarity in [-1, 1], 6 decimals. */
export interface SearchResultRecord extends ProductRecord {
  readonly score: number;
}

/** The answer to one query image: best first. */
export interface SearchRecord {
  readonly query: string;
  readonly results: readonly SearchResultRecord[];
  /** Embedding + nearest-neighbour time in milliseconds, one decimal. */
  readonly latencyMs: number;
}

export function searchRecord(query: string, hits: readonly SearchHit[], latencyMs: number): SearchRecord {
  return {
    query,
    results: hits.map((hit) => ({ ...productRecord(hit.product), score: round(hit.score, 6) })),
    latencyMs: round(latencyMs, 1),
  };
}

/** A query image that could not be used (search, classify); the message names the file and the reason. */
export interface QueryErrorRecord {
  readonly query: string;
  readonly error: string;
}

/** The active head's category guess for one query image. */
export interface ClassificationRecord {
  readonly query: string;
  readonly category: string;
  /** Probability of `category`, in [0, 1]. */
  readonly confidence: number;
  readonly top3: ReadonlyArray<{ readonly category: string; readonly probability: number }>;
}

export function classificationRecord(query: string, prediction: CategoryPrediction): ClassificationRecord {
  return {
    query,
    category: prediction.category,
    confidence: prediction.confidence,
    top3: prediction.top3.map((entry) => ({ category: entry.category, probability: entry.probability })),
  };
}

/** A trained category head. */
export interface HeadRecord {
  readonly id: string;
  readonly active: boolean;
  readonly recipe: string;
  /** Validation accuracy in [0, 1]. */
  readonly valAccuracy: number;
  readonly categories: readonly string[];
  /** The backbone whose features the head classifies. */
  readonly backboneModelId: string;
  readonly trainedAt: string;
}

export function headRecord(head: {
  id: string;
  active: boolean;
  recipe: string;
  valAccuracy: number;
  categories: readonly string[];
  backboneModelId: string;
  createdAt: Date;
}): HeadRecord {
  return {
    id: head.id,
    active: head.active,
    recipe: head.recipe,
    valAccuracy: head.valAccuracy,
    categories: [...head.categories],
    backboneModelId: head.backboneModelId,
    trainedAt: head.createdAt.toISOString(),
  };
}

/** Catalog, search and model figures (`stats`, `/stats`, the dashboard). */
export interface StatsRecord {
  readonly products: number;
  readonly activeProducts: number;
  readonly inStock: number;
  readonly images: number;
  readonly categories: number;
  readonly searches: number;
  readonly searchesLast24h: number;
  readonly searchesLast7d: number;
  readonly noMatchSearches: number;
  /** Photo → answer latency over the search log, in milliseconds; null before the first photo search. */
  readonly imageLatencyP50Ms: number | null;
  readonly imageLatencyP95Ms: number | null;
  readonly catalogRevision: number;
  readonly backboneModelId: string;
  /** False for generated (random) weights, whose matches are not meaningful. */
  readonly pretrained: boolean;
  /** The active category head, or null before one is trained. */
  readonly classifier: HeadRecord | null;
  /** The last finished training run (any trigger), or null before the first. */
  readonly lastTraining: { readonly status: string; readonly reason: string | null; readonly trigger: string; readonly at: string } | null;
  /** `pglite` (embedded) or `postgres`. */
  readonly database: string;
}

export function statsRecord(stats: ShopStats): StatsRecord {
  return {
    products: stats.catalog.products,
    activeProducts: stats.catalog.activeProducts,
    inStock: stats.catalog.inStock,
    images: stats.catalog.images,
    categories: stats.catalog.categories,
    searches: stats.searches.total,
    searchesLast24h: stats.searches.last24h,
    searchesLast7d: stats.searches.last7d,
    noMatchSearches: stats.searches.noMatch,
    imageLatencyP50Ms: stats.searches.imageLatencyP50Ms,
    imageLatencyP95Ms: stats.searches.imageLatencyP95Ms,
    catalogRevision: stats.catalogRevision,
    backboneModelId: stats.backbone.modelId,
    pretrained: stats.backbone.pretrained,
    classifier: stats.classifier && headRecord(stats.classifier),
    lastTraining: stats.lastTraining && { ...stats.lastTraining, at: stats.lastTraining.at.toISOString() },
    database: stats.database.engine,
  };
}

/** What an import did, counted per product; `problems` has one line per file or CSV row. */
export interface ImportRecord {
  readonly imported: number;
  readonly updated: number;
  readonly skipped: number;
  readonly failed: number;
  readonly problems: readonly string[];
  /** True when the import was stopped (Ctrl-C, shutdown) before the end: run it again to finish. */
  readonly interrupted: boolean;
}

export function importRecord(report: ImportReport, interrupted: boolean): ImportRecord {
  return {
    imported: report.imported,
    updated: report.updated,
    skipped: report.skipped,
    failed: report.failed,
    problems: report.problems.map(formatProblem),
    interrupted,
  };
}

/** What a reindex did. */
export interface ReindexRecord {
  readonly total: number;
  readonly reembedded: number;
  readonly failed: number;
  readonly problems: readonly string[];
  readonly backboneModelId: string;
}

export function reindexRecord(report: ReindexReport, backboneModelId: string): ReindexRecord {
  return { total: report.total, reembedded: report.reembedded, failed: report.failed, problems: report.problems.map(formatProblem), backboneModelId };
}

/** The outcome of one training run: a head trained (promoted or not), or skipped with the reason. */
export type TrainingRecord =
  | (Pick<
      TrainingSuccess,
      'status' | 'runId' | 'headId' | 'recipe' | 'classes' | 'trainSize' | 'valSize' | 'valAccuracy' | 'valLoss' | 'perClass' | 'confusion' | 'promoted' | 'promotionReason' | 'bestEpoch' | 'files'
    >)
  | { readonly status: 'skipped'; readonly runId: string; readonly reason: string };

export function trainingRecord(result: TrainingResult): TrainingRecord {
  if (result.status === 'skipped') return { status: 'skipped', runId: result.runId, reason: result.reason };
  const r = result;
  return {
    status: r.status, runId: r.runId, headId: r.headId, recipe: r.recipe, classes: r.classes, trainSize: r.trainSize, valSize: r.valSize,
    valAccuracy: r.valAccuracy, valLoss: r.valLoss, perClass: r.perClass, confusion: r.confusion, promoted: r.promoted,
    promotionReason: r.promotionReason, bestEpoch: r.bestEpoch, files: r.files,
  };
}

/** A command that could not run: the one-line message and the exit code (see README "Exit codes"). */
export interface ErrorRecord {
  readonly error: string;
  readonly exitCode: number;
}

function round(value: number, decimals: number): number {
  return Number(value.toFixed(decimals));
}
