/**
 * The int8 rewrite of a float backbone, in ONNX's QDQ form: every activation a Conv, Add or
 * MaxPool reads passes through QuantizeLinear → DequantizeLinear with a scale measured on
 * calibration photos, and every Conv weight is stored as int8 (one scale per output channel) with
 * an int32 bias. ONNX Runtime's CPU provider recognises DQ → Conv → (Relu) → Q and runs it as one
 * integer convolution (QLinearConv), which is where the speed comes from; anything else in the
 * graph keeps running in float between the DQ and Q nodes.
 */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { ModelImportError } from '../model-import/errors.ts';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;

/**
 * Ops whose meaning is the same from opset 11 to 13 and that a ResNet backbone is made of. Any
 * other op means a graph this rewrite was not written for, so it refuses rather than guess.
 */
const SUPPORTED_OPS = new Set([
  'Conv', 'Relu', 'Add', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'ReduceMean', 'Flatten', 'Reshape', 'Identity', 'BatchNormalization',
]);
/** Ops that show a graph is already quantized. */
const QUANTIZED_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'ConvInteger', 'DynamicQuantizeLinear', 'QLinearAdd', 'QLinearMatMul', 'MatMulInteger']);
/**
 * Ops whose activation inputs are quantized: the ones ONNX Runtime has integer kernels for, and
 * BatchNormalization that could not be folded (pre-activation ResNets normalise before each Conv),
 * so the Conv before it still ends in a Q and runs as an integer convolution.
 */
const QUANTIZED_CONSUMERS = new Set(['Conv', 'Add', 'MaxPool', 'BatchNormalization']);
/** Of these, only the first input is an activation; the others are weights or statistics. */
const DATA_INPUT_ONLY = new Set(['Conv', 'BatchNormalization']);
/** Per-axis DequantizeLinear needs opset 13. */
const MIN_OPSET = 13;
const MIN_IR_VERSION = 7;
/** Symmetric int8 weights: [-127, 127], so the zero point is 0 and −128 is never used. */
const INT8_MAX = 127;
/** Asymmetric uint8 activations: [0, 255]. */
const UINT8_MAX = 255;

/** Smallest and largest value a tensor took over the calibration photos. */
export interface ValueRange {
  min: number;
  max: number;
}

/**
 * The activations that get a QuantizeLinear/DequantizeLinear pair: every non-constant tensor a
 * Conv or BatchNormalization (their data input), Add or MaxPool reads. A Conv or Add whose output goes only to a Relu is
 * quantized after the Relu instead, which is the pattern ONNX Runtime fuses into one kernel.
 */
export function quantizedActivations(graph: Onnx.IGraphProto): string[] {
  const constants = new Set((graph.initializer ?? []).map((tensor) => tensor.name!));
  const names: string[] = [];
  const seen = new Set<string>();
  for (const node of graph.node ?? []) {
    if (!QUANTIZED_CONSUMERS.has(node.opType!)) continue;
    const inputs = DATA_INPUT_ONLY.has(node.opType!) ? (node.input ?? []).slice(0, 1) : (node.input ?? []);
    for (const name of inputs) {
      if (name === '' || constants.has(name) || seen.has(name)) continue;
      seen.add(name);
      names.push(name);
    }
  }
  return names;
}

/**
 * Checks the graph is one this rewrite understands and returns it in a form it can rewrite:
 * BatchNormalization folded into the Conv before it, opset raised to 13 when it was lower.
 * @throws {ModelImportError} naming the first unsupported op, or a Conv whose weights are not stored constants.
 */
