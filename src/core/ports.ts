/**
 * What the assistant core needs from the outside world, as interfaces. `src/ml` provides the
 * embedder; tests may provide fakes.
 */

/** One image to embed: either a file on disk or bytes already in memory. */
export interface ImageInput {
  /** How to name this image in messages: a path, a URL or a label such as "telegram photo". */
  readonly source: string;
  readonly path?: string;
  readonly data?: Buffer;
}

/** An image turned into backbone features. */
export interface ImageEmbedding {
  /** Raw global-average-pooled backbone features, length = model dimension (2048). */
  readonly features: Float32Array;
  /** `features` scaled to unit L2 norm; this is what gets stored and searched. */
  readonly embedding: Float32Array;
  /** Size in pixels after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** Lower-case hex SHA-256 of the original bytes. */
  readonly sha256: string;
}

/** An image that could not be used, with a one-line reason naming it. */
export interface ImageRejection extends Error {
  readonly source: string;
  readonly reason: string;
}

export type EmbedOutcome =
  | { readonly input: ImageInput; readonly ok: true; readonly image: ImageEmbedding }
  | { readonly input: ImageInput; readonly ok: false; readonly error: ImageRejection };

export interface EmbeddingModel {
  /** Stamped on every stored embedding: manifest id + file hash prefix. */
  readonly modelId: string;
  /** False for generated (random) weights, whose matches are not meaningful. */
  readonly pretrained: boolean;
  readonly dimension: number;
  /** Where inference runs (`cpu`, `cuda`), when the model knows. */
  readonly provider?: string;
  /** @throws an {@link ImageRejection} for unusable bytes. */
  embed(data: Buffer, source: string): Promise<ImageEmbedding>;
  /** Embeds many images, yielding one outcome per input in input order. */
  embedAll(
    inputs: readonly ImageInput[],
    options?: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal },
  ): AsyncGenerator<EmbedOutcome>;
}
