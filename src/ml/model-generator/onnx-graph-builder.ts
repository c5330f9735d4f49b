/**
 * A minimal builder for ONNX graphs on top of the onnx-proto message classes, so the generated
 * models are produced by the real protobuf schema rather than hand-assembled bytes.
 */
import { endianness } from 'node:os';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS that assigns `onnx` onto its exports object at runtime, which Node's
// named-export detection cannot see; the default import is the reliable way in.
const { onnx } = onnxProto;

/** Attribute values used by the ops this generator emits (all integer-valued). */
export type AttributeValue = { int: number } | { ints: readonly number[] };

/** A tensor dimension: a fixed size, or a symbolic name such as "batch". */
export type Dim = number | string;

export interface TensorSignature {
  name: string;
  /** Element type is always float32 here. */
  shape: readonly Dim[];
}

export interface ModelMetadata {
  producerName: string;
  producerVersion: string;
  irVersion: number;
  opsetVersion: number;
  graphName: string;
  docString?: string;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function toAttribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  if ('int' in value) {
    return { name, type: onnx.AttributeProto.AttributeType.INT, i: value.int };
  }
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value.ints] };
}

function toValueInfo(signature: TensorSignature): OnnxTypes.IValueInfoProto {
  const dim = signature.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return {
    name: signature.name,
    type: { tensorType: { elemType: FLOAT, shape: { dim } } },
  };
}

/**
 * ONNX raw_data is little-endian; on little-endian hosts (all platforms onnxruntime-node ships for)
 * the Float32Array's own bytes can be used without copying.
 */
function float32LittleEndianBytes(data: Float32Array): Uint8Array {
  if (endianness() === 'LE') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return bytes;
}

export class OnnxGraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly usedNames = new Set<string>();
  private parameters = 0;

  /** Number of scalar weights stored as initializers so far. */
  get parameterCount(): number {
    return this.parameters;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Registers a float32 constant; `data.length` must equal the product of `dims`. */
  addInitializer(name: string, dims: readonly number[], data: Float32Array): string {
    const expected = dims.reduce((product, d) => product * d, 1);
    if (data.length !== expected) {
      throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(', ')}]`);
    }
    this.claimName(name);
    this.initializers.push({ name, dims: [...dims], dataType: FLOAT, rawData: float32LittleEndianBytes(data) });
    this.parameters += data.length;
    return name;
  }

  /** Registers an int64 constant (shapes for Reshape, axes); not counted as parameters. */
  addInt64Initializer(name: string, dims: readonly number[], values: readonly number[]): string {
    this.claimName(name);
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
    return name;
  }

  /** Appends a node (default ONNX domain); node names must be unique, outputs are named after them. */
  addNode(
    opType: string,
    name: string,
    inputs: readonly string[],
    attributes: Readonly<Record<string, AttributeValue>> = {},
  ): string {
    this.claimName(name);
    const output = name;
    this.nodes.push({
      opType,
      name,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)),
    });
    return output;
  }

  /** Serialises the graph into ModelProto bytes. */
  build(inputs: readonly TensorSignature[], outputs: readonly TensorSignature[], meta: ModelMetadata): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: meta.irVersion,
      producerName: meta.producerName,
      producerVersion: meta.producerVersion,
      docString: meta.docString ?? '',
      opsetImport: [{ domain: '', version: meta.opsetVersion }],
      graph: {
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs.map(toValueInfo),
        output: outputs.map(toValueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private claimName(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`duplicate ONNX value name: ${name}`);
    this.usedNames.add(name);
  }
}
