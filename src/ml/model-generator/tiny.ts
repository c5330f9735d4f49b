/**
 * A small residual CNN with the same input/output contract as ResNet-50, for fast tests:
 * ~0.15M parameters (~0.6 MB), ~75M multiply-adds per image.
 */
import {
  add, convBn, globalAveragePoolFlatten, maxPool3x3s2, relu, IMAGENET_INPUT, residualBranchScale, type LayerContext,
} from './layers.ts';

/**
 * Width matters more than depth for random features: with a 16-channel stem smooth gradients often
 * lost their retrieval ranking (too few colour directions); 48 channels held for all 30 seeds tried.
 */
const CHANNELS = 48;
const BLOCK_COUNT = 1;

/** Basic residual block (two 3×3 convs, identity shortcut). */
function basicBlock(ctx: LayerContext, prefix: string, input: string): string {
  let branch = convBn(ctx, { name: `${prefix}.conv1`, input, inChannels: CHANNELS, outChannels: CHANNELS, kernel: 3, stride: 1 });
  branch = relu(ctx, `${prefix}.relu1`, branch);
  branch = convBn(ctx, {
    name: `${prefix}.conv2`, input: branch, inChannels: CHANNELS, outChannels: CHANNELS, kernel: 3, stride: 1,
    scale: residualBranchScale(BLOCK_COUNT),
  });
  return relu(ctx, `${prefix}.relu`, add(ctx, `${prefix}.add`, branch, input));
}

/**
 * Appends the tiny network: 224 → 56 (7×7/4 stem) → 28 (maxpool, residual block) → 14 (maxpool),
 * then a 1×1 conv to `embeddingDimension` channels + ReLU, pooled to float32 [N, embeddingDimension].
 *
 * Few ReLU layers on the main path on purpose: every extra random ReLU layer pulls all inputs'
 * features closer together and cost retrieval margin in experiments.
 */
export function buildTiny(ctx: LayerContext, input: string, outputName: string, embeddingDimension: number): string {
  let x = convBn(ctx, { name: 'stem', input, inChannels: 3, outChannels: CHANNELS, kernel: 7, stride: 4, inputKind: IMAGENET_INPUT });
  x = relu(ctx, 'stem.relu', x);
  x = maxPool3x3s2(ctx, 'maxpool1', x);
  for (let index = 1; index <= BLOCK_COUNT; index++) x = basicBlock(ctx, `block${index}`, x);
  x = maxPool3x3s2(ctx, 'maxpool2', x);
  x = convBn(ctx, { name: 'head', input: x, inChannels: CHANNELS, outChannels: embeddingDimension, kernel: 1, stride: 1 });
  x = relu(ctx, 'head.relu', x);
  return globalAveragePoolFlatten(ctx, 'avgpool', outputName, x);
}
