/**
 * Assembles a complete generated model (graph + ONNX metadata) for one architecture and seed.
 */
import {
  BATCH_DIM, EMBEDDING_DIMENSION, INPUT_CHANNELS, INPUT_NAME, INPUT_SIZE, OUTPUT_NAME,
} from './contract.ts';
import type { LayerContext } from './layers.ts';
import { OnnxGraphBuilder } from './onnx-graph-builder.ts';
import { buildResNet50 } from './resnet50.ts';
import { SeededRandom } from './seeded-random.ts';
import { buildTiny } from './tiny.ts';

export type GeneratorArch = 'resnet50' | 'tiny';

export const GENERATOR_ARCHS: readonly GeneratorArch[] = ['resnet50', 'tiny'];

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

function buildArch(ctx: LayerContext, arch: GeneratorArch): void {
  switch (arch) {
    case 'resnet50':
      buildResNet50(ctx, INPUT_NAME, OUTPUT_NAME);
      return;
    case 'tiny':
      buildTiny(ctx, INPUT_NAME, OUTPUT_NAME, EMBEDDING_DIMENSION);
      return;
  }
}

export function assertArch(arch: unknown): asserts arch is GeneratorArch {
  if (!GENERATOR_ARCHS.includes(arch as GeneratorArch)) {
    throw new RangeError(`unknown arch ${String(arch)}; expected one of ${GENERATOR_ARCHS.join(', ')}`);
  }
}

/** Builds the model and reports its size (node and parameter counts are for tests and logs). */
export function buildModel(arch: GeneratorArch, seed: number): BuiltModel {
  assertArch(arch);
  const builder = new OnnxGraphBuilder();
  buildArch({ builder, random: new SeededRandom(seed) }, arch);
  const bytes = builder.build(
    [{ name: INPUT_NAME, shape: [BATCH_DIM, INPUT_CHANNELS, INPUT_SIZE, INPUT_SIZE] }],
    [{ name: OUTPUT_NAME, shape: [BATCH_DIM, EMBEDDING_DIMENSION] }],
    {
      producerName: PRODUCER_NAME,
      producerVersion: PRODUCER_VERSION,
      irVersion: IR_VERSION,
      opsetVersion: OPSET_VERSION,
      graphName: `generated-${arch}`,
      docString: `Randomly initialised ${arch} (seed ${seed}); not pretrained.`,
    },
  );
  return { bytes, nodeCount: builder.nodeCount, parameterCount: builder.parameterCount };
}
