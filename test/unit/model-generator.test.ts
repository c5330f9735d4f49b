import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { generateModel, writeGeneratedModel } from '../../src/ml/model-generator/index.ts';

const { onnx } = onnxProto;

const SIZE = 224;
const PLANE = SIZE * SIZE;
const MEAN = [0.485, 0.456, 0.406] as const;
const STD = [0.229, 0.224, 0.225] as const;
const EMBEDDING = 2048;

// ---------------------------------------------------------------------------------------------
// Synthetic images: visually different colours, shapes, stripes and gradients.

const W = 320;
const H = 240;

function svg(body: string, defs = ''): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><defs>${defs}</defs>${body}</svg>`);
}

function stripes(count: number, horizontal: boolean, background: string, colour: string): string {
  const bands = Array.from({ length: Math.ceil(count / 2) }, (_, k) => {
    const i = 2 * k;
    return horizontal
      ? `<rect x="0" y="${(i * H) / count}" width="${W}" height="${H / count}" fill="${colour}"/>`
      : `<rect x="${(i * W) / count}" y="0" width="${W / count}" height="${H}" fill="${colour}"/>`;
  });
  return `<rect width="${W}" height="${H}" fill="${background}"/>${bands.join('')}`;
}

function checkerboard(cell: number): string {
  const squares: string[] = [];
  for (let y = 0; y < H; y += cell) {
    for (let x = 0; x < W; x += cell) {
      if (((x + y) / cell) % 2 === 0) squares.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="#000"/>`);
    }
  }
  return `<rect width="${W}" height="${H}" fill="#fff"/>${squares.join('')}`;
}

const IMAGES: Record<string, Buffer> = {
  redCircle: svg(`<rect width="${W}" height="${H}" fill="#c0392b"/><circle cx="160" cy="120" r="70" fill="#fff"/>`),
  blueStripes: svg(stripes(12, true, '#1f3a93', '#a9cce3')),
  greenGradient: svg(
    `<rect width="${W}" height="${H}" fill="url(#g)"/>`,
    '<linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#0b6623"/><stop offset="1" stop-color="#f4d03f"/></linearGradient>',
  ),
  checker: svg(checkerboard(40)),
  orangeTriangle: svg(`<rect width="${W}" height="${H}" fill="#888"/><polygon points="160,30 270,210 50,210" fill="#e67e22"/>`),
  purpleThinStripes: svg(stripes(40, false, '#6c3483', '#f5eef8')),
  cyanRadial: svg(
    `<rect width="${W}" height="${H}" fill="url(#r)"/>`,
    '<radialGradient id="r"><stop offset="0" stop-color="#48c9b0"/><stop offset="1" stop-color="#0e1a2b"/></radialGradient>',
  ),
  diagonalLines: svg(
    `<rect width="${W}" height="${H}" fill="#fdfefe"/><g stroke="#17202a" stroke-width="10">${
      Array.from({ length: 20 }, (_, i) => `<line x1="${i * 30 - 200}" y1="0" x2="${i * 30}" y2="${H}"/>`).join('')
    }</g>`,
  ),
};

/** The mild edit a shop photo goes through when re-sent: 80% resize, 5% crop, brightness ×1.15, JPEG q40. */
async function mildlyTransform(image: Buffer): Promise<Buffer> {
  const width = Math.round(W * 0.8);
  const height = Math.round(H * 0.8);
  const resized = await sharp(image).resize(width, height).toBuffer();
  const cropWidth = Math.round(width * 0.95);
  const cropHeight = Math.round(height * 0.95);
  const cropped = await sharp(resized)
    .extract({ left: width - cropWidth, top: height - cropHeight, width: cropWidth, height: cropHeight })
    .toBuffer();
  return sharp(cropped).modulate({ brightness: 1.15 }).jpeg({ quality: 40 }).toBuffer();
}

