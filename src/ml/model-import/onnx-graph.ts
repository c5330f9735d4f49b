/**
 * Reading an ONNX file someone else exported: decoding it with the onnx-proto schema, finding its
 * image input and the global-average-pool candidates a ResNet-50's 2,048-d features come from.
 * Everything here is static inspection; which candidate really has 2,048 channels is measured by
 * running the model (see probe.ts), because exporters rarely record intermediate shapes.
 */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { ModelImportError } from './errors.ts';

const { onnx } = onnxProto;

/** What every backbone is fed: float32 [N, 3, 224, 224], NCHW (see preprocess.ts). */
export const IMAGE_CHANNELS = 3;
export const IMAGE_SIZE = 224;
/** Values per image of a ResNet-50's pooled features. */
export const FEATURE_CHANNELS = 2048;

/** A tensor dimension as declared in the file: a size, a symbolic name, or unknown. */
export type DeclaredDim = number | string | undefined;

export interface ImageInput {
  name: string;
  /** Declared dims; undefined when the file declares no shape at all. */
  dims: DeclaredDim[] | undefined;
}

/** A node that can compute per-channel spatial means of a [N, C, H, W] tensor. */
export interface PoolCandidate {
  /** Index of the node in `graph.node` (topological order, as ONNX requires). */
  index: number;
  op: string;
  nodeName: string;
  output: string;
  /** False only for ReduceMean with keepdims=0, whose output is already [N, C]. */
  keepsDims: boolean;
}

/** First byte of every ONNX file written by protobuf serialisers: field 1 (ir_version), varint. */
const IR_VERSION_TAG = 0x08;

/**
 * Decodes ONNX ModelProto bytes.
 * @throws {ModelImportError} for an empty, truncated or non-ONNX file, naming `label`.
 */
export function decodeModel(bytes: Uint8Array, label: string): Onnx.ModelProto {
  if (bytes.length === 0) throw new ModelImportError(`${label} is empty (0 bytes); copy or download the .onnx file again`);
  let model: Onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    const reason = oneLine(error instanceof Error ? error.message : String(error));
    if (bytes[0] === IR_VERSION_TAG) {
      throw new ModelImportError(`${label} is truncated or corrupt (${reason}); copy or download the .onnx file again`);
    }
    throw notOnnx(label);
  }
  if ((model.graph?.node ?? []).length === 0) throw notOnnx(label);
  return model;
}

function notOnnx(label: string): ModelImportError {
  return new ModelImportError(
    `${label} is not an ONNX model (no graph in it); give an .onnx file, e.g. from torch.onnx.export or the ONNX model zoo`,
  );
}

/** Throws when weights live in separate files: the copy we write could not find them. */
export function assertSelfContained(model: Onnx.ModelProto, label: string): void {
  const external = (model.graph?.initializer ?? []).find((tensor) => tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  if (external !== undefined) {
    throw new ModelImportError(
      `${label} keeps its weights in separate files (e.g. "${external.name}"); save it as one file ` +
        '(onnx.save(model, path, save_as_external_data=False)) and import that',
    );
  }
}

/**
 * The one real input (graph inputs that are not initializers, for IR < 4 files that list weights
 * as inputs), checked against float32 [N, 3, 224, 224]. Symbolic dims are accepted.
 * @throws {ModelImportError} naming the input, what it is, and what a backbone must take.
 */
export function findImageInput(graph: Onnx.IGraphProto, label: string): ImageInput {
  const weights = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  const inputs = (graph.input ?? []).filter((input) => !weights.has(input.name));
  const expected = `a backbone takes one float32 image tensor [N, ${IMAGE_CHANNELS}, ${IMAGE_SIZE}, ${IMAGE_SIZE}] (NCHW)`;
  const [input] = inputs;
  if (inputs.length !== 1 || input === undefined) {
    throw new ModelImportError(`${label} has ${inputs.length} inputs (${inputs.map((i) => `"${i.name}"`).join(', ') || 'none'}), but ${expected}`);
  }
  const name = input.name ?? '';
  const tensor = input.type?.tensorType;
  if (!tensor) throw new ModelImportError(`${label}: input "${name}" is not a tensor, but ${expected}`);
  if (tensor.elemType !== onnx.TensorProto.DataType.FLOAT) {
    throw new ModelImportError(`${label}: input "${name}" is ${elementTypeName(tensor.elemType)}, but ${expected}; export it in float32`);
  }
  if (!tensor.shape) return { name, dims: undefined };
  const dims = (tensor.shape.dim ?? []).map(declaredDim);
  const wanted = [undefined, IMAGE_CHANNELS, IMAGE_SIZE, IMAGE_SIZE];
  const fits = dims.length === 4 && dims.every((dim, i) => i === 0 || typeof dim !== 'number' || dim === wanted[i]);
  if (!fits) {
    const channelsLast = dims.length === 4 && dims[3] === IMAGE_CHANNELS && dims[1] !== IMAGE_CHANNELS;
    const fix = channelsLast
      ? 'it is channels-last (NHWC); export it channels-first'
      : `export it for ${IMAGE_SIZE}×${IMAGE_SIZE} RGB input`;
    throw new ModelImportError(`${label}: input "${name}" is ${formatShape(dims)} float32, but ${expected}; ${fix}`);
  }
  return { name, dims };
}

/**
 * Every node that may be the final global average pool, in graph order: GlobalAveragePool,
 * AveragePool (older exports pool the last 7×7 map with a fixed kernel) and ReduceMean over the
 * two spatial axes (TensorFlow-converted models).
 */
export function poolCandidates(graph: Onnx.IGraphProto): PoolCandidate[] {
  const constants = int64Constants(graph);
  const candidates: PoolCandidate[] = [];
  (graph.node ?? []).forEach((node, index) => {
    const output = node.output?.[0];
    if (!output) return;
    const base = { index, op: node.opType ?? '', nodeName: node.name || output, output };
    if (node.opType === 'GlobalAveragePool' || node.opType === 'AveragePool') {
      candidates.push({ ...base, keepsDims: true });
    } else if (node.opType === 'ReduceMean') {
      const axes = reduceAxes(node, constants);
      const spatial = axes !== undefined && axes.length === 2 && axes.every((axis) => axis === 2 || axis === 3 || axis === -1 || axis === -2);
      if (spatial && new Set(axes.map((axis) => (axis < 0 ? axis + 4 : axis))).size === 2) {
        candidates.push({ ...base, keepsDims: intAttribute(node, 'keepdims') !== 0 });
      }
    }
  });
  return candidates;
}

/** Ops that only change a tensor's shape, not its values: the path from a pool to an `[N, 2048]` output. */
export const SHAPE_ONLY_OPS: ReadonlySet<string> = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity']);

/**
 * The graph outputs computed from `tensor` through shape-only ops alone, i.e. outputs that already
 * are the pooled features.
 */
export function outputsCarrying(graph: Onnx.IGraphProto, tensor: string): string[] {
  const graphOutputs = new Set((graph.output ?? []).map((output) => output.name ?? ''));
  const found: string[] = [];
  const pending = [tensor];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (seen.has(current)) continue;
    seen.add(current);
    if (graphOutputs.has(current)) found.push(current);
    for (const node of graph.node ?? []) {
      if (SHAPE_ONLY_OPS.has(node.opType ?? '') && node.input?.[0] === current) pending.push(...(node.output ?? []));
    }
  }
  return found;
}

