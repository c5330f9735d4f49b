/**
 * Rewrites an imported graph so it ends at the pooled features: extra outputs for probing, and the
 * final copy that keeps only the nodes and weights the pooled output needs (a classifier's Gemm,
 * Flatten and Softmax, and the 8 MB of fc weights, are dropped).
 */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { FEATURE_CHANNELS, type ImageInput, type PoolCandidate } from './onnx-graph.ts';

const { onnx } = onnxProto;

/** The symbolic batch axis given to inputs that were exported with a fixed batch size. */
export const BATCH_DIM = 'batch';

/** Name of the `[N, 2048]` output added after a pool that keeps its 1×1 spatial dims. */
const EMBEDDING_OUTPUT = 'embedding';

export interface CutModel {
  bytes: Uint8Array;
  outputName: string;
  /** What changed, for the manifest and the CLI, e.g. `cut after GlobalAveragePool "avgpool" (removed Gemm, Softmax)`. */
  change: string;
}

/** The model with `names` added as graph outputs (untyped shapes), so one run reports their sizes. */
export function withExtraOutputs(model: Onnx.IModelProto, names: readonly string[]): Uint8Array {
  const graph = model.graph ?? {};
  const existing = new Set((graph.output ?? []).map((output) => output.name));
  const extra = names.filter((name) => !existing.has(name)).map((name) => floatOutput(name, undefined));
  return encode(model, { ...graph, output: [...(graph.output ?? []), ...extra] });
}

/** True when the input's batch axis is a fixed number, which would stop the app from batching images. */
export function hasFixedBatch(input: ImageInput): boolean {
  return typeof input.dims?.[0] === 'number';
}

/**
 * The same model with a symbolic batch axis on its input (and without stored intermediate shapes,
 * which would still say batch 1). Used when the graph already ends at the pooled features.
 */
export function withDynamicBatch(model: Onnx.IModelProto, input: ImageInput): Uint8Array {
  const graph = model.graph ?? {};
  const output = (graph.output ?? []).map((value) => withBatchAxis(value));
  return encode(model, { ...graph, input: dynamicInputs(graph, input), output, valueInfo: [] });
}

/**
 * Cuts the graph after `pool`: the new single output is the pool's output flattened to
 * `[N, 2048]`, and only the nodes, initializers and inputs it depends on are kept.
 */
export function cutAtPool(model: Onnx.IModelProto, pool: PoolCandidate, input: ImageInput): CutModel {
  const graph = model.graph ?? {};
  const nodes = graph.node ?? [];
  const taken = new Set(nodes.flatMap((node) => node.output ?? []));
  let outputName = pool.output;
  const added: Onnx.INodeProto[] = [];
  if (pool.keepsDims) {
    outputName = uniqueName(EMBEDDING_OUTPUT, taken);
    added.push({ opType: 'Flatten', name: outputName, input: [pool.output], output: [outputName], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
  }
  const kept = [...neededNodes(nodes, pool.output), ...added];
  const used = new Set(kept.flatMap((node) => [...(node.input ?? []), ...subgraphInputs(node)]));
  const removed = nodes.filter((node) => !kept.includes(node));
  const removedOps = [...new Set(removed.map((node) => node.opType ?? '?'))];
  const weightsKept = (graph.initializer ?? []).filter((tensor) => used.has(tensor.name ?? ''));
  const keptWeightNames = new Set(weightsKept.map((tensor) => tensor.name));
  const inputs = dynamicInputs(graph, input).filter((value) => value.name === input.name || keptWeightNames.has(value.name));
  const bytes = encode(model, {
    ...graph,
    node: kept,
    initializer: weightsKept,
    sparseInitializer: (graph.sparseInitializer ?? []).filter((tensor) => used.has(tensor.values?.name ?? '')),
    input: inputs,
    output: [floatOutput(outputName, [BATCH_DIM, FEATURE_CHANNELS])],
    // Shapes recorded for intermediate values may hold the old fixed batch; ONNX Runtime infers them again.
    valueInfo: [],
  });
  const what = removedOps.length > 0 ? ` (removed ${removed.length} nodes: ${removedOps.join(', ')})` : '';
  return { bytes, outputName, change: `cut after ${pool.op} "${pool.nodeName}"${what}` };
}

/** Nodes `target` depends on, in their original (topological) order. */
function neededNodes(nodes: readonly Onnx.INodeProto[], target: string): Onnx.INodeProto[] {
  const producer = new Map<string, Onnx.INodeProto>();
  for (const node of nodes) for (const output of node.output ?? []) producer.set(output, node);
  const needed = new Set<Onnx.INodeProto>();
  const pending = [target];
  while (pending.length > 0) {
    const node = producer.get(pending.pop()!);
    if (node === undefined || needed.has(node)) continue;
    needed.add(node);
    pending.push(...(node.input ?? []).filter(Boolean), ...subgraphInputs(node));
  }
  return nodes.filter((node) => needed.has(node));
}

/** Names a control-flow node's subgraphs read (an over-approximation of their outer-scope inputs). */
function subgraphInputs(node: Onnx.INodeProto): string[] {
  const graphs = (node.attribute ?? []).flatMap((attribute) => [...(attribute.g ? [attribute.g] : []), ...(attribute.graphs ?? [])]);
  return graphs.flatMap((graph) => (graph.node ?? []).flatMap((inner) => [...(inner.input ?? []), ...subgraphInputs(inner)]));
}

function dynamicInputs(graph: Onnx.IGraphProto, input: ImageInput): Onnx.IValueInfoProto[] {
  return (graph.input ?? []).map((value) => (value.name === input.name ? withBatchAxis(value) : value));
}

/** A copy of `value` whose first dim is symbolic (kept when it already is). */
function withBatchAxis(value: Onnx.IValueInfoProto): Onnx.IValueInfoProto {
  const tensor = value.type?.tensorType;
  const dims = tensor?.shape?.dim;
  if (!tensor || !dims || dims.length === 0 || dims[0]?.dimParam) return value;
  return { ...value, type: { ...value.type, tensorType: { ...tensor, shape: { dim: [{ dimParam: BATCH_DIM }, ...dims.slice(1)] } } } };
}

function floatOutput(name: string, shape: readonly (number | string)[] | undefined): Onnx.IValueInfoProto {
  const dim = shape?.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, ...(dim ? { shape: { dim } } : {}) } } };
}

function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix += 1) if (!taken.has(`${base}_${suffix}`)) return `${base}_${suffix}`;
}

function encode(model: Onnx.IModelProto, graph: Onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({ ...model, graph })).finish();
}
