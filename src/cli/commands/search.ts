/** `npx shoplens search <image…|folder> [--top K] [--json]`: the in-stock products that look most like each image. */
import type { Command } from 'commander';
import { z } from 'zod';
import { searchRecord, type QueryErrorRecord } from '../../core/records.ts';
import type { SearchHit } from '../../domain/catalog.ts';
import { OperationalError } from '../../domain/errors.ts';
import { readLimitedFile } from '../../ml/preprocess.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { EXIT } from '../errors.ts';
import { imageArguments, integerFlag, itemProblem, queryImageSchema, warnIfNotPretrained } from './shared.ts';

/** `top`: results per image; absent = SEARCH_TOP_K. */
const searchRequest = z.object({ queries: z.array(queryImageSchema).min(1), top: z.number().int().min(1).max(100).optional() });

export type SearchRequest = z.infer<typeof searchRequest>;

export const searchCommand: CommandSpec<SearchRequest> = {
  name: 'search',
  scope: 'catalog',
  requestSchema: searchRequest,
  execute: searchImages,
};

export function registerSearch(program: Command, runner: CommandRunner): void {
  program
    .command('search')
    .description('find the in-stock products that look most like each image')
    .argument('<images...>', 'image files or folders of images')
    .option('--top <k>', 'results per image, 1-100 (default: SEARCH_TOP_K)')
    .option('--json', 'one JSON object per query image', false)
    .action(async (targets: string[], options: { json: boolean; top?: string }) => {
      await runner.run(searchCommand, options, async () => ({
        queries: await imageArguments(targets),
        ...(options.top === undefined ? {} : { top: integerFlag(options.top, '--top', { min: 1, max: 100 }) }),
      }));
    });
}

async function searchImages(context: CommandContext, request: SearchRequest): Promise<number> {
  const assistant = await context.assistant();
  warnIfNotPretrained(context.output, await assistant.model());
  const limit = request.top ?? context.config.search.topK;
  let failures = 0;
  for (const query of request.queries) {
    if (context.signal.aborted) break;
    try {
      const data = await readLimitedFile(query.file, query.label, context.config.images.maxBytes);
      const answer = await assistant.search.searchByImage(data, query.label, { limit }, { channel: 'cli', userRef: 'cli' });
      printAnswer(context, query.label, answer.hits, answer.latencyMs);
    } catch (error) {
      // A catalog embedded by another model, a database gone: no other query could succeed either.
      if (error instanceof OperationalError) throw error;
      failures += 1;
      const problem = itemProblem(query.label, error);
      context.output.warn(problem);
      context.output.record({ query: query.label, error: problem } satisfies QueryErrorRecord);
    }
  }
  return failures > 0 ? EXIT.partial : EXIT.ok;
}

function printAnswer(context: CommandContext, query: string, hits: readonly SearchHit[], latencyMs: number): void {
  context.output.record(searchRecord(query, hits, latencyMs));
  context.output.line(`${query}  (${latencyMs.toFixed(0)} ms)`);
  if (hits.length === 0) context.output.line('  no products in stock');
  hits.forEach((hit, index) => {
    const { product } = hit;
    context.output.line(
      `  ${index + 1}. ${product.sku}  ${product.name}  [${product.category}]  ${product.price} ${product.currency}  stock ${product.stock}  score ${hit.score.toFixed(3)}`,
    );
  });
}