/** "resnet50" when the graph has ResNet-50's 53 convolutions (stem, 16 bottlenecks × 3, 4 projection shortcuts; v1 and v2 alike). */
export function describeArch(graph: Onnx.IGraphProto): string {
  const convolutions = (graph.node ?? []).filter((node) => node.opType === 'Conv').length;
  return convolutions === 53 ? 'resnet50' : `cnn-${convolutions}-conv`;
}

export function producerOf(model: Onnx.IModelProto): string {
  return [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown';
}

export function formatShape(dims: readonly DeclaredDim[] | readonly (number | string)[]): string {
  return `[${dims.map((dim) => (dim === undefined ? '?' : String(dim))).join(', ')}]`;
}

/** ONNX Runtime and protobuf messages can span lines; the CLI prints exactly one. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

function declaredDim(dim: Onnx.TensorShapeProto.IDimension): DeclaredDim {
  if (dim.dimParam) return dim.dimParam;
  const value = dim.dimValue === undefined || dim.dimValue === null ? 0 : Number(dim.dimValue);
  return value > 0 ? value : undefined;
}

function elementTypeName(type: number | null | undefined): string {
  const names = onnx.TensorProto.DataType as unknown as Record<number, string | undefined>;
  return (type !== null && type !== undefined ? names[type] : undefined)?.toLowerCase() ?? `element type ${String(type)}`;
}

function intAttribute(node: Onnx.INodeProto, name: string): number | undefined {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute?.i === undefined || attribute.i === null ? undefined : Number(attribute.i);
}

/** ReduceMean's axes: an attribute up to opset 17, an int64 input (initializer or Constant) from opset 18. */
function reduceAxes(node: Onnx.INodeProto, constants: ReadonlyMap<string, number[]>): number[] | undefined {
  const attribute = node.attribute?.find((a) => a.name === 'axes');
  if (attribute?.ints && attribute.ints.length > 0) return attribute.ints.map(Number);
  const axesInput = node.input?.[1];
  return axesInput ? constants.get(axesInput) : undefined;
}

/** int64 initializers and Constant outputs by name (only small ones matter: axes, shapes). */
function int64Constants(graph: Onnx.IGraphProto): Map<string, number[]> {
  const constants = new Map<string, number[]>();
  for (const tensor of graph.initializer ?? []) {
    const values = int64Values(tensor);
    if (tensor.name && values) constants.set(tensor.name, values);
  }
  for (const node of graph.node ?? []) {
    const value = node.opType === 'Constant' ? node.attribute?.find((a) => a.name === 'value')?.t : undefined;
    const values = value ? int64Values(value) : undefined;
    const output = node.output?.[0];
    if (output && values) constants.set(output, values);
  }
  return constants;
}

function int64Values(tensor: Onnx.ITensorProto): number[] | undefined {
  if (tensor.dataType !== onnx.TensorProto.DataType.INT64) return undefined;
  if (tensor.int64Data && tensor.int64Data.length > 0) return tensor.int64Data.map(Number);
  const raw = tensor.rawData;
  if (!raw || raw.length % 8 !== 0 || raw.length > 64) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.length / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}
