/**
 * Files a run leaves in `models/`: `runs/<runId>/{metrics.json,curves.png,confusion.png}` and the
 * head itself in `heads/<headId>.json`. Every file is written to a temporary name and renamed, so
 * a reader never sees half a file.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EpochMetrics } from '../../../training/softmax.ts';

export interface RunFiles {
  readonly dir: string;
  readonly metrics: string;
  readonly curves: string;
  readonly confusion: string;
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

/** Writes the run's metrics and both charts. */
export async function writeRunFiles(
  modelsDir: string,
  run: { runId: string; recipe: string; categories: readonly string[]; history: readonly EpochMetrics[]; confusion: number[][]; metrics: unknown },
): Promise<RunFiles> {
  const dir = path.join(modelsDir, 'runs', run.runId);
  const files = { dir, metrics: path.join(dir, 'metrics.json'), curves: path.join(dir, 'curves.png'), confusion: path.join(dir, 'confusion.png') };
  await writeAtomic(files.metrics, `${JSON.stringify(run.metrics, null, 2)}\n`);
  // Loaded on first use: vega costs ~20 MB and a second of start-up that serving never needs.
  const { confusionSpec, curvesSpec, renderPng } = await import('./charts.ts');
  await writeAtomic(files.curves, await renderPng(curvesSpec(run.history, `Training curves — ${run.recipe} recipe, run ${run.runId}`)));
  await writeAtomic(files.confusion, await renderPng(confusionSpec(run.confusion, run.categories, `Validation confusion matrix — ${run.recipe}`)));
  return files;
}

/** Path of a head's JSON file. */
export function headFile(modelsDir: string, headId: string): string {
  return path.join(modelsDir, 'heads', `${headId}.json`);
}

export async function writeHeadFile(modelsDir: string, headId: string, content: unknown): Promise<string> {
  const file = headFile(modelsDir, headId);
  await writeAtomic(file, JSON.stringify(content));
  return file;
}

export async function removeHeadFile(modelsDir: string, headId: string): Promise<void> {
  await rm(headFile(modelsDir, headId), { force: true });
}
