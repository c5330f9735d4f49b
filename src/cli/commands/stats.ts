import type { Command } from 'commander';
import type { LastTraining } from '../../core/stats/stats-service.ts';
import type { CliContext } from '../context.ts';

/** `success (cron, 2026-11-26 03:30): promoted …` or `none yet`. */
function describeLastTraining(last: LastTraining | null): string {
  if (!last) return 'none yet';
  const when = last.at.toISOString().slice(0, 16).replace('T', ' ');
  return `${last.status} (${last.trigger}, ${when} UTC)${last.reason ? `: ${last.reason}` : ''}`;
}

export function registerStats(program: Command, run: (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>): void {
  program
    .command('stats')
    .description('catalog and search figures')
    .option('--json', 'print one JSON object', false)
    .action(async (options: { json: boolean }) => {
      await run(options.json, async (context) => {
        const assistant = await context.assistant();
        const stats = await assistant.stats.collect();
        context.output.record({
          products: stats.catalog.products,
          activeProducts: stats.catalog.activeProducts,
          inStock: stats.catalog.inStock,
          images: stats.catalog.images,
          categories: stats.catalog.categories,
          searches: stats.searches.total,
          searchesLast24h: stats.searches.last24h,
          searchesLast7d: stats.searches.last7d,
          noMatchSearches: stats.searches.noMatch,
          catalogRevision: stats.catalogRevision,
          backboneModelId: stats.backbone.modelId,
          pretrained: stats.backbone.pretrained,
          classifier: stats.classifier && { recipe: stats.classifier.recipe, valAccuracy: stats.classifier.valAccuracy, trainedAt: stats.classifier.createdAt.toISOString() },
          lastTraining: stats.lastTraining && { ...stats.lastTraining, at: stats.lastTraining.at.toISOString() },
          database: stats.database.engine,
        });
        const lines = [
          `products      ${stats.catalog.products} (${stats.catalog.activeProducts} active, ${stats.catalog.inStock} in stock, ${stats.catalog.categories} categories)`,
          `images        ${stats.catalog.images}`,
          `searches      ${stats.searches.total} (${stats.searches.last24h} in 24 h, ${stats.searches.last7d} in 7 days, ${stats.searches.noMatch} without a match)`,
          `backbone      ${stats.backbone.modelId} (${stats.backbone.pretrained ? 'pretrained on ImageNet' : 'GENERATED weights, matches not meaningful'})`,
          `classifier    ${stats.classifier ? `${stats.classifier.recipe} head, validation accuracy ${(stats.classifier.valAccuracy * 100).toFixed(1)}%, trained ${stats.classifier.createdAt.toISOString().slice(0, 10)}` : 'not trained yet (npx shoplens train)'}`,
          `last training ${describeLastTraining(stats.lastTraining)}`,
          `database      ${stats.database.engine} at ${stats.database.location}`,
        ];
        for (const line of lines) context.output.line(line);
        return 0;
      });
    });
}
