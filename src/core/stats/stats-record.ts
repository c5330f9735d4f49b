/**
 * The shop's figures as one flat JSON record: the shape `stats --json` prints and the admin API's
 * `GET /api/admin/stats` returns, so every surface shows the same numbers under the same names.
 */
import type { ShopStats } from './stats-service.ts';

/** Flat, JSON-ready figures; latencies in milliseconds, accuracies in [0, 1]. */
export function statsRecord(stats: ShopStats): Record<string, unknown> {
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
    classifier: stats.classifier && { recipe: stats.classifier.recipe, valAccuracy: stats.classifier.valAccuracy, trainedAt: stats.classifier.createdAt.toISOString() },
    database: stats.database.engine,
  };
}
