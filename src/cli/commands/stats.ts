import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

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
          database: stats.database.engine,
        });
        const lines = [
          `products      ${stats.catalog.products} (${stats.catalog.activeProducts} active, ${stats.catalog.inStock} in stock, ${stats.catalog.categories} categories)`,
          `images        ${stats.catalog.images}`,
          `searches      ${stats.searches.total} (${stats.searches.last24h} in 24 h, ${stats.searches.last7d} in 7 days, ${stats.searches.noMatch} without a match)`,
          `backbone      ${stats.backbone.modelId} (${stats.backbone.pretrained ? 'pretrained on ImageNet' : 'GENERATED weights, matches not meaningful'})`,
          `classifier    ${stats.classifier ? `${stats.classifier.recipe} head, validation accuracy ${(stats.classifier.valAccuracy * 100).toFixed(1)}%, trained ${stats.classifier.createdAt.toISOString().slice(0, 10)}` : 'not trained yet (npx shoplens train)'}`,
          `database      ${stats.database.engine} at ${stats.database.location}`,
        ];
        for (const line of lines) context.output.line(line);
        return 0;
      });
    });
}