/** Shorter side → 256, centre crop 224, /255, ImageNet mean/std, NCHW float32 [3·224·224]. */
async function preprocess(image: Buffer): Promise<Float32Array> {
  const { width, height } = await sharp(image).metadata();
  const scale = 256 / Math.min(width, height);
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  const rgb = await sharp(image)
    .removeAlpha()
    .resize(w, h)
    .extract({ left: Math.floor((w - SIZE) / 2), top: Math.floor((h - SIZE) / 2), width: SIZE, height: SIZE })
    .raw()
    .toBuffer();
  const chw = new Float32Array(3 * PLANE);
  for (let p = 0; p < PLANE; p++) {
    for (let c = 0; c < 3; c++) chw[c * PLANE + p] = (rgb[p * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
  }
  return chw;
}

interface ImageSet {
  names: string[];
  originals: Float32Array[];
  transformed: Float32Array[];
}

async function loadImageSet(): Promise<ImageSet> {
  const names = Object.keys(IMAGES);
  const pngs = await Promise.all(names.map((name) => sharp(IMAGES[name]).png().toBuffer()));
  const originals = await Promise.all(pngs.map((png) => preprocess(png)));
  const transformed = await Promise.all(pngs.map(async (png) => preprocess(await mildlyTransform(png))));
  return { names, originals, transformed };
}

// ---------------------------------------------------------------------------------------------
// Inference helpers.

async function openSession(model: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, { intraOpNumThreads: 2, interOpNumThreads: 1 });
}

async function embedBatch(session: ort.InferenceSession, images: readonly Float32Array[]): Promise<{ dims: readonly number[]; vectors: Float32Array[] }> {
  const batch = new Float32Array(images.length * 3 * PLANE);
  images.forEach((image, i) => batch.set(image, i * 3 * PLANE));
  const result = await session.run({ input: new ort.Tensor('float32', batch, [images.length, 3, SIZE, SIZE]) });
  const output = result.embedding!;
  const data = output.data as Float32Array;
  const vectors = images.map((_, i) => data.slice(i * EMBEDDING, (i + 1) * EMBEDDING));
  return { dims: output.dims, vectors };
}

async function embedEach(session: ort.InferenceSession, images: readonly Float32Array[]): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (const image of images) vectors.push((await embedBatch(session, [image])).vectors[0]!);
  return vectors;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(normA * normB);
}

function assertHealthyEmbedding(vector: Float32Array): void {
  assert.equal(vector.length, EMBEDDING);
  assert.ok(vector.every(Number.isFinite), 'embedding has non-finite values');
  assert.ok(vector.every((v) => v >= 0), 'pooled ReLU features must be non-negative');
  const mean = vector.reduce((sum, v) => sum + v, 0) / vector.length;
  const std = Math.sqrt(vector.reduce((sum, v) => sum + (v - mean) ** 2, 0) / vector.length);
  assert.ok(mean > 1e-3 && mean < 1e3, `embedding mean ${mean} is vanishing or exploding`);
  assert.ok(std > 1e-3, `embedding is (nearly) constant, std ${std}`);
}

