/**
 * `model quantize`: the int8 copy of a real (generated) backbone, calibrated on product photos,
 * loaded by the app's own Backbone and compared with the float backbone on other photos.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { Backbone } from '../../src/ml/backbone.ts';
import { cosineSimilarity } from '../../src/ml/embedder.ts';
import { IMAGENET_MEAN, IMAGENET_STD, readManifest } from '../../src/ml/manifest.ts';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import { ModelImportError } from '../../src/ml/model-import/index.ts';
import { MIN_PHOTOS, quantizeBackbone, type QuantizeBackboneOptions } from '../../src/ml/model-quantize/index.ts';
import { activationParams, prepareForQuantization, toQdqModel, quantizedActivations } from '../../src/ml/model-quantize/qdq-graph.ts';
import { preprocessImage } from '../../src/ml/preprocess.ts';
import { productSvg } from '../helpers/images.ts';

const { onnx } = onnxProto;
const SIZE = 224;
const IMAGE = 3 * SIZE * SIZE;
const quiet = { warn: () => undefined };
const PHOTO_SETTINGS = { mode: 'center-crop', inputSize: SIZE, mean: IMAGENET_MEAN, std: IMAGENET_STD, maxBytes: 1 << 24, maxPixels: 1 << 24 } as const;

let work: string;
let floatPath: string;
let photosDir: string;
/** Photos that are not among the calibration photos, preprocessed as the app does: [N, 3, 224, 224]. */
let others: Float32Array;
const OTHER_COUNT = 6;

async function productJpeg(seed: number): Promise<Buffer> {
  return sharp(Buffer.from(productSvg(seed))).jpeg({ quality: 85 }).toBuffer();
}

async function embed(modelPath: string): Promise<Float32Array> {
  const backbone = await Backbone.load(modelPath, { device: 'cpu', threads: 1, logger: quiet });
  try {
    return await backbone.run(others, OTHER_COUNT);
  } finally {
    await backbone.close();
  }
}

function rows(batch: Float32Array, count: number): Float32Array[] {
  const width = batch.length / count;
  return Array.from({ length: count }, (_, index) => batch.subarray(index * width, (index + 1) * width));
}

function opTypes(bytes: Uint8Array): Set<string> {
  return new Set((onnx.ModelProto.decode(bytes).graph?.node ?? []).map((node) => node.opType!));
}

let counter = 0;
async function options(extra: Partial<QuantizeBackboneOptions> = {}): Promise<QuantizeBackboneOptions> {
  const modelsDir = path.join(work, `models-${(counter += 1)}`);
  await mkdir(modelsDir, { recursive: true });
  const modelPath = path.join(modelsDir, 'float.onnx');
  await writeFile(modelPath, await readFile(floatPath));
  await writeFile(path.join(modelsDir, 'float.manifest.json'), await readFile(floatPath.replace(/\.onnx$/, '.manifest.json')));
  return {
    modelPath, modelsDir, activePath: modelPath, photosDir, preprocessMode: 'center-crop', maxBytes: 1 << 24, maxPixels: 1 << 24, threads: 1, activate: false, ...extra,
  };
}

