/**
 * torchvision ResNet-50 v1.5 feature extractor (everything up to and including avgpool + flatten),
 * with BatchNorm folded into conv biases and random weights.
 */
import {
  add, convBn, globalAveragePoolFlatten, maxPool3x3s2, relu, IMAGENET_INPUT, residualBranchScale, type LayerContext,
} from './layers.ts';

const EXPANSION = 4;
const STEM_CHANNELS = 64;
const STAGES: readonly { blocks: number; width: number; stride: number }[] = [
  { blocks: 3, width: 64, stride: 1 },
  { blocks: 4, width: 128, stride: 2 },
  { blocks: 6, width: 256, stride: 2 },
  { blocks: 3, width: 512, stride: 2 },
];
const BLOCK_COUNT = STAGES.reduce((sum, stage) => sum + stage.blocks, 0);

interface BlockSpec {
  prefix: string;
  input: string;
  inChannels: number;
  width: number;
  stride: number;
}

/**
 * v1.5 Bottleneck: the stride sits on the 3×3 conv, and the first block of every stage gets a
 * 1×1 strided projection shortcut (downsample.0 + BN).
 */
function bottleneck(ctx: LayerContext, block: BlockSpec): string {
  const { prefix, input, inChannels, width, stride } = block;
  const outChannels = width * EXPANSION;
  let branch = convBn(ctx, { name: `${prefix}.conv1`, input, inChannels, outChannels: width, kernel: 1, stride: 1 });
  branch = relu(ctx, `${prefix}.relu1`, branch);
  branch = convBn(ctx, { name: `${prefix}.conv2`, input: branch, inChannels: width, outChannels: width, kernel: 3, stride });
  branch = relu(ctx, `${prefix}.relu2`, branch);
  branch = convBn(ctx, {
    name: `${prefix}.conv3`, input: branch, inChannels: width, outChannels, kernel: 1, stride: 1,
    scale: residualBranchScale(BLOCK_COUNT),
  });

  const needsProjection = stride !== 1 || inChannels !== outChannels;
  const shortcut = needsProjection
    ? convBn(ctx, { name: `${prefix}.downsample.0`, input, inChannels, outChannels, kernel: 1, stride })
    : input;
  return relu(ctx, `${prefix}.relu`, add(ctx, `${prefix}.add`, branch, shortcut));
}

/**
 * Appends ResNet-50 to the graph; node and initializer names follow torchvision's module paths
 * (conv1, layer3.2.conv2, layer4.0.downsample.0, …).
 * @param input name of a float32 [N, 3, 224, 224] tensor
 * @param outputName name given to the float32 [N, 2048] pooled feature
 */
export function buildResNet50(ctx: LayerContext, input: string, outputName: string): string {
  let x = convBn(ctx, { name: 'conv1', input, inChannels: 3, outChannels: STEM_CHANNELS, kernel: 7, stride: 2, inputKind: IMAGENET_INPUT });
  x = relu(ctx, 'relu', x);
  x = maxPool3x3s2(ctx, 'maxpool', x);

  let channels = STEM_CHANNELS;
  STAGES.forEach((stage, stageIndex) => {
    for (let index = 0; index < stage.blocks; index++) {
      const prefix = `layer${stageIndex + 1}.${index}`;
      const stride = index === 0 ? stage.stride : 1;
      x = bottleneck(ctx, { prefix, input: x, inChannels: channels, width: stage.width, stride });
      channels = stage.width * EXPANSION;
    }
  });
  return globalAveragePoolFlatten(ctx, 'avgpool', outputName, x);
}