export function prepareForQuantization(model: Onnx.IModelProto, label: string): Onnx.ModelProto {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const graph = copy.graph!;
  const unsupported = [...new Set((graph.node ?? []).map((node) => node.opType!).filter((op) => !SUPPORTED_OPS.has(op)))];
  if (unsupported.some((op) => QUANTIZED_OPS.has(op))) {
    throw new ModelImportError(`${label} already holds quantized ops (${unsupported.filter((op) => QUANTIZED_OPS.has(op)).join(', ')}); quantize the float backbone it was made from`);
  }
  if (unsupported.length > 0) {
    throw new ModelImportError(
      `${label} has ops int8 quantization does not handle (${unsupported.slice(0, 5).join(', ')}); only ResNet-style backbones (Conv, Relu, Add, pooling) can be quantized, so keep this one in float`,
    );
  }
  const weights = initializerMap(graph);
  for (const node of graph.node ?? []) {
    if (node.opType === 'Conv' && !weights.has(node.input?.[1] ?? '')) {
      throw new ModelImportError(`${label}: Conv "${node.name}" takes its weights from another node, not from stored constants; it cannot be quantized`);
    }
  }
  foldBatchNorms(graph, weights, label);
  dropUnreadInitializers(graph);
  const defaultDomain = (copy.opsetImport ?? []).find((entry) => (entry.domain ?? '') === '');
  if (defaultDomain === undefined) throw new ModelImportError(`${label} declares no ONNX opset; export it again`);
  if (Number(defaultDomain.version) < MIN_OPSET) defaultDomain.version = MIN_OPSET;
  // IR 3 wants every initializer listed as an input, which the new scales are not; IR 7 goes with opset 13.
  if (Number(copy.irVersion ?? 0) < MIN_IR_VERSION) copy.irVersion = MIN_IR_VERSION;
  return copy;
}

/**
 * The QDQ model: `ranges` must hold a range for every name {@link quantizedActivations} returns.
 * @returns the encoded model; its input and output names are those of `model`.
 */
export function toQdqModel(model: Onnx.IModelProto, ranges: ReadonlyMap<string, ValueRange>): Uint8Array {
  const graph = model.graph!;
  const weights = initializerMap(graph);
  const activations = new Map(quantizedActivations(graph).map((name) => [name, activationParams(rangeOf(ranges, name))]));
  const initializers: Onnx.ITensorProto[] = [...(graph.initializer ?? [])];
  const nodes: Onnx.INodeProto[] = [];
  const renamed = new Map<string, string>();

  const quantize = (name: string): void => {
    const params = activations.get(name);
    if (params === undefined) return;
    initializers.push(scalar(`${name}::scale`, DataType.FLOAT, new Float32Array([params.scale])));
    initializers.push(scalar(`${name}::zero_point`, DataType.UINT8, new Uint8Array([params.zeroPoint])));
    nodes.push(qdqNode('QuantizeLinear', name, [name, `${name}::scale`, `${name}::zero_point`], `${name}::q`));
    nodes.push(qdqNode('DequantizeLinear', name, [`${name}::q`, `${name}::scale`, `${name}::zero_point`], `${name}::dq`));
    renamed.set(name, `${name}::dq`);
  };

  for (const input of graph.input ?? []) quantize(input.name!);
  for (const [index, node] of (graph.node ?? []).entries()) {
    const inputs = (node.input ?? []).map((name) => renamed.get(name) ?? name);
    if (node.opType === 'Conv') {
      const input = activations.get(node.input![0]!);
      if (input === undefined) throw new Error(`no range for Conv input ${node.input![0]}`);
      const prefix = `${node.name || `conv${index}`}::${index}`;
      const quantized = quantizeConv(weights.get(node.input![1]!)!, node.input![2] ? weights.get(node.input![2]) : undefined, input.scale);
      initializers.push(...quantized.initializers(prefix));
      nodes.push(...quantized.dequantizeNodes(prefix));
      inputs[1] = `${prefix}::weight::dq`;
      inputs[2] = `${prefix}::bias::dq`;
    }
    nodes.push({ ...node, input: inputs });
    for (const output of node.output ?? []) quantize(output);
  }
  const graphOut = onnx.GraphProto.create({ ...graph, node: nodes, initializer: initializers, valueInfo: [] });
  // The float Conv weights are read by nothing now; leaving them would keep the file float-sized.
  dropUnreadInitializers(graphOut);
  return onnx.ModelProto.encode(onnx.ModelProto.create({ ...model, graph: graphOut })).finish();
}

interface QuantizationParams {
  scale: number;
  zeroPoint: number;
}