describe('model quantize', () => {
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'shoplens-quantize-'));
    floatPath = (await writeGeneratedModel({ arch: 'tiny', seed: 7, out: path.join(work, 'reference', 'float.onnx') })).modelPath;
    photosDir = path.join(work, 'photos', 'nested');
    await mkdir(photosDir, { recursive: true });
    for (let seed = 1; seed <= 20; seed++) await writeFile(path.join(photosDir, `p${seed}.jpg`), await productJpeg(seed));
    await writeFile(path.join(photosDir, 'notes.jpg'), 'not a photo');
    others = new Float32Array(OTHER_COUNT * IMAGE);
    for (let i = 0; i < OTHER_COUNT; i++) {
      others.set((await preprocessImage(await productJpeg(500 + i), { ...PHOTO_SETTINGS, source: `other ${i}` })).tensor, i * IMAGE);
    }
  });
  after(async () => rm(work, { recursive: true, force: true }));

  test('writes an int8 backbone next to the float one that embeds unseen photos like it', async () => {
    const opts = await options({ photosDir: path.dirname(photosDir) });
    const result = await quantizeBackbone(opts);
    const source = await readManifest(opts.modelPath);

    assert.equal(result.modelPath, path.join(opts.modelsDir, `${source.id}-int8.onnx`));
    assert.equal(result.status, 'imported');
    assert.equal(result.active, false);
    assert.equal(result.skippedPhotos, 1, 'the text file named .jpg is skipped');
    assert.equal(result.calibrationPhotos + result.checkPhotos, 20);
    const manifest = await readManifest(result.modelPath);
    assert.equal(manifest.source, 'quantized');
    assert.equal(manifest.pretrained, source.pretrained);
    assert.equal(manifest.quantizedFrom?.sha256, source.sha256);
    assert.equal(manifest.quantizedFrom?.calibrationPhotos, result.calibrationPhotos);
    assert.ok(result.cosineMin >= 0.98 && result.cosineMin <= result.cosineMedian);

    const bytes = await readFile(result.modelPath);
    const ops = opTypes(bytes);
    assert.ok(ops.has('QuantizeLinear') && ops.has('DequantizeLinear'));
    const int8Weights = (onnx.ModelProto.decode(bytes).graph?.initializer ?? []).filter((tensor) => tensor.dataType === onnx.TensorProto.DataType.INT8);
    assert.ok(int8Weights.length >= 4, 'every Conv weight is stored as int8');
    assert.ok(bytes.length < (await readFile(opts.modelPath)).length / 2, 'no float copy of the weights is left in the file');

    const floatEmbeddings = rows(await embed(opts.modelPath), OTHER_COUNT);
    const int8Embeddings = rows(await embed(result.modelPath), OTHER_COUNT);
    for (let i = 0; i < OTHER_COUNT; i++) {
      const similarity = cosineSimilarity(floatEmbeddings[i]!, int8Embeddings[i]!);
      assert.ok(similarity >= 0.98, `photo ${i}: cosine ${similarity}`);
    }
    // Unseen photos stay apart as they were: each one's nearest other photo is the same in both.
    for (let i = 0; i < OTHER_COUNT; i++) {
      const nearest = (embeddings: Float32Array[]): number =>
        embeddings.map((e, j) => (j === i ? -2 : cosineSimilarity(embeddings[i]!, e))).reduce((best, s, j, all) => (s > all[best]! ? j : best), 0);
      assert.equal(nearest(int8Embeddings), nearest(floatEmbeddings), `nearest neighbour of photo ${i}`);
    }
  });

  test('the same photos give the same file again, reported as unchanged; --activate makes it MODEL_PATH', async () => {
    const opts = await options();
    const first = await quantizeBackbone(opts);
    const again = await quantizeBackbone({ ...opts, activate: true });
    assert.equal(again.status, 'unchanged');
    assert.equal(again.manifest.sha256, first.manifest.sha256);
    assert.equal(again.activated, true);
    assert.equal((await readManifest(opts.activePath)).source, 'quantized');
    assert.ok(again.previousKeptAt !== undefined, 'the float backbone is kept');
  });

  test('refuses an int8 backbone, too few photos and a graph with ops it does not know, storing nothing', async () => {
    const opts = await options();
    const quantized = await quantizeBackbone(opts);
    await assert.rejects(quantizeBackbone({ ...opts, modelPath: quantized.modelPath }), (error: Error) => {
      assert.ok(error instanceof ModelImportError);
      assert.match(error.message, /already is an int8 backbone; to make a new copy, activate the float one first \(`npx shoplens model activate generated-tiny-seed7@[0-9a-f]{12}`\)/);
      return true;
    });

    await assert.rejects(quantizeBackbone({ ...opts, modelPath: path.join(opts.modelsDir, 'absent.onnx') }), /Model file not found: .*absent\.onnx\. `npx shoplens model fetch`/);

    const few = path.join(work, 'few');
    await mkdir(few, { recursive: true });
    for (let seed = 1; seed < MIN_PHOTOS; seed++) await writeFile(path.join(few, `p${seed}.jpg`), await productJpeg(seed));
    const fewOpts = await options({ photosDir: few });
    await assert.rejects(quantizeBackbone(fewOpts), new RegExp(`has ${MIN_PHOTOS - 1} usable photos; int8 scales need at least ${MIN_PHOTOS}.*--photos DIR`));
    await assert.rejects(quantizeBackbone(await options({ photosDir: path.join(work, 'missing') })), /missing has 0 usable photos; .*import more products first/);
    await assert.rejects(quantizeBackbone(await options({ photosDir: path.join(photosDir, 'p1.jpg') })), /p1\.jpg: .*give --photos DIR with product photos/);

    const sigmoidOpts = await options();
    const model = onnx.ModelProto.decode(await readFile(sigmoidOpts.modelPath));
    model.graph!.node!.find((node) => node.opType === 'Relu')!.opType = 'Sigmoid';
    assert.throws(() => prepareForQuantization(model, 'x.onnx'), /x\.onnx has ops int8 quantization does not handle \(Sigmoid\)/);
    assert.deepEqual((await readdir(fewOpts.modelsDir)).sort(), ['float.manifest.json', 'float.onnx']);
  });

  test('a Conv followed by BatchNormalization is folded before quantizing', async () => {
    const withNorm = insertBatchNorm(onnx.ModelProto.decode(await readFile(floatPath)), 'block1.conv1', 'after');
    const prepared = prepareForQuantization(withNorm, 'bn.onnx');
    assert.ok(!(prepared.graph!.node ?? []).some((node) => node.opType === 'BatchNormalization'));
    const { float, int8 } = await floatAndSelfCalibratedInt8(withNorm, prepared);
    assert.ok(cosineSimilarity(float, int8) >= 0.98, `cosine ${cosineSimilarity(float, int8)}`);
  });

  test('BatchNormalization before a Conv (pre-activation ResNets) stays in float, and the Convs around it are still quantized', async () => {
    const withNorm = insertBatchNorm(onnx.ModelProto.decode(await readFile(floatPath)), 'block1.conv2', 'before');
    const prepared = prepareForQuantization(withNorm, 'preact.onnx');
    const norm = (prepared.graph!.node ?? []).find((node) => node.opType === 'BatchNormalization');
    assert.ok(norm, 'the BatchNormalization is kept');
    assert.ok(quantizedActivations(prepared.graph!).includes(norm.input![0]!), 'its input is quantized, so the Conv before it ends in a Q');
    const { float, int8 } = await floatAndSelfCalibratedInt8(withNorm, prepared);
    assert.ok(cosineSimilarity(float, int8) >= 0.98, `cosine ${cosineSimilarity(float, int8)}`);
  });

  test('an IR 3, opset 11 file with its weights listed as inputs (the model zoo layout) gives an int8 model whose only input is the image', async () => {
    const model = onnx.ModelProto.decode(await readFile(floatPath));
    model.irVersion = 3;
    model.opsetImport = [{ domain: '', version: 11 }];
    const graph = model.graph!;
    graph.input = [...graph.input!, ...graph.initializer!.map((tensor) => ({ name: tensor.name!, type: { tensorType: { elemType: 1, shape: { dim: tensor.dims!.map((d) => ({ dimValue: Number(d) })) } } } }))];
    const prepared = prepareForQuantization(model, 'zoo.onnx');
    const ranges = new Map(quantizedActivations(prepared.graph!).map((name) => [name, { min: -3, max: 6 }]));
    const session = await ort.InferenceSession.create(toQdqModel(prepared, ranges), { logSeverityLevel: 3 });
    assert.deepEqual(session.inputNames, ['input']);
    const output = await session.run({ input: new ort.Tensor('float32', others.subarray(0, IMAGE), [1, 3, SIZE, SIZE]) });
    assert.equal(output.embedding!.dims.join('x'), '1x2048');
    await session.release();
  });

  test('activation scales cover zero and the whole measured range', () => {
    assert.deepEqual(activationParams({ min: -1, max: 3 }), { scale: 4 / 255, zeroPoint: 64 });
    assert.deepEqual(activationParams({ min: 0.5, max: 255 }), { scale: 1, zeroPoint: 0 });
    assert.deepEqual(activationParams({ min: -510, max: -1 }), { scale: 2, zeroPoint: 255 });
    assert.deepEqual(activationParams({ min: 0, max: 0 }), { scale: 1, zeroPoint: 0 });
  });
});

