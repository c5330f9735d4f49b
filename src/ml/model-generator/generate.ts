/**
 * Assembles a complete generated model (graph + ONNX metadata) for one architecture and seed.
 */
import {
  BATCH_DIM, CLASSIFIER_CLASSES, CLASSIFIER_OUTPUT_NAME, EMBEDDING_DIMENSION, INPUT_CHANNELS, INPUT_NAME, INPUT_SIZE, OUTPUT_NAME,
} from './contract.ts';
import { classifierHead, type LayerContext } from './layers.ts';
import { OnnxGraphBuilder } from './onnx-graph-builder.ts';
import { buildResNet50 } from './resnet50.ts';
import { SeededRandom } from './seeded-random.ts';
import { buildTiny } from './tiny.ts';

export type GeneratorArch = 'resnet50' | 'tiny';

export const GENERATOR_ARCHS: readonly GeneratorArch[] = ['resnet50', 'tiny'];

/**
 * What the graph ends in. `features`: the pooled 2048-d embedding (a backbone). `classifier`: the
 * same network and weights followed by a 1,000-way Gemm + Softmax, the shape of a torchvision or
 * ONNX model zoo ImageNet classifier export; `model import` turns it back into a backbone.
 */
export type GeneratorHead = 'features' | 'classifier';

export const PRODUCER_NAME = 'shoplens-model-generator';
const PRODUCER_VERSION = '1';
/** IR 7 is the version released alongside opset 13 (ONNX 1.8), so any runtime reading opset 13 reads it. */
const IR_VERSION = 7;
const OPSET_VERSION = 13;

export interface BuiltModel {
  bytes: Uint8Array;
  nodeCount: number;
  parameterCount: number;
}

/** Appends the feature extractor; returns the name of its float32 [N, 2048] pooled output. */
function buildArch(ctx: LayerContext, arch: GeneratorArch, pooledName: string): string {
  switch (arch) {
    case 'resnet50':
      return buildResNet50(ctx, INPUT_NAME, pooledName);
    case 'tiny':
      return buildTiny(ctx, INPUT_NAME, pooledName, EMBEDDING_DIMENSION);
  }
}

export function assertArch(arch: unknown): asserts arch is GeneratorArch {
  if (!GENERATOR_ARCHS.includes(arch as GeneratorArch)) {
    throw new RangeError(`unknown arch ${String(arch)}; expected one of ${GENERATOR_ARCHS.join(', ')}`);
  }
}

/**
 * Builds the model and reports its size (node and parameter counts are for tests and logs).
 * The backbone's weights are drawn first, so a `classifier` shares every backbone weight with the
 * `features` model of the same arch and seed.
 */
export function buildModel(arch: GeneratorArch, seed: number, head: GeneratorHead = 'features'): BuiltModel {
  assertArch(arch);
  const builder = new OnnxGraphBuilder();
  const ctx = { builder, random: new SeededRandom(seed) };
  const classifier = head === 'classifier';
  const pooled = buildArch(ctx, arch, classifier ? 'flatten' : OUTPUT_NAME);
  if (classifier) classifierHead(ctx, pooled, EMBEDDING_DIMENSION, CLASSIFIER_CLASSES, CLASSIFIER_OUTPUT_NAME);
  const output = classifier
    ? { name: CLASSIFIER_OUTPUT_NAME, shape: [BATCH_DIM, CLASSIFIER_CLASSES] }
    : { name: OUTPUT_NAME, shape: [BATCH_DIM, EMBEDDING_DIMENSION] };
  const bytes = builder.build(
    [{ name: INPUT_NAME, shape: [BATCH_DIM, INPUT_CHANNELS, INPUT_SIZE, INPUT_SIZE] }],
    [output],
    {
      producerName: PRODUCER_NAME,
      producerVersion: PRODUCER_VERSION,
      irVersion: IR_VERSION,
      opsetVersion: OPSET_VERSION,
      graphName: `generated-${arch}${classifier ? '-classifier' : ''}`,
      docString: `Randomly initialised ${arch}${classifier ? ' ImageNet-style classifier' : ''} (seed ${seed}); not pretrained.`,
    },
  );
  return { bytes, nodeCount: builder.nodeCount, parameterCount: builder.parameterCount };
}
