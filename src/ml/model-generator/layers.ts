/**
 * Building blocks shared by the generated architectures (ONNX opset 13 ops only).
 */
import { IMAGENET_MEAN, IMAGENET_STD } from './contract.ts';
import type { OnnxGraphBuilder } from './onnx-graph-builder.ts';
import type { SeededRandom } from './seeded-random.ts';

/** torchvision's BatchNorm2d default epsilon. */
export const BATCH_NORM_EPSILON = 1e-5;

export interface LayerContext {
  builder: OnnxGraphBuilder;
  random: SeededRandom;
}

/** How the conv's input was produced; decides how its weights and bias are initialised. */
export type ConvInput =
  /** A ReLU (or max-pooled ReLU) output: non-negative, with a large shared mean across channels. */
  | { kind: 'activation' }
  /** The image itself, normalised per channel as (pixel/255 − mean) / std. */
  | { kind: 'image'; mean: readonly number[]; std: readonly number[] };

/** The input every generated model is fed (see contract.ts). */
export const IMAGENET_INPUT: ConvInput = { kind: 'image', mean: IMAGENET_MEAN, std: IMAGENET_STD };

export interface ConvBnSpec {
  /** torchvision-style module path, e.g. "layer1.0.conv1"; also the node / output name. */
  name: string;
  input: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  /** Defaults to an activation input; see {@link convBn} for what each kind changes. */
  inputKind?: ConvInput;
  /** Extra factor on the Kaiming std; see {@link residualBranchScale}. */
  scale?: number;
}

/**
 * Std multiplier for the last conv of each residual branch in a network of `blocks` residual blocks.
 * That conv has no ReLU after it, so this scales the branch output directly. 1/sqrt(blocks) keeps
 * the summed variance of all branches at about the variance of the stream (measured: activation rms
 * stays between 1.4 and 3.4 from the stem to layer4 of ResNet-50). Of 0.1, this (0.25) and Fixup's
 * 16^(-1/4) = 0.5 on ResNet-50, it gave the widest retrieval margins.
 */
export function residualBranchScale(blocks: number): number {
  return 1 / Math.sqrt(blocks);
}

/**
 * Subtracts each output filter's mean weight. ReLU outputs share a large positive mean on every
 * channel; a filter whose weights sum to zero cancels that common part, so pre-activations are
 * centred and each ReLU splits inputs roughly in half. Without it, deep random ReLU nets map every
 * image towards the same direction (retrieval margins on ResNet-50 roughly tripled with centring).
 */
function centreFilters(weight: Float32Array, outChannels: number): void {
  const fanIn = weight.length / outChannels;
  for (let o = 0; o < outChannels; o++) {
    const filter = weight.subarray(o * fanIn, (o + 1) * fanIn);
    let sum = 0;
    for (let i = 0; i < fanIn; i++) sum += filter[i]!;
    const mean = sum / fanIn;
    for (let i = 0; i < fanIn; i++) filter[i]! -= mean;
  }
}

/**
 * Bias that makes a black image give exactly zero pre-activation: bias = Σ w · mean/std per input
 * channel. The stem then computes ReLU(w * pixel/std), which scales linearly with brightness; the
 * zero-bias layers after it preserve that, so cosine similarity ignores global brightness changes
 * (a plain zero bias anchors the ReLUs at the ImageNet mean colour instead, and smooth images such
 * as gradients lost their retrieval ranking after a ×1.15 brightness change).
 */
function blackAnchoredBias(weight: Float32Array, outChannels: number, mean: readonly number[], std: readonly number[]): Float32Array {
  const inChannels = mean.length;
  const taps = weight.length / (outChannels * inChannels);
  const bias = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    let sum = 0;
    for (let c = 0; c < inChannels; c++) {
      const offset = mean[c]! / std[c]!;
      const start = (o * inChannels + c) * taps;
      for (let t = 0; t < taps; t++) sum += weight[start + t]! * offset;
    }
    bias[o] = sum;
  }
  return bias;
}

