/**
 * Builds the app's embedding model from configuration: the ONNX backbone plus the preprocessing
 * that feeds it. This is where "a photo becomes an embedding" is assembled.
 */
import type { Config } from '../config/index.ts';
import { Backbone } from './backbone.ts';
import { ImageEmbedder, embedderOptionsFromConfig, type EmbedAllOptions, type ImageInput } from './embedder.ts';
import type { WarnLogger } from './execution-provider.ts';

/** An {@link ImageEmbedder} that owns its backbone session and says whether it is pretrained. */
export interface LoadedEmbeddingModel {
  readonly modelId: string;
  readonly pretrained: boolean;
  readonly dimension: number;
  /** `cpu` or `cuda`, after any fallback. */
  readonly provider: string;
  embed: ImageEmbedder['embed'];
  embedAll(inputs: readonly ImageInput[], options?: EmbedAllOptions): ReturnType<ImageEmbedder['embedAll']>;
  close(): Promise<void>;
}

/**
 * Loads `MODEL_PATH` (validated against its manifest) on the configured device.
 * @throws ModelMissingError when the file is absent, with instructions to get one.
 */
export async function loadEmbeddingModel(config: Pick<Config, 'model' | 'images'>, logger: WarnLogger): Promise<LoadedEmbeddingModel> {
  const backbone = await Backbone.load(config.model.path, { device: config.model.device, threads: config.model.threads, maxBatch: config.model.batchSize, logger });
  const embedder = new ImageEmbedder(backbone, embedderOptionsFromConfig(config));
  return {
    modelId: backbone.modelId,
    pretrained: backbone.pretrained,
    dimension: backbone.dimension,
    provider: backbone.provider,
    embed: (input, source) => embedder.embed(input, source),
    embedAll: (inputs, options) => embedder.embedAll(inputs, options),
    close: () => backbone.close(),
  };
}
