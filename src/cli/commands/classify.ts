/** `npx shoplens classify <image…|folder> [--json]`: the active head's category guess per image. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { IMAGE_EXTENSIONS } from '../../core/catalog/import-folder.ts';
import { HeadNotUsableError } from '../../core/training/index.ts';
import { readLimitedFile } from '../../ml/preprocess.ts';
import type { CliContext } from '../context.ts';

type Run = (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>;

export function registerClassify(program: Command, run: Run): void {
  program
    .command('classify')
    .description('predict the category of each image with the active classifier head')
    .argument('<images...>', 'image files or folders of images')
    .option('--json', 'one JSON object per image', false)
    .action(async (targets: string[], options: { json: boolean }) => {
      await run(options.json, async (context) => runClassify(context, targets));
    });
}

/** Prints category, confidence and top-3 per image; exit code 1 when some images failed. */
export async function runClassify(context: CliContext, targets: readonly string[]): Promise<number> {
  const assistant = await context.assistant();
  const model = await assistant.model();
  const { classifier } = assistant.training;
  if ((await classifier.activeId()) === undefined) {
    throw new HeadNotUsableError(`No trained category head is active for backbone ${model.modelId}. Run \`npx shoplens train\` first.`);
  }
  let failures = 0;
  for (const file of await expand(targets)) {
    try {
      const { features } = await model.embed(await readLimitedFile(file, file, context.config.images.maxBytes), file);
      const prediction = (await classifier.predict(features))!;
      context.output.record({ image: file, category: prediction.category, confidence: prediction.confidence, top3: prediction.top3 });
      const others = prediction.top3.slice(1).map((p) => `${p.category} ${(p.probability * 100).toFixed(1)}%`).join(', ');
      context.output.line(`${file}  ${prediction.category} ${(prediction.confidence * 100).toFixed(1)}%${others ? `  (then ${others})` : ''}`);
    } catch (error) {
      failures++;
      const message = error instanceof Error ? error.message : String(error);
      context.output.warn(message.startsWith(file) ? message : `${file}: ${message}`);
      context.output.record({ image: file, error: message });
    }
  }
  return failures > 0 ? 1 : 0;
}

async function expand(targets: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) {
      const names = (await readdir(target)).filter((name) => IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase())).sort();
      files.push(...names.map((name) => path.join(target, name)));
    } else {
      files.push(target);
    }
  }
  return files;
}
