/**
 * Backbone features for training, through the cache: each (image sha256, backbone id,
 * augmentation) is embedded once, so a retrain only embeds images it has not seen.
 */
import type { FeatureCacheRepository, FeatureKey } from '../../db/repositories/feature-cache.ts';
import { featureKeyString } from '../../db/repositories/feature-cache.ts';
import type { EmbeddingModel } from '../ports.ts';
import type { LabelledImage } from './dataset.ts';

/** Turns an encoded image into an augmented, encoded image (see `src/ml/augment.ts`). */
export type Augmenter = (data: Buffer, sha256: string, augmentation: string) => Promise<Buffer>;

export interface FeatureRequest {
  readonly image: LabelledImage;
  /** `'original'` or an augmentation id. */
  readonly augmentation: string;
}

export interface FeatureBatch {
  /** One raw feature vector per request, in request order; undefined where the image was unreadable. */
  readonly features: (Float32Array | undefined)[];
  readonly cacheHits: number;
  readonly embedded: number;
  /** Unreadable images, one line each (`source: reason`). */
  readonly rejected: string[];
}

/** Fetches cached features and embeds the rest, storing them. */
export async function extractFeatures(
  requests: readonly FeatureRequest[],
  deps: { readonly model: EmbeddingModel; readonly cache: FeatureCacheRepository; readonly augment: Augmenter; readonly signal?: AbortSignal; readonly onProgress?: (done: number, total: number) => void },
): Promise<FeatureBatch> {
  const keys: FeatureKey[] = requests.map((r) => ({ sha256: r.image.sha256, augmentation: r.augmentation }));
  const cached = await deps.cache.getMany(deps.model.modelId, keys);
  const features: (Float32Array | undefined)[] = keys.map((key) => cached.get(featureKeyString(key)));
  const missing = features.flatMap((value, index) => (value === undefined ? [index] : []));
  const rejected: string[] = [];
  const badImages = new Set<string>();
  let done = 0;
  for (let start = 0; start < missing.length; start += CHUNK) {
    deps.signal?.throwIfAborted();
    const chunk = await prepareChunk(missing.slice(start, start + CHUNK), requests, deps.augment, badImages, rejected);
    const inputs = chunk.map((item) => ({ source: item.source, data: item.data }));
    let position = 0;
    for await (const outcome of deps.model.embedAll(inputs, deps.signal ? { signal: deps.signal } : {})) {
      const { index } = chunk[position++]!;
      if (outcome.ok) {
        features[index] = outcome.image.features;
        await deps.cache.put(deps.model.modelId, keys[index]!, outcome.image.features);
      } else {
        badImages.add(requests[index]!.image.sha256);
        rejected.push(`${requests[index]!.image.source}: ${outcome.error.reason}`);
      }
      deps.onProgress?.(++done, missing.length);
    }
  }
  return { features, cacheHits: requests.length - missing.length, embedded: features.filter(Boolean).length - (requests.length - missing.length), rejected };
}

/** Images embedded per `embedAll` call: enough to keep the pipeline busy, few enough to hold augmented copies in memory. */
const CHUNK = 32;

/** Reads (and augments) the images of one chunk; unreadable ones are reported and left out. */
async function prepareChunk(
  indices: readonly number[],
  requests: readonly FeatureRequest[],
  augment: Augmenter,
  badImages: Set<string>,
  rejected: string[],
): Promise<{ index: number; source: string; data: Buffer }[]> {
  const chunk: { index: number; source: string; data: Buffer }[] = [];
  for (const index of indices) {
    const { image, augmentation } = requests[index]!;
    if (badImages.has(image.sha256)) continue;
    try {
      const original = await image.read();
      const data = augmentation === 'original' ? original : await augment(original, image.sha256, augmentation);
      chunk.push({ index, source: augmentation === 'original' ? image.source : `${image.source} (${augmentation})`, data });
    } catch (error) {
      badImages.add(image.sha256);
      rejected.push(`${image.source}: ${(error as Error).message}`);
    }
  }
  return chunk;
}