/** uint8 scale and zero point covering `range` and always 0 (so ReLU's zero is exact). */
export function activationParams(range: ValueRange): QuantizationParams {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  // A tensor that was 0 on every photo still needs a positive scale; any will do.
  const scale = max - min > 0 ? (max - min) / UINT8_MAX : 1;
  const zeroPoint = Math.min(UINT8_MAX, Math.max(0, Math.round(-min / scale)));
  return { scale, zeroPoint };
}

function rangeOf(ranges: ReadonlyMap<string, ValueRange>, name: string): ValueRange {
  const range = ranges.get(name);
  if (range === undefined) throw new Error(`no calibration range for tensor ${name}`);
  return range;
}

interface QuantizedConv {
  initializers(prefix: string): Onnx.ITensorProto[];
  dequantizeNodes(prefix: string): Onnx.INodeProto[];
}

/**
 * Per-output-channel symmetric int8 weights and an int32 bias at scale inputScale · weightScale,
 * the layout QLinearConv takes. `weight` is [O, I, kH, kW] float.
 */
function quantizeConv(weight: Onnx.ITensorProto, bias: Onnx.ITensorProto | undefined, inputScale: number): QuantizedConv {
  const dims = (weight.dims ?? []).map(Number);
  const values = floatValues(weight);
  const channels = dims[0]!;
  const perChannel = values.length / channels;
  const weightScales = new Float32Array(channels);
  const quantizedWeights = new Int8Array(values.length);
  const biasValues = bias ? floatValues(bias) : new Float32Array(channels);
  const biasScales = new Float32Array(channels);
  const quantizedBias = new Int32Array(channels);
  for (let channel = 0; channel < channels; channel++) {
    const start = channel * perChannel;
    let largest = 0;
    for (let i = 0; i < perChannel; i++) largest = Math.max(largest, Math.abs(values[start + i]!));
    const scale = largest > 0 ? largest / INT8_MAX : 1;
    weightScales[channel] = scale;
    for (let i = 0; i < perChannel; i++) quantizedWeights[start + i] = Math.round(values[start + i]! / scale);
    biasScales[channel] = inputScale * scale;
    quantizedBias[channel] = Math.round(biasValues[channel]! / biasScales[channel]!);
  }
  return {
    initializers: (prefix) => [
      tensor(`${prefix}::weight::q`, DataType.INT8, dims, new Uint8Array(quantizedWeights.buffer)),
      tensor(`${prefix}::weight::scale`, DataType.FLOAT, [channels], bytesOf(weightScales)),
      tensor(`${prefix}::weight::zero_point`, DataType.INT8, [channels], new Uint8Array(channels)),
      tensor(`${prefix}::bias::q`, DataType.INT32, [channels], new Uint8Array(quantizedBias.buffer)),
      tensor(`${prefix}::bias::scale`, DataType.FLOAT, [channels], bytesOf(biasScales)),
      tensor(`${prefix}::bias::zero_point`, DataType.INT32, [channels], new Uint8Array(channels * 4)),
    ],
    dequantizeNodes: (prefix) =>
      ['weight', 'bias'].map((part) => ({
        opType: 'DequantizeLinear',
        name: `${prefix}::${part}::DequantizeLinear`,
        input: [`${prefix}::${part}::q`, `${prefix}::${part}::scale`, `${prefix}::${part}::zero_point`],
        output: [`${prefix}::${part}::dq`],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      })),
  };
}

/**
 * Replaces Conv → BatchNormalization (the Conv's only consumer) by one Conv with the normalisation
 * folded into its weights and bias, as ONNX Runtime itself does for float graphs. Any other
 * BatchNormalization (before a Conv, as in pre-activation ResNets) stays and runs in float.
 * @throws {ModelImportError} for statistics that are not stored constants.
 */
