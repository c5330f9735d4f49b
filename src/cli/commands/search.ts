import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { IMAGE_EXTENSIONS } from '../../core/catalog/import-folder.ts';
import type { SearchHit } from '../../domain/catalog.ts';
import { readLimitedFile } from '../../ml/preprocess.ts';
import type { CliContext } from '../context.ts';
import { warnIfNotPretrained } from './shared.ts';

interface SearchOptions {
  json: boolean;
  top: string;
}

export function registerSearch(program: Command, run: (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>): void {
  program
    .command('search')
    .description('find the in-stock products that look most like each image')
    .argument('<images...>', 'image files or folders of images')
    .option('--top <k>', 'results per image', '5')
    .option('--json', 'one JSON object per input line', false)
    .action(async (targets: string[], options: SearchOptions) => {
      await run(options.json, async (context) => searchImages(context, targets, parseTop(options.top)));
    });
}

function parseTop(value: string): number {
  const top = Number(value);
  if (!Number.isInteger(top) || top < 1 || top > 100) throw new UsageError(`--top must be a whole number from 1 to 100, got "${value}"`);
  return top;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

async function searchImages(context: CliContext, targets: readonly string[], top: number): Promise<number> {
  const queries = await expandTargets(targets);
  const assistant = await context.assistant();
  warnIfNotPretrained(context, await assistant.model());
  let failures = 0;
  for (const query of queries) {
    try {
      const data = await readLimitedFile(query, query, context.config.images.maxBytes);
      const answer = await assistant.search.searchByImage(data, query, { limit: top }, { channel: 'cli', userRef: 'cli' });
      printAnswer(context, query, answer.hits, answer.latencyMs);
    } catch (error) {
      failures += 1;
      const message = error instanceof Error ? error.message : String(error);
      context.output.warn(message.startsWith(query) ? message : `${query}: ${message}`);
      context.output.record({ query, error: message });
      if (error instanceof Error && error.name === 'ModelMismatchError') break;
    }
  }
  return failures > 0 ? 1 : 0;
}

function printAnswer(context: CliContext, query: string, hits: readonly SearchHit[], latencyMs: number): void {
  context.output.record({
    query,
    results: hits.map((hit) => ({
      sku: hit.product.sku,
      name: hit.product.name,
      category: hit.product.category,
      price: hit.product.price,
      currency: hit.product.currency,
      stock: hit.product.stock,
      score: Number(hit.score.toFixed(6)),
    })),
    latencyMs: Number(latencyMs.toFixed(1)),
  });
  context.output.line(`${query}  (${latencyMs.toFixed(0)} ms)`);
  if (hits.length === 0) context.output.line('  no products in stock');
  hits.forEach((hit, index) => {
    const { product } = hit;
    context.output.line(
      `  ${index + 1}. ${product.sku}  ${product.name}  [${product.category}]  ${product.price} ${product.currency}  stock ${product.stock}  score ${hit.score.toFixed(3)}`,
    );
  });
}

/** Files stay as given; folders expand to the images inside them (recursively, sorted). */
async function expandTargets(targets: readonly string[]): Promise<string[]> {
  const queries: string[] = [];
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) {
      const images = await imagesUnder(target);
      if (images.length === 0) throw new UsageError(`${target}: no images found (${[...IMAGE_EXTENSIONS].join(', ')})`);
      queries.push(...images);
    } else {
      queries.push(target);
    }
  }
  return queries;
}

async function imagesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
