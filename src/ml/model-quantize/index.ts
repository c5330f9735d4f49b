/**
 * `npx shoplens model quantize`: makes an int8 copy of the active float backbone, calibrated on the
 * shop's own product photos, checks that it embeds held-out photos the way the float one does, and
 * stores it next to it as another backbone (`<id>-int8`). On a CPU with int8 dot-product
 * instructions it runs ResNet-50 about 2.5 times faster; which one serves is the owner's choice
 * (`model activate`), and switching re-embeds the catalog like any backbone change.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ModelMissingError } from '../backbone.ts';
import { modelIdOf, readManifest, type ModelManifest } from '../manifest.ts';
import { ModelImportError } from '../model-import/errors.ts';
import { storeBackbone, type StoreResult } from '../model-import/index.ts';
import { withExtraOutputs } from '../model-import/cut.ts';
import { assertSelfContained, decodeModel } from '../model-import/onnx-graph.ts';
import { verifyBackbone } from '../model-import/probe.ts';
import { describeFsError, preprocessFile, type PreprocessMode } from '../preprocess.ts';
import { activationRanges, compareModels, median } from './measure.ts';
import { prepareForQuantization, quantizedActivations, toQdqModel } from './qdq-graph.ts';

/** Fewer photos than this cannot show the range of activations real customer photos reach. */
export const MIN_PHOTOS = 16;
/** More photos than this add time (one float run each) but no accuracy. */
const MAX_PHOTOS = 80;
/** Every fifth photo is held out of calibration to check the result. */
const CHECK_EVERY = 5;
/**
 * Below this cosine between float and int8 embeddings of a held-out photo, the copy is refused:
 * the generated ResNet-50 gives 0.998 and above, so lower means the scales do not fit this model.
 */
export const MIN_COSINE = 0.98;
const PHOTO_EXTENSIONS = /\.(jpe?g|png|webp|gif|tiff?|avif|heic|heif)$/i;

export interface QuantizeBackboneOptions {
  /** The float backbone to copy (`MODEL_PATH`). */
  modelPath: string;
  /** Where backbones are kept: the directory of `MODEL_PATH`. */
  modelsDir: string;
  /** `MODEL_PATH`, the active backbone. */
  activePath: string;
  /** Directory searched (recursively) for calibration photos. */
  photosDir: string;
  /** Manifest id and file name; default `<float id>-int8`. */
  id?: string;
  /** `PREPROCESS_MODE`: calibration photos are fed exactly as customer photos will be. */
  preprocessMode: PreprocessMode;
  maxBytes: number;
  maxPixels: number;
  /** `ML_THREADS` (0 = ONNX Runtime's default, one per core); also used for the timing. */
  threads: number;
  activate: boolean;
  onStep?: (step: string) => void;
}

export interface QuantizeBackboneResult extends StoreResult {
  manifest: ModelManifest;
  modelId: string;
  /** The float backbone it was made from. */
  sourceModelId: string;
  calibrationPhotos: number;
  checkPhotos: number;
  /** Photos found but not readable as images; skipped. */
  skippedPhotos: number;
  cosineMin: number;
  cosineMedian: number;
  /** Median ms per image, batch of one, on this machine. */
  floatMs: number;
  int8Ms: number;
}

/**
 * Quantizes; see the module comment.
 * @throws {ModelImportError} for a backbone that is already int8 or has ops the rewrite does not
 *   know, too few photos, or an int8 copy that disagrees with the float backbone.
 */
