import type { Queryable } from '../database.ts';

/** Identifies one cached feature vector. */
export interface FeatureKey {
  /** Lower-case hex SHA-256 of the original image bytes. */
  readonly sha256: string;
  /** `'original'` or an augmentation id. */
  readonly augmentation: string;
}

/** `sha256 + '/' + augmentation`, the key of {@link FeatureCacheRepository.getMany}'s map. */
export function featureKeyString(key: FeatureKey): string {
  return `${key.sha256}/${key.augmentation}`;
}

/** Raw backbone features by (image sha256, backbone model id, augmentation), as float32 bytes. */
export class FeatureCacheRepository {
  constructor(private readonly db: Queryable) {}

  /** Cached vectors among `keys` for backbone `modelId`, keyed by {@link featureKeyString}. */
  async getMany(modelId: string, keys: readonly FeatureKey[]): Promise<Map<string, Float32Array>> {
    const found = new Map<string, Float32Array>();
    const hashes = [...new Set(keys.map((key) => key.sha256))];
    for (let start = 0; start < hashes.length; start += 500) {
      const { rows } = await this.db.query<{ sha256: string; augmentation: string; features: Uint8Array }>(
        'SELECT sha256, augmentation, features FROM feature_cache WHERE model_id = $1 AND sha256 = ANY($2::char(64)[])',
        [modelId, hashes.slice(start, start + 500)],
      );
      for (const row of rows) found.set(featureKeyString(row), toFloat32(row.features));
    }
    return found;
  }

  /** Stores one vector (idempotent). */
  async put(modelId: string, key: FeatureKey, features: Float32Array): Promise<void> {
    await this.db.query(
      `INSERT INTO feature_cache (sha256, model_id, augmentation, features) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sha256, model_id, augmentation) DO NOTHING`,
      [key.sha256, modelId, key.augmentation, Buffer.from(features.buffer, features.byteOffset, features.byteLength)],
    );
  }

  /** Number of cached vectors for `modelId`. */
  async count(modelId: string): Promise<number> {
    const { rows } = await this.db.query<{ count: number }>('SELECT count(*)::int AS count FROM feature_cache WHERE model_id = $1', [modelId]);
    return Number(rows[0]?.count ?? 0);
  }
}

/** Copies bytes into a fresh, aligned Float32Array (driver buffers may be unaligned or pooled). */
function toFloat32(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
