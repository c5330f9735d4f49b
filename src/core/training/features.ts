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
  for (const index of missing) {
    deps.signal?.throwIfAborted();
    const request = requests[index]!;
    if (badImages.has(request.image.sha256)) continue;
    try {
      const original = await request.image.read();
      const data = request.augmentation === 'original' ? original : await deps.augment(original, request.image.sha256, request.augmentation);
      const embedded = await deps.model.embed(data, request.image.source);
      features[index] = embedded.features;
      await deps.cache.put(deps.model.modelId, keys[index]!, embedded.features);
    } catch (error) {
      badImages.add(request.image.sha256);
      rejected.push(`${request.image.source}: ${(error as Error).message}`);
    }
    deps.onProgress?.(++done, missing.length);
  }
  return { features, cacheHits: requests.length - missing.length, embedded: done - rejected.length, rejected };
}