export async function quantizeBackbone(options: QuantizeBackboneOptions): Promise<QuantizeBackboneResult> {
  const step = options.onStep ?? (() => undefined);
  const label = options.modelPath;
  if (!existsSync(options.modelPath)) throw new ModelMissingError(options.modelPath);
  const source = await readManifest(options.modelPath);
  if (source.source === 'quantized') {
    const float = source.quantizedFrom?.modelId;
    throw new ModelImportError(
      `${label} already is an int8 backbone; to make a new copy, activate the float one first (${float ? `\`npx shoplens model activate ${float}\`` : 'see `npx shoplens model list`'})`,
    );
  }
  const floatBytes = await readFile(options.modelPath).catch((error: unknown) => {
    throw new ModelImportError(`${label}: ${describeFsError(error)}`);
  });
  const model = decodeModel(floatBytes, label);
  assertSelfContained(model, label);
  const prepared = prepareForQuantization(model, label);

  step(`reading product photos in ${options.photosDir}`);
  const photos = await calibrationSet(options, source);
  const activations = quantizedActivations(prepared.graph!);
  step(`measuring ${activations.length} activations on ${photos.calibration.length} photos`);
  const ranges = await activationRanges(withExtraOutputs(prepared, activations), source.inputName, activations, photos.calibration, options.threads, label);
  const int8Bytes = toQdqModel(prepared, ranges);

  step(`checking the int8 copy on ${photos.check.length} held-out photos`);
  const comparison = await compareModels(floatBytes, int8Bytes, source, photos.check, options.threads, label);
  const cosineMin = Math.min(...comparison.cosines);
  const cosineMedian = median(comparison.cosines);
  if (cosineMin < MIN_COSINE) {
    throw new ModelImportError(
      `the int8 copy of ${modelIdOf(source)} disagrees with it (cosine ${cosineMin.toFixed(3)} on a held-out photo, below ${MIN_COSINE}); keep the float backbone`,
    );
  }
  await verifyBackbone(int8Bytes, { inputName: source.inputName, outputName: source.outputName, mean: source.mean, std: source.std }, `${label} (int8)`);

  const manifest: ModelManifest = {
    ...withoutOrigin(source),
    id: options.id ?? `${source.id}-int8`,
    source: 'quantized',
    url: null,
    sha256: createHash('sha256').update(int8Bytes).digest('hex'),
    createdAt: new Date().toISOString(),
    quantizedFrom: {
      modelId: modelIdOf(source), sha256: source.sha256, calibrationPhotos: photos.calibration.length, checkPhotos: photos.check.length, cosineMin, cosineMedian,
    },
  };
  const stored = await storeBackbone(int8Bytes, manifest, options);
  return {
    ...stored, manifest, modelId: modelIdOf(manifest), sourceModelId: modelIdOf(source),
    calibrationPhotos: photos.calibration.length, checkPhotos: photos.check.length, skippedPhotos: photos.skipped,
    cosineMin, cosineMedian, floatMs: comparison.floatMs, int8Ms: comparison.int8Ms,
  };
}

function withoutOrigin(manifest: ModelManifest): Omit<ModelManifest, 'importedFrom' | 'quantizedFrom'> {
  const { importedFrom: _imported, quantizedFrom: _quantized, ...rest } = manifest;
  return rest;
}

interface CalibrationSet {
  calibration: Float32Array[];
  check: Float32Array[];
  skipped: number;
}

/**
 * Up to {@link MAX_PHOTOS} photos spread evenly over the directory's sorted file list, preprocessed
 * like customer photos; every {@link CHECK_EVERY}th is held out for the check.
 */
async function calibrationSet(options: QuantizeBackboneOptions, manifest: ModelManifest): Promise<CalibrationSet> {
  const files = await photoFiles(options.photosDir);
  const chosen = spread(files, MAX_PHOTOS);
  const settings = {
    mode: options.preprocessMode, inputSize: manifest.inputSize, mean: manifest.mean, std: manifest.std, maxBytes: options.maxBytes, maxPixels: options.maxPixels,
  };
  const images: Float32Array[] = [];
  let skipped = 0;
  for (const file of chosen) {
    try {
      images.push((await preprocessFile(file, settings)).tensor);
    } catch {
      skipped += 1;
    }
  }
  if (images.length < MIN_PHOTOS) {
    throw new ModelImportError(
      `${options.photosDir} has ${images.length} usable photo${images.length === 1 ? '' : 's'}; int8 scales need at least ${MIN_PHOTOS}: import more products first, or give --photos DIR with photos like the ones customers send`,
    );
  }
  return {
    calibration: images.filter((_, index) => index % CHECK_EVERY !== CHECK_EVERY - 1),
    check: images.filter((_, index) => index % CHECK_EVERY === CHECK_EVERY - 1),
    skipped,
  };
}

async function photoFiles(directory: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(directory, { recursive: true, withFileTypes: true });
  } catch (error) {
    // A shop with no products yet has no images folder: that is "0 photos", said as such below.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ModelImportError(`${directory}: ${describeFsError(error)}; give --photos DIR with product photos`);
  }
  return entries
    .filter((entry) => entry.isFile() && PHOTO_EXTENSIONS.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** `count` items at even steps through `items` (all of them when there are fewer). */
function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, index) => items[Math.floor((index * items.length) / count)]!);
}