/**
 * The float model's embedding of the first unseen photo, and that of its int8 copy calibrated on
 * that same photo: the point of the callers is the graph rewrite, not the choice of photos.
 */
async function floatAndSelfCalibratedInt8(floatModel: Onnx.ModelProto, prepared: Onnx.ModelProto): Promise<{ float: Float32Array; int8: Float32Array }> {
  const one = others.subarray(0, IMAGE);
  const feed = { input: new ort.Tensor('float32', one, [1, 3, SIZE, SIZE]) };
  const activations = quantizedActivations(prepared.graph!);
  const probe = onnx.ModelProto.decode(onnx.ModelProto.encode(prepared).finish());
  for (const name of activations) if (name !== 'input') probe.graph!.output!.push({ name, type: { tensorType: { elemType: 1 } } });
  const sessions = await Promise.all([floatModel, probe].map((model) => ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { logSeverityLevel: 3 })));
  try {
    const float = (await sessions[0]!.run(feed)).embedding!.data as Float32Array;
    const outputs = await sessions[1]!.run(feed);
    const ranges = new Map(activations.map((name) => {
      const values = name === 'input' ? one : (outputs[name]!.data as Float32Array);
      let min = Infinity;
      let max = -Infinity;
      for (const value of values) [min, max] = [Math.min(min, value), Math.max(max, value)];
      return [name, { min, max }];
    }));
    const int8Session = await ort.InferenceSession.create(toQdqModel(prepared, ranges));
    sessions.push(int8Session);
    return { float, int8: (await int8Session.run(feed)).embedding!.data as Float32Array };
  } finally {
    await Promise.all(sessions.map((session) => session.release()));
  }
}

