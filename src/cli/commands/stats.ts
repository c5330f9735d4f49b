/** `npx shoplens stats [--json]`: catalog, search and model figures. */
import type { Command } from 'commander';
import { statsRecord } from '../../core/records.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { EXIT } from '../errors.ts';
import { noArguments } from './shared.ts';
import type { LastTraining } from '../../core/stats/stats-service.ts';

/** `success (cron, 2026-11-26 03:30): promoted …` or `none yet`. */
function describeLastTraining(last: LastTraining | null): string {
  if (!last) return 'none yet';
  const when = last.at.toISOString().slice(0, 16).replace('T', ' ');
  return `${last.status} (${last.trigger}, ${when} UTC)${last.reason ? `: ${last.reason}` : ''}`;
}

export const statsCommand: CommandSpec<Record<string, never>> = {
  name: 'stats',
  scope: 'catalog',
  requestSchema: noArguments,
  execute: printStats,
};

export function registerStats(program: Command, runner: CommandRunner): void {
  program
    .command('stats')
    .description('catalog and search figures')
    .option('--json', 'print one JSON object', false)
    .action(async (options: { json: boolean }) => {
      await runner.run(statsCommand, options, () => ({}));
    });
}

async function printStats(context: CommandContext): Promise<number> {
  const assistant = await context.assistant();
  const stats = await assistant.stats.collect();
  context.output.record(statsRecord(stats));
  const head = stats.classifier;
  const lines = [
    `products      ${stats.catalog.products} (${stats.catalog.activeProducts} active, ${stats.catalog.inStock} in stock, ${stats.catalog.categories} categories)`,
    `images        ${stats.catalog.images}`,
    `searches      ${stats.searches.total} (${stats.searches.last24h} in 24 h, ${stats.searches.last7d} in 7 days, ${stats.searches.noMatch} without a match)`,
    `backbone      ${stats.backbone.modelId} (${stats.backbone.pretrained ? 'pretrained on ImageNet' : 'GENERATED weights, matches not meaningful'})`,
    `classifier    ${head ? `${head.recipe} head, validation accuracy ${(head.valAccuracy * 100).toFixed(1)}%, trained ${head.createdAt.toISOString().slice(0, 10)}` : 'not trained yet (npx shoplens train)'}`,
    `last training ${describeLastTraining(stats.lastTraining)}`,
    `database      ${stats.database.engine} at ${stats.database.location}`,
  ];
  for (const line of lines) context.output.line(line);
  return EXIT.ok;
}