function foldBatchNorms(graph: Onnx.IGraphProto, weights: Map<string, Onnx.ITensorProto>, label: string): void {
  const nodes = graph.node ?? [];
  const producers = new Map<string, Onnx.INodeProto>();
  const consumerCount = new Map<string, number>();
  for (const node of nodes) {
    for (const output of node.output ?? []) producers.set(output, node);
    for (const input of node.input ?? []) consumerCount.set(input, (consumerCount.get(input) ?? 0) + 1);
  }
  const removed = new Set<Onnx.INodeProto>();
  for (const norm of nodes.filter((node) => node.opType === 'BatchNormalization')) {
    const conv = producers.get(norm.input![0]!);
    const params = norm.input!.slice(1).map((name) => weights.get(name));
    if (params.some((param) => param === undefined)) {
      throw new ModelImportError(`${label}: BatchNormalization "${norm.name}" takes its statistics from another node, not from stored constants; keep this backbone in float`);
    }
    if (conv?.opType !== 'Conv' || consumerCount.get(norm.input![0]!) !== 1) continue;
    const [gamma, beta, mean, variance] = params.map((param) => floatValues(param!));
    const epsilon = norm.attribute?.find((attribute) => attribute.name === 'epsilon')?.f ?? 1e-5;
    const weight = weights.get(conv.input![1]!)!;
    const values = floatValues(weight);
    const channels = Number(weight.dims![0]);
    const perChannel = values.length / channels;
    const bias = conv.input![2] ? floatValues(weights.get(conv.input![2])!) : new Float32Array(channels);
    const foldedBias = new Float32Array(channels);
    for (let channel = 0; channel < channels; channel++) {
      const factor = gamma![channel]! / Math.sqrt(variance![channel]! + epsilon);
      for (let i = 0; i < perChannel; i++) values[channel * perChannel + i]! *= factor;
      foldedBias[channel] = (bias[channel]! - mean![channel]!) * factor + beta![channel]!;
    }
    const weightName = `${conv.name || conv.output![0]}::folded_weight`;
    const biasName = `${conv.name || conv.output![0]}::folded_bias`;
    const foldedWeight = tensor(weightName, DataType.FLOAT, (weight.dims ?? []).map(Number), bytesOf(values));
    const foldedBiasTensor = tensor(biasName, DataType.FLOAT, [channels], bytesOf(foldedBias));
    graph.initializer = [...(graph.initializer ?? []), foldedWeight, foldedBiasTensor];
    weights.set(weightName, foldedWeight);
    weights.set(biasName, foldedBiasTensor);
    conv.input = [conv.input![0]!, weightName, biasName];
    conv.output = [norm.output![0]!];
    removed.add(norm);
  }
  graph.node = nodes.filter((node) => !removed.has(node));
}

/** Also from the graph's inputs, where IR 3 files (the model zoo's) list their weights too. */
function dropUnreadInitializers(graph: Onnx.IGraphProto): void {
  const read = new Set((graph.node ?? []).flatMap((node) => node.input ?? []));
  const dropped = new Set((graph.initializer ?? []).filter((tensor) => !read.has(tensor.name!)).map((tensor) => tensor.name!));
  graph.initializer = (graph.initializer ?? []).filter((tensor) => !dropped.has(tensor.name!));
  graph.input = (graph.input ?? []).filter((input) => !dropped.has(input.name!));
}

function initializerMap(graph: Onnx.IGraphProto): Map<string, Onnx.ITensorProto> {
  return new Map((graph.initializer ?? []).map((tensor) => [tensor.name!, tensor]));
}

/** A float tensor's values, from raw little-endian bytes or the `float_data` field. */
function floatValues(tensorProto: Onnx.ITensorProto): Float32Array {
  if (tensorProto.dataType !== DataType.FLOAT) throw new Error(`tensor ${tensorProto.name} is not float32`);
  const raw = tensorProto.rawData;
  if (raw && raw.length > 0) {
    const copy = new Uint8Array(raw);
    return new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
  }
  return Float32Array.from(tensorProto.floatData ?? []);
}

function bytesOf(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function tensor(name: string, dataType: number, dims: number[], rawData: Uint8Array): Onnx.ITensorProto {
  return { name, dataType, dims, rawData };
}

function scalar(name: string, dataType: number, values: Float32Array | Uint8Array): Onnx.ITensorProto {
  return tensor(name, dataType, [], values instanceof Float32Array ? bytesOf(values) : values);
}

function qdqNode(opType: 'QuantizeLinear' | 'DequantizeLinear', tensorName: string, input: string[], output: string): Onnx.INodeProto {
  return { opType, name: `${tensorName}::${opType}`, input, output: [output] };
}
