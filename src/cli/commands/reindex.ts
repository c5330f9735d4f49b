import type { Command } from 'commander';
import { formatProblem } from '../../core/catalog/import-report.ts';
import type { CliContext } from '../context.ts';

export function registerReindex(program: Command, run: (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>): void {
  program
    .command('reindex')
    .description('re-embed every image made by another backbone than the current one')
    .option('--json', 'print a JSON summary', false)
    .action(async (options: { json: boolean }) => {
      await run(options.json, async (context) => {
        const assistant = await context.assistant();
        const progress = context.output.progress('reindex');
        const report = await assistant.reindexer.reindex({ onProgress: (done, total) => progress.update(done, total) }).finally(() => progress.stop());
        for (const problem of report.problems) context.output.warn(formatProblem(problem));
        const model = await assistant.model();
        context.output.record({ total: report.total, reembedded: report.reembedded, failed: report.failed, modelId: model.modelId });
        context.output.line(report.total === 0 ? `all images already use ${model.modelId}` : `re-embedded ${report.reembedded} of ${report.total} images with ${model.modelId}, failed ${report.failed}`);
        return report.failed > 0 ? 1 : 0;
      });
    });
}
