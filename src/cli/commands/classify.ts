/** `npx shoplens classify <image…|folder> [--json]`: the active head's category guess per image. */
import type { Command } from 'commander';
import { z } from 'zod';
import { classificationRecord, type QueryErrorRecord } from '../../core/records.ts';
import { HeadNotUsableError } from '../../core/training/index.ts';
import { OperationalError } from '../../domain/errors.ts';
import { readLimitedFile } from '../../ml/preprocess.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { EXIT } from '../errors.ts';
import { imageArguments, itemProblem, queryImageSchema, warnIfNotPretrained } from './shared.ts';

const classifyRequest = z.object({ queries: z.array(queryImageSchema).min(1) });

export type ClassifyRequest = z.infer<typeof classifyRequest>;

export const classifyCommand: CommandSpec<ClassifyRequest> = {
  name: 'classify',
  scope: 'catalog',
  requestSchema: classifyRequest,
  execute: runClassify,
};

export function registerClassify(program: Command, runner: CommandRunner): void {
  program
    .command('classify')
    .description('predict the category of each image with the active classifier head')
    .argument('<images...>', 'image files or folders of images')
    .option('--json', 'one JSON object per image', false)
    .action(async (targets: string[], options: { json: boolean }) => {
      await runner.run(classifyCommand, options, async () => ({ queries: await imageArguments(targets) }));
    });
}

/** Prints category, confidence and top-3 per image; exit code 1 when some images failed. */
export async function runClassify(context: CommandContext, request: ClassifyRequest): Promise<number> {
  const assistant = await context.assistant();
  const model = await assistant.model();
  warnIfNotPretrained(context.output, model);
  const { classifier } = assistant.training;
  if ((await classifier.activeId()) === undefined) {
    throw new HeadNotUsableError(`No trained category head is active for backbone ${model.modelId}: run \`npx shoplens train\` first`);
  }
  let failures = 0;
  for (const query of request.queries) {
    if (context.signal.aborted) break;
    try {
      const { features } = await model.embed(await readLimitedFile(query.file, query.label, context.config.images.maxBytes), query.label);
      const prediction = (await classifier.predict(features))!;
      context.output.record(classificationRecord(query.label, prediction));
      const others = prediction.top3.slice(1).map((p) => `${p.category} ${(p.probability * 100).toFixed(1)}%`).join(', ');
      context.output.line(`${query.label}  ${prediction.category} ${(prediction.confidence * 100).toFixed(1)}%${others ? `  (then ${others})` : ''}`);
    } catch (error) {
      if (error instanceof OperationalError) throw error;
      failures++;
      const problem = itemProblem(query.label, error);
      context.output.warn(problem);
      context.output.record({ query: query.label, error: problem } satisfies QueryErrorRecord);
    }
  }
  return failures > 0 ? EXIT.partial : EXIT.ok;
}