/**
 * Conv2d (no bias) followed by an eval-mode BatchNorm2d (gamma=1, mean=0, var=1, beta as below),
 * folded into the conv: weight · 1/sqrt(1+eps), bias = beta. Folding gives the same graph
 * onnxruntime would produce after its own Conv+BN fusion, with a smaller file.
 *
 * Weights: Kaiming normal, fan_in mode, gain sqrt(2) → std = sqrt(2 / (inChannels·k·k)), times
 * `scale`. On activation inputs the filters are then centred (beta = 0); on the image, beta is
 * anchored at black (see centreFilters / blackAnchoredBias for why).
 */
export function convBn(ctx: LayerContext, spec: ConvBnSpec): string {
  const { name, inChannels, outChannels, kernel, stride } = spec;
  const inputKind = spec.inputKind ?? { kind: 'activation' };
  const fanIn = inChannels * kernel * kernel;
  const bnFactor = 1 / Math.sqrt(1 + BATCH_NORM_EPSILON);
  const std = Math.sqrt(2 / fanIn) * (spec.scale ?? 1) * bnFactor;

  const weight = new Float32Array(outChannels * fanIn);
  ctx.random.fillNormal(weight, std);
  let bias: Float32Array;
  if (inputKind.kind === 'image') {
    bias = blackAnchoredBias(weight, outChannels, inputKind.mean, inputKind.std);
  } else {
    centreFilters(weight, outChannels);
    bias = new Float32Array(outChannels);
  }

  const weightName = ctx.builder.addInitializer(`${name}.weight`, [outChannels, inChannels, kernel, kernel], weight);
  const biasName = ctx.builder.addInitializer(`${name}.bias`, [outChannels], bias);
  const pad = Math.floor(kernel / 2);
  return ctx.builder.addNode('Conv', name, [spec.input, weightName, biasName], {
    kernel_shape: { ints: [kernel, kernel] },
    strides: { ints: [stride, stride] },
    pads: { ints: [pad, pad, pad, pad] },
    dilations: { ints: [1, 1] },
    group: { int: 1 },
  });
}

export function relu(ctx: LayerContext, name: string, input: string): string {
  return ctx.builder.addNode('Relu', name, [input]);
}

export function add(ctx: LayerContext, name: string, a: string, b: string): string {
  return ctx.builder.addNode('Add', name, [a, b]);
}

/** 3×3 / stride 2 / pad 1 max pooling, as in the ResNet stem. */
export function maxPool3x3s2(ctx: LayerContext, name: string, input: string): string {
  return ctx.builder.addNode('MaxPool', name, [input], {
    kernel_shape: { ints: [3, 3] },
    strides: { ints: [2, 2] },
    pads: { ints: [1, 1, 1, 1] },
  });
}

/** [N, C, H, W] → [N, C]: spatial mean per channel, like torchvision's avgpool + flatten(1). */
export function globalAveragePoolFlatten(ctx: LayerContext, poolName: string, outputName: string, input: string): string {
  const pooled = ctx.builder.addNode('GlobalAveragePool', poolName, [input]);
  return ctx.builder.addNode('Flatten', outputName, [pooled], { axis: { int: 1 } });
}

/**
 * torchvision's `fc` + a softmax: Gemm([N, inFeatures] × weightᵀ + bias) → Softmax over classes.
 * Weights are normal with std 1/sqrt(inFeatures); they only have to be seeded, not meaningful.
 * @returns the name of the float32 [N, classes] probabilities.
 */
export function classifierHead(ctx: LayerContext, input: string, inFeatures: number, classes: number, outputName: string): string {
  const weight = new Float32Array(classes * inFeatures);
  ctx.random.fillNormal(weight, 1 / Math.sqrt(inFeatures));
  const weightName = ctx.builder.addInitializer('fc.weight', [classes, inFeatures], weight);
  const biasName = ctx.builder.addInitializer('fc.bias', [classes], new Float32Array(classes));
  const logits = ctx.builder.addNode('Gemm', 'fc', [input, weightName, biasName], { transB: { int: 1 } });
  return ctx.builder.addNode('Softmax', outputName, [logits], { axis: { int: 1 } });
}
