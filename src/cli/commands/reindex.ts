/** `npx shoplens reindex [--json]`: re-embeds every image made by another backbone than the loaded one. */
import type { Command } from 'commander';
import { formatProblem } from '../../core/catalog/import-report.ts';
import { reindexRecord } from '../../core/records.ts';
import type { CommandContext, CommandRunner, CommandSpec } from '../context.ts';
import { EXIT } from '../errors.ts';
import { noArguments } from './shared.ts';

export const reindexCommand: CommandSpec<Record<string, never>> = {
  name: 'reindex',
  scope: 'catalog',
  requestSchema: noArguments,
  execute: reindex,
};

export function registerReindex(program: Command, runner: CommandRunner): void {
  program
    .command('reindex')
    .description('re-embed every image made by another backbone than the current one')
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { json: boolean }) => {
      await runner.run(reindexCommand, options, () => ({}));
    });
}

/** Each image's new vector is one UPDATE, so stopping part-way leaves a catalog `reindex` finishes later. */
async function reindex(context: CommandContext): Promise<number> {
  const assistant = await context.assistant();
  const model = await assistant.model();
  const progress = context.output.progress('reindex');
  const report = await assistant.reindexer
    .reindex({ onProgress: (done, total) => progress.update(done, total), signal: context.signal })
    .finally(() => progress.stop());
  for (const problem of report.problems) context.output.warn(formatProblem(problem));
  context.output.record(reindexRecord(report, model.modelId));
  context.output.line(
    report.total === 0
      ? `all images already use ${model.modelId}`
      : `re-embedded ${report.reembedded} of ${report.total} images with ${model.modelId}, failed ${report.failed}`,
  );
  return report.failed > 0 ? EXIT.partial : EXIT.ok;
}
