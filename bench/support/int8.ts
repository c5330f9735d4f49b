/**
 * `--int8` in the benchmarks: the int8 copy `npx shoplens model quantize` makes of a bench model,
 * kept in `.bench/` and made again when the float model it came from changed.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { manifestPathFor, readManifest } from '../../src/ml/manifest.ts';
import { quantizeBackbone } from '../../src/ml/model-quantize/index.ts';

/**
 * Quantizes `floatPath` on the photos in `photosDir` (as the CLI does, with the app's settings from
 * the environment) into `<dir of floatPath>/<id>.onnx`, prints how it compares, returns its path.
 */
export async function int8Copy(floatPath: string, photosDir: string, id: string): Promise<string> {
  const modelsDir = path.dirname(floatPath);
  const int8Path = path.join(modelsDir, `${id}.onnx`);
  const float = await readManifest(floatPath);
  const existing = existsSync(manifestPathFor(int8Path)) ? await readManifest(int8Path).catch(() => undefined) : undefined;
  if (existing?.quantizedFrom?.sha256 !== float.sha256) {
    await rm(int8Path, { force: true });
    await rm(manifestPathFor(int8Path), { force: true });
  }
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' }, process.cwd());
  const result = await quantizeBackbone({
    modelPath: floatPath, modelsDir, activePath: floatPath, photosDir, id, activate: false,
    preprocessMode: config.model.preprocessMode, maxBytes: config.images.maxBytes, maxPixels: config.images.maxPixels, threads: config.model.threads,
  });
  console.log(
    `int8 backbone ${result.modelId}: \`model quantize\` of ${result.sourceModelId}, scales from ${result.calibrationPhotos} photos; ` +
      `cosine to the float embeddings of ${result.checkPhotos} held-out photos ${result.cosineMin.toFixed(4)} (min), ${result.cosineMedian.toFixed(4)} (median); ` +
      `one image ${result.int8Ms.toFixed(1)} ms int8 vs ${result.floatMs.toFixed(1)} ms float`,
  );
  return result.modelPath;
}