/**
 * Inserts BatchNormalization with non-trivial statistics right after the named Conv (its output
 * keeps its name, so the rest of the graph reads the normalised values), or on its data input.
 */
function insertBatchNorm(model: Onnx.ModelProto, convName: string, where: 'after' | 'before'): Onnx.ModelProto {
  const graph = model.graph!;
  const conv = graph.node!.find((node) => node.name === convName)!;
  const weight = graph.initializer!.find((tensor) => tensor.name === conv.input![1])!;
  const channels = Number(weight.dims![where === 'after' ? 0 : 1]);
  const make = (name: string, value: (c: number) => number): Onnx.ITensorProto => {
    const values = Float32Array.from({ length: channels }, (_, c) => value(c));
    return { name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [channels], rawData: new Uint8Array(values.buffer) };
  };
  graph.initializer!.push(
    make('bn.gamma', (c) => 0.5 + (c % 7) / 7),
    make('bn.beta', (c) => ((c % 5) - 2) * 0.1),
    make('bn.mean', (c) => ((c % 3) - 1) * 0.2),
    make('bn.var', (c) => 0.5 + (c % 4) / 4),
  );
  const params = ['bn.gamma', 'bn.beta', 'bn.mean', 'bn.var'];
  if (where === 'after') {
    const output = conv.output![0]!;
    conv.output = [`${output}.before_bn`];
    graph.node!.splice(graph.node!.indexOf(conv) + 1, 0, onnx.NodeProto.create({ opType: 'BatchNormalization', name: 'bn', input: [`${output}.before_bn`, ...params], output: [output] }));
  } else {
    const input = conv.input![0]!;
    conv.input = [`${input}.normalised`, ...conv.input!.slice(1)];
    graph.node!.splice(graph.node!.indexOf(conv), 0, onnx.NodeProto.create({ opType: 'BatchNormalization', name: 'bn', input: [input, ...params], output: [`${input}.normalised`] }));
  }
  return model;
}