/** Every transformed copy must be closest (cosine) to its own original among all originals. */
async function assertRetrievalRanking(session: ort.InferenceSession, images: ImageSet): Promise<void> {
  const originals = await embedEach(session, images.originals);
  const queries = await embedEach(session, images.transformed);
  const failures: string[] = [];
  queries.forEach((query, i) => {
    const similarities = originals.map((original) => cosine(query, original));
    const self = similarities[i]!;
    const bestOther = Math.max(...similarities.filter((_, j) => j !== i));
    if (!(self > bestOther)) {
      const rival = images.names[similarities.indexOf(bestOther)];
      failures.push(`${images.names[i]}: self ${self.toFixed(5)} < ${rival} ${bestOther.toFixed(5)}`);
    }
  });
  assert.deepEqual(failures, [], 'transformed copies must rank their own original first');

  for (let i = 0; i < originals.length; i++) {
    for (let j = i + 1; j < originals.length; j++) {
      assert.ok(cosine(originals[i]!, originals[j]!) < 0.9995, `${images.names[i]} and ${images.names[j]} embed identically`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// ONNX structure helpers.

/** int64 fields decode as Long objects; Number() handles both Long and number. */
const dims = (tensor: Onnx.ITensorProto): number[] => (tensor.dims ?? []).map((d) => Number(d));
const elementCount = (tensor: Onnx.ITensorProto): number => dims(tensor).reduce((product, d) => product * d, 1);

interface GraphParts {
  node: Onnx.INodeProto[];
  initializer: Onnx.ITensorProto[];
  input: Onnx.IValueInfoProto[];
  output: Onnx.IValueInfoProto[];
}

function graphOf(model: Onnx.IModelProto): GraphParts {
  const graph = model.graph ?? {};
  return { node: graph.node ?? [], initializer: graph.initializer ?? [], input: graph.input ?? [], output: graph.output ?? [] };
}

function shapeOf(info: Onnx.IValueInfoProto | undefined): (number | string)[] {
  const dim = info?.type?.tensorType?.shape?.dim ?? [];
  return dim.map((d) => d.dimParam || Number(d.dimValue));
}

function assertContract(model: Onnx.IModelProto): void {
  assert.equal(model.producerName, 'shoplens-model-generator');
  assert.ok([7, 8].includes(Number(model.irVersion)), `ir_version ${Number(model.irVersion)}`);
  assert.deepEqual((model.opsetImport ?? []).map((o) => [o.domain, Number(o.version)]), [['', 13]]);
  const graph = graphOf(model);
  assert.deepEqual(graph.input.map((i) => i.name), ['input']);
  assert.deepEqual(shapeOf(graph.input[0]), ['batch', 3, 224, 224]);
  assert.equal(graph.input[0]?.type?.tensorType?.elemType, onnx.TensorProto.DataType.FLOAT);
  assert.equal(graph.output[0]?.name, 'embedding');
  assert.deepEqual(shapeOf(graph.output[0]), ['batch', 2048]);
  assert.ok(graph.initializer.every((t) => t.rawData?.length === 4 * elementCount(t)), 'initializers are float32 raw_data');
}

function stridesOf(model: Onnx.IModelProto, nodeName: string): number[] {
  const node = graphOf(model).node.find((n) => n.name === nodeName);
  const strides = node?.attribute?.find((a) => a.name === 'strides');
  return (strides?.ints ?? []).map((i) => Number(i));
}

// ---------------------------------------------------------------------------------------------

let workDir = '';
let images: ImageSet;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'shoplens-model-generator-'));
  images = await loadImageSet();
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('generateModel tiny', () => {
  test('writes a small model plus a manifest describing it', async () => {
    const out = join(workDir, 'tiny.onnx');
    const { manifest, manifestPath } = await writeGeneratedModel({ arch: 'tiny', seed: 7, out });
    assert.equal(manifestPath, join(workDir, 'tiny.manifest.json'));

    const bytes = await readFile(out);
    assert.ok(bytes.length < 2 * 1024 * 1024, `tiny model is ${bytes.length} bytes`);
    const written = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written, manifest);
    const { createdAt, ...rest } = written;
    assert.ok(typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt)));
    assert.deepEqual(rest, {
      id: 'generated-tiny-seed7',
      pretrained: false,
      arch: 'tiny',
      source: 'generated',
      url: null,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      inputName: 'input',
      outputName: 'embedding',
      inputSize: 224,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      dimension: 2048,
    });
    assertContract(onnx.ModelProto.decode(bytes));
  });

  test('runs in onnxruntime: batch of 2 → embedding [2, 2048], finite', async () => {
    const session = await openSession(generateModel({ arch: 'tiny', seed: 7 }));
    try {
      const { dims, vectors } = await embedBatch(session, images.originals.slice(0, 2));
      assert.deepEqual(dims, [2, EMBEDDING]);
      vectors.forEach(assertHealthyEmbedding);
      assert.ok(cosine(vectors[0]!, vectors[1]!) < 0.9995, 'different images gave the same embedding');
    } finally {
      await session.release();
    }
  });

  test('is deterministic per seed and differs across seeds', async () => {
    const first = generateModel({ arch: 'tiny', seed: 42 });
    assert.deepEqual(generateModel({ arch: 'tiny', seed: 42 }), first);
    const other = generateModel({ arch: 'tiny', seed: 43 });
    assert.notDeepEqual(other, first);

    const sessions = await Promise.all([openSession(first), openSession(other)]);
    try {
      const [a, b] = await Promise.all(sessions.map((s) => embedBatch(s, [images.originals[0]!])));
      assert.ok(cosine(a!.vectors[0]!, b!.vectors[0]!) < 0.9995, 'different seeds gave the same features');
    } finally {
      await Promise.all(sessions.map((s) => s.release()));
    }
  });

  test('rejects unknown archs and non-integer seeds', () => {
    assert.throws(() => generateModel({ arch: 'vgg' as 'tiny', seed: 1 }), RangeError);
    assert.throws(() => generateModel({ arch: 'tiny', seed: 1.5 }), RangeError);
  });

  test('classifier variant: the same backbone weights, then a 1,000-way Gemm + Softmax', async () => {
    const features = onnx.ModelProto.decode(generateModel({ arch: 'tiny', seed: 4 }));
    const classifierBytes = generateModel({ arch: 'tiny', seed: 4, head: 'classifier' });
    assert.deepEqual(generateModel({ arch: 'tiny', seed: 4, head: 'classifier' }), classifierBytes, 'deterministic per seed');
    const classifier = onnx.ModelProto.decode(classifierBytes);
    const graph = graphOf(classifier);
    assert.deepEqual(graph.node.slice(-4).map((n) => n.opType), ['GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
    assert.deepEqual(graph.output.map((o) => [o.name, shapeOf(o)]), [['probabilities', ['batch', 1000]]]);
    const weights = new Map(graph.initializer.map((t) => [t.name, t.rawData]));
    for (const tensor of graphOf(features).initializer) assert.deepEqual(weights.get(tensor.name), tensor.rawData, `${tensor.name} differs`);
    assert.deepEqual(dims(graph.initializer.find((t) => t.name === 'fc.weight')!), [1000, 2048]);

    const session = await openSession(classifierBytes);
    try {
      const batch = new Float32Array(2 * 3 * PLANE);
      batch.set(images.originals[0]!, 0);
      batch.set(images.originals[1]!, 3 * PLANE);
      const result = await session.run({ input: new ort.Tensor('float32', batch, [2, 3, SIZE, SIZE]) });
      const probabilities = result.probabilities!;
      assert.deepEqual(probabilities.dims, [2, 1000]);
      const data = probabilities.data as Float32Array;
      for (const row of [data.subarray(0, 1000), data.subarray(1000)]) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    } finally {
      await session.release();
    }
  });

  test('retrieval: a mildly edited copy ranks its own original first', async () => {
    const session = await openSession(generateModel({ arch: 'tiny', seed: 1 }));
    try {
      await assertRetrievalRanking(session, images);
    } finally {
      await session.release();
    }
  });
});

describe('generateModel resnet50', () => {
  let bytes: Uint8Array;
  let session: ort.InferenceSession;

  before(async () => {
    const out = join(workDir, 'resnet50.onnx');
    await writeGeneratedModel({ arch: 'resnet50', seed: 1, out });
    bytes = await readFile(out);
    session = await openSession(bytes);
  });

  after(async () => {
    await session?.release();
  });

  test('has the torchvision ResNet-50 v1.5 feature-extractor structure', () => {
    const model = onnx.ModelProto.decode(bytes);
    assertContract(model);
    const ops = graphOf(model).node.map((n) => n.opType);
    const count = (op: string): number => ops.filter((o) => o === op).length;
    // 1 stem conv + 16 bottlenecks × 3 convs + 4 projection shortcuts.
    assert.equal(count('Conv'), 53);
    assert.equal(count('Add'), 16);
    assert.equal(count('Relu'), 1 + 16 * 3);
    assert.deepEqual(['MaxPool', 'GlobalAveragePool', 'Flatten'].map(count), [1, 1, 1]);
    // torchvision: 23,508,032 incl. BatchNorm; folded BN keeps one bias per channel instead of four stats.
    const parameters = graphOf(model).initializer.reduce((sum, tensor) => sum + elementCount(tensor), 0);
    assert.ok(Math.abs(parameters - 23.5e6) < 0.1e6, `parameter count ${parameters}`);

    assert.deepEqual(stridesOf(model, 'layer2.0.conv1'), [1, 1], 'v1.5 keeps the 1×1 conv at stride 1');
    assert.deepEqual(stridesOf(model, 'layer2.0.conv2'), [2, 2], 'v1.5 strides on the 3×3 conv');
    assert.deepEqual(stridesOf(model, 'layer2.0.downsample.0'), [2, 2]);
  });

  test('runs in onnxruntime on one image → [1, 2048]', async () => {
    const { dims, vectors } = await embedBatch(session, [images.originals[0]!]);
    assert.deepEqual(dims, [1, EMBEDDING]);
    assertHealthyEmbedding(vectors[0]!);
  });

  test('retrieval: a mildly edited copy ranks its own original first', async () => {
    await assertRetrievalRanking(session, images);
  });
});
