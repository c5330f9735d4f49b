/**
 * `model import`: real ONNX files in, backbones out, checked with the app's own loader (Backbone)
 * on real preprocessed pictures. The classifier variants mimic the layouts of real exports:
 * torchvision (GlobalAveragePool → Flatten → Gemm), the ONNX model zoo's MXNet-exported ResNets
 * (IR 3, weights listed as inputs, fixed batch 1, input "data", ReduceMean → Reshape → Gemm) and
 * TensorFlow conversions (ReduceMean without keepdims → Gemm, opset 18 axes as an input).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import sharp from 'sharp';
import { OperationalError } from '../../src/domain/errors.ts';
import { Backbone } from '../../src/ml/backbone.ts';
import { IMAGENET_MEAN, IMAGENET_STD, readManifest } from '../../src/ml/manifest.ts';
import { buildTiny } from '../../src/ml/model-generator/tiny.ts';
import { generateModel, writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import { OnnxGraphBuilder } from '../../src/ml/model-generator/onnx-graph-builder.ts';
import { SeededRandom } from '../../src/ml/model-generator/seeded-random.ts';
import { importBackbone, ModelImportError, type ImportBackboneOptions } from '../../src/ml/model-import/index.ts';
import { activateStored, ActiveBackboneProtectedError, listBackbones, UnknownBackboneError } from '../../src/ml/model-library.ts';
import { preprocessImage } from '../../src/ml/preprocess.ts';
import { productSvg } from '../helpers/images.ts';

const { onnx } = onnxProto;
const SIZE = 224;
const IMAGE = 3 * SIZE * SIZE;
const quiet = { warn: () => undefined };

let work: string;
let pictures: Float32Array;
const PICTURE_COUNT = 5;

/** Five product photos, preprocessed as the app does, as one [5, 3, 224, 224] batch. */
async function loadPictures(): Promise<Float32Array> {
  const batch = new Float32Array(PICTURE_COUNT * IMAGE);
  for (let i = 0; i < PICTURE_COUNT; i += 1) {
    const png = await sharp(Buffer.from(productSvg(100 + i))).png().toBuffer();
    const settings = { mode: 'center-crop', inputSize: SIZE, mean: IMAGENET_MEAN, std: IMAGENET_STD, maxBytes: 1 << 24, maxPixels: 1 << 24 } as const;
    batch.set((await preprocessImage(png, { ...settings, source: `picture ${i}` })).tensor, i * IMAGE);
  }
  return batch;
}

/** Loads a backbone exactly as the app does and embeds the test pictures (raw pooled features). */
async function embed(modelPath: string): Promise<Float32Array> {
  const backbone = await Backbone.load(modelPath, { device: 'cpu', threads: 1, logger: quiet });
  try {
    return await backbone.run(pictures, PICTURE_COUNT);
  } finally {
    await backbone.close();
  }
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i += 1) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  assert.ok(worst <= tolerance * Math.max(scale, 1), `max difference ${worst} (largest value ${scale})`);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Decodes a model, lets `edit` change it, encodes it again. */
function variant(bytes: Uint8Array, edit: (model: Onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

function nodeNamed(model: Onnx.IModelProto, name: string): Onnx.INodeProto {
  const node = model.graph!.node!.find((n) => n.name === name);
  assert.ok(node, `no node ${name}`);
  return node;
}

const int64 = (name: string, values: number[]): Onnx.ITensorProto => ({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });

/** ONNX model zoo resnet50-v1-12 layout: IR 3 (weights also listed as inputs), input "data" [1, 3, 224, 224], ReduceMean → Reshape → Gemm. */
function modelZooStyle(classifier: Uint8Array): Uint8Array {
  return variant(classifier, (model) => {
    const graph = model.graph!;
    model.irVersion = 3;
    model.producerName = 'onnx-mxnet-export';
    const pool = nodeNamed(model, 'avgpool');
    pool.opType = 'ReduceMean';
    pool.attribute = [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [2, 3] }];
    const flatten = nodeNamed(model, 'flatten');
    flatten.opType = 'Reshape';
    flatten.attribute = [];
    flatten.input = ['avgpool', 'reshape_shape'];
    graph.initializer!.push(int64('reshape_shape', [0, -1]));
    graph.node = graph.node!.filter((node) => node.opType !== 'Softmax');
    const valueInfo = (name: string, elemType: number, dims: readonly number[]): Onnx.ValueInfoProto =>
      onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } } });
    graph.input = [valueInfo('data', 1, [1, 3, 224, 224]), ...graph.initializer!.map((tensor) => valueInfo(tensor.name!, tensor.dataType!, (tensor.dims ?? []).map(Number)))];
    nodeNamed(model, 'stem').input![0] = 'data';
    graph.output = [{ name: 'fc', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 1000 }] } } } }];
  });
}

/** TensorFlow-converted layout at opset 18: ReduceMean(keepdims=0, axes as an int64 input) → Gemm. */
function tensorflowStyle(classifier: Uint8Array): Uint8Array {
  return variant(classifier, (model) => {
    const graph = model.graph!;
    model.opsetImport = [{ domain: '', version: 18 }];
    const pool = nodeNamed(model, 'avgpool');
    pool.opType = 'ReduceMean';
    pool.input = [pool.input![0]!, 'mean_axes'];
    pool.attribute = [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }];
    graph.initializer!.push(int64('mean_axes', [-2, -1]));
    graph.node = graph.node!.filter((node) => node.name !== 'flatten');
    nodeNamed(model, 'fc').input![0] = 'avgpool';
  });
}

/** A feature extractor ending in the pool itself ([N, 2048, 1, 1]), like Qdrant's ResNet-50 export. */
function pooledOutputStyle(classifier: Uint8Array): Uint8Array {
  return variant(classifier, (model) => {
    const graph = model.graph!;
    graph.node = graph.node!.filter((node) => !['flatten', 'fc', 'probabilities'].includes(node.name ?? ''));
    graph.initializer = graph.initializer!.filter((tensor) => !tensor.name!.startsWith('fc.'));
    graph.output = [{ name: 'avgpool', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 2048 }, { dimValue: 1 }, { dimValue: 1 }] } } } }];
  });
}

/** The tiny network with a `channels`-wide pool (512: what a ResNet-18/34 has). */
function tinyWithPoolWidth(channels: number): Uint8Array {
  const builder = new OnnxGraphBuilder();
  buildTiny({ builder, random: new SeededRandom(1) }, 'input', 'embedding', channels);
  return builder.build([{ name: 'input', shape: ['batch', 3, SIZE, SIZE] }], [{ name: 'embedding', shape: ['batch', channels] }], {
    producerName: 'test', producerVersion: '1', irVersion: 7, opsetVersion: 13, graphName: 'narrow',
  });
}

describe('model import', () => {
  let tinyClassifier: Uint8Array;
  let tinyFeatures: Float32Array;
  let counter = 0;

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'shoplens-import-'));
    pictures = await loadPictures();
    tinyClassifier = generateModel({ arch: 'tiny', seed: 21, head: 'classifier' });
    const reference = await writeGeneratedModel({ arch: 'tiny', seed: 21, out: path.join(work, 'reference', 'tiny.onnx') });
    tinyFeatures = await embed(reference.modelPath);
  });
  after(async () => rm(work, { recursive: true, force: true }));

  /** A fresh models directory (MODEL_PATH = models/resnet50-imagenet.onnx) and a source file holding `bytes`. */
  async function setUp(bytes: Uint8Array, name = 'export.onnx'): Promise<{ file: string; modelsDir: string; activePath: string }> {
    const dir = path.join(work, `case-${(counter += 1)}`);
    const modelsDir = path.join(dir, 'models');
    const file = path.join(dir, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(file, bytes);
    return { file, modelsDir, activePath: path.join(modelsDir, 'resnet50-imagenet.onnx') };
  }

  function options(paths: { file: string; modelsDir: string; activePath: string }, extra: Partial<ImportBackboneOptions> = {}): ImportBackboneOptions {
    return { ...paths, pretrained: false, activate: false, ...extra };
  }

  test('a generated classifier becomes a backbone equal to the pooled-output model of the same seed', async () => {
    const paths = await setUp(tinyClassifier, 'thesis-net.onnx');
    const result = await importBackbone(options(paths));
    assert.equal(result.modelPath, path.join(paths.modelsDir, 'thesis-net.onnx'));
    assert.equal(result.status, 'imported');
    assert.match(result.change ?? '', /^cut after GlobalAveragePool "avgpool" \(removed 3 nodes: Flatten, Gemm, Softmax\)$/);
    assert.deepEqual(result.verification, { images: 4, outputShape: [4, 2048] });
    assert.deepEqual({ active: result.active, activated: result.activated }, { active: false, activated: false });

    const manifest = await readManifest(result.modelPath);
    assert.deepEqual(manifest, result.manifest);
    assert.equal(manifest.id, 'thesis-net');
    assert.equal(manifest.source, 'import');
    assert.equal(manifest.pretrained, false);
    assert.equal(manifest.inputName, 'input');
    assert.equal(manifest.outputName, 'embedding');
    assert.equal(manifest.dimension, 2048);
    assert.equal(manifest.inputSize, 224);
    assert.equal(manifest.sha256, sha256(await readFile(result.modelPath)));
    assert.deepEqual(manifest.importedFrom, { file: paths.file, sha256: sha256(tinyClassifier), change: result.change, producer: 'shoplens-model-generator 1' });
    const cut = onnx.ModelProto.decode(await readFile(result.modelPath));
    assert.ok(!cut.graph!.initializer!.some((tensor) => tensor.name!.startsWith('fc.')), 'the classifier weights are dropped');

    assertClose(await embed(result.modelPath), tinyFeatures);
    assert.ok(!(await readdir(paths.modelsDir)).includes('resnet50-imagenet.onnx'), 'MODEL_PATH untouched without --activate');
  });

  test('the full ResNet-50 classifier imports to the generator\'s ResNet-50 features', async () => {
    const paths = await setUp(generateModel({ arch: 'resnet50', seed: 5, head: 'classifier' }));
    const result = await importBackbone(options(paths, { id: 'resnet50-cut' }));
    assert.equal(result.manifest.arch, 'resnet50');
    const reference = await writeGeneratedModel({ arch: 'resnet50', seed: 5, out: path.join(work, 'reference', 'resnet50.onnx') });
    assertClose(await embed(result.modelPath), await embed(reference.modelPath));
  });

  test('model zoo layout (IR 3, fixed batch 1, ReduceMean → Reshape → Gemm) imports with a dynamic batch', async () => {
    const paths = await setUp(modelZooStyle(tinyClassifier), 'resnet50-v1-12.onnx');
    const result = await importBackbone(options(paths, { pretrained: true }));
    assert.equal(result.manifest.id, 'resnet50-v1-12');
    assert.equal(result.manifest.pretrained, true);
    assert.equal(result.manifest.inputName, 'data');
    assert.match(result.change ?? '', /^cut after ReduceMean "avgpool" \(removed 2 nodes: Reshape, Gemm\)$/);
    const inputs = onnx.ModelProto.decode(await readFile(result.modelPath)).graph!.input!;
    assert.equal(inputs[0]!.name, 'data');
    assert.equal(inputs[0]!.type!.tensorType!.shape!.dim![0]!.dimParam, 'batch');
    assert.ok(!inputs.some((input) => input.name!.startsWith('fc.')), 'weight inputs of removed nodes are dropped too');
    assertClose(await embed(result.modelPath), tinyFeatures);
  });

  test('TensorFlow layout (ReduceMean without keepdims, opset 18 axes input) imports as the pool output', async () => {
    const paths = await setUp(tensorflowStyle(tinyClassifier));
    const result = await importBackbone(options(paths));
    assert.equal(result.manifest.outputName, 'avgpool');
    assertClose(await embed(result.modelPath), tinyFeatures);
  });

  test('a file that already ends at the pooled features is kept byte for byte', async () => {
    const bytes = pooledOutputStyle(tinyClassifier);
    const paths = await setUp(bytes);
    const result = await importBackbone(options(paths, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }));
    assert.equal(result.change, null);
    assert.equal(result.manifest.sha256, sha256(bytes));
    assert.equal(result.manifest.outputName, 'avgpool');
    assert.deepEqual([result.manifest.mean, result.manifest.std], [[0.5, 0.5, 0.5], [0.25, 0.25, 0.25]]);
    assertClose(await embed(result.modelPath), tinyFeatures);
  });

  describe('rejects, in one line naming the file, the problem and the fix, and writes nothing', () => {
    async function assertRejected(bytes: Uint8Array, pattern: RegExp, extra: Partial<ImportBackboneOptions> = {}): Promise<void> {
      const paths = await setUp(bytes);
      await assert.rejects(importBackbone(options(paths, extra)), (error: unknown) => {
        assert.ok(error instanceof ModelImportError && error instanceof OperationalError, String(error));
        assert.equal(error.exitCode, 2);
        assert.ok(!error.message.includes('\n'), error.message);
        assert.ok(error.message.includes(paths.file), error.message);
        assert.match(error.message, pattern);
        return true;
      });
      assert.deepEqual(await readdir(paths.modelsDir).catch(() => []), []);
    }

    test('a channels-last input', () => assertRejected(
      variant(tinyClassifier, (model) => {
        model.graph!.input![0]!.type!.tensorType!.shape!.dim = [{ dimParam: 'batch' }, { dimValue: 224 }, { dimValue: 224 }, { dimValue: 3 }];
      }),
      /input "input" is \[batch, 224, 224, 3\] float32, but a backbone takes one float32 image tensor \[N, 3, 224, 224\] \(NCHW\); it is channels-last/,
    ));

    test('another input size', () => assertRejected(
      variant(tinyClassifier, (model) => {
        model.graph!.input![0]!.type!.tensorType!.shape!.dim = [{ dimParam: 'batch' }, { dimValue: 3 }, { dimValue: 256 }, { dimValue: 256 }];
      }),
      /is \[batch, 3, 256, 256\] float32, .*; export it for 224×224 RGB input$/,
    ));

    test('a float16 input', () => assertRejected(
      variant(tinyClassifier, (model) => {
        model.graph!.input![0]!.type!.tensorType!.elemType = onnx.TensorProto.DataType.FLOAT16;
      }),
      /input "input" is float16, .*; export it in float32$/,
    ));

    test('a file that is not ONNX', async () => {
      await assertRejected(Buffer.from('name,price\nshirt,10\n'), /is not an ONNX model \(no graph in it\)/);
      await assertRejected(await sharp(Buffer.from(productSvg(1))).jpeg().toBuffer(), /is not an ONNX model/);
    });

    test('a truncated file', () => assertRejected(tinyClassifier.subarray(0, Math.floor(tinyClassifier.length / 2)), /is truncated or corrupt \(.+\); copy or download the \.onnx file again$/));

    test('an empty file', () => assertRejected(new Uint8Array(), /is empty \(0 bytes\)/));

    test('a graph whose pool has 512 channels', () => assertRejected(
      tinyWithPoolWidth(512),
      /has no 2,048-channel global average pool \(found GlobalAveragePool "avgpool" → \[1, 512, 1, 1\]\) \(512 channels: a ResNet-18\/34\?\); import a ResNet-50/,
    ));

    test('a graph without any pool', () => assertRejected(
      variant(tinyClassifier, (model) => {
        nodeNamed(model, 'avgpool').opType = 'MaxPool';
        nodeNamed(model, 'avgpool').attribute = [{ name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [14, 14] }];
      }),
      /has no global average pool \(GlobalAveragePool, or ReduceMean over height and width\)/,
    ));

    test('a graph that ignores its input', () => assertRejected(
      variant(tinyClassifier, (model) => {
        const zero = { name: 'zero', dims: [1], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [0] };
        model.graph!.initializer!.push(zero);
        model.graph!.node!.unshift({ opType: 'Mul', name: 'blind', input: ['input', 'zero'], output: ['blind'] });
        nodeNamed(model, 'stem').input![0] = 'blind';
      }),
      /gives the same features for different pictures/,
    ));

    test('weights that give NaN', () => assertRejected(
      variant(tinyClassifier, (model) => {
        const bias = model.graph!.initializer!.find((tensor) => tensor.name === 'head.bias')!;
        bias.rawData = new Uint8Array(new Float32Array(2048).fill(Number.NaN).buffer);
      }),
      /gives NaN or infinite values/,
    ));

    test('--pretrained on a generated model', () => assertRejected(tinyClassifier, /was made by `npx shoplens model generate` and has random weights; import it without --pretrained$/, { pretrained: true }));

    test('an unusable --id', async () => {
      const paths = await setUp(tinyClassifier);
      await assert.rejects(importBackbone(options(paths, { id: '../x' })), /^ModelImportError: --id "\.\.\/x" is not usable as a name; use letters, digits/);
      assert.deepEqual(await readdir(paths.modelsDir).catch(() => []), []);
    });
  });

  describe('the active backbone (MODEL_PATH)', () => {
    test('is never replaced without --activate, and --activate keeps the one it replaces', async () => {
      const paths = await setUp(tinyClassifier, 'shop.onnx');
      const first = await writeGeneratedModel({ arch: 'tiny', seed: 8, out: paths.activePath });
      const activeBytes = await readFile(paths.activePath);

      await assert.rejects(importBackbone(options(paths, { id: 'resnet50-imagenet' })), (error: unknown) => {
        assert.ok(error instanceof ActiveBackboneProtectedError);
        assert.match(error.message, /would replace the active backbone generated-tiny-seed8@[0-9a-f]{12} at .*resnet50-imagenet\.onnx \(MODEL_PATH\); pass --activate/);
        return true;
      });
      const imported = await importBackbone(options(paths));
      assert.equal(imported.active, false);
      assert.deepEqual(await readFile(paths.activePath), activeBytes);

      const activated = await importBackbone(options(paths, { activate: true }));
      assert.deepEqual({ status: activated.status, active: activated.active, activated: activated.activated }, { status: 'unchanged', active: true, activated: true });
      const kept = path.join(paths.modelsDir, 'generated-tiny-seed8.onnx');
      assert.equal(activated.previousKeptAt, kept);
      assert.deepEqual(await readFile(kept), activeBytes);
      assert.equal((await readManifest(kept)).sha256, first.manifest.sha256);
      assert.equal((await readManifest(paths.activePath)).id, 'shop');
      assertClose(await embed(paths.activePath), tinyFeatures);

      const listed = await listBackbones(paths.modelsDir, paths.activePath);
      assert.deepEqual(
        listed.map((backbone) => [backbone.manifest.id, backbone.active, backbone.files.map((file) => path.basename(file))]),
        [['shop', true, ['resnet50-imagenet.onnx', 'shop.onnx']], ['generated-tiny-seed8', false, ['generated-tiny-seed8.onnx']]],
      );

      // Switching back: the stored backbone returns to MODEL_PATH, "shop" stays in shop.onnx.
      const back = await activateStored(paths.modelsDir, paths.activePath, 'generated-tiny-seed8');
      assert.equal(back.activated, true);
      assert.equal(back.previousKeptAt, path.join(paths.modelsDir, 'shop.onnx'));
      assert.deepEqual(await readFile(paths.activePath), activeBytes);
      assert.equal((await readManifest(paths.activePath)).id, 'generated-tiny-seed8');
      assert.equal((await activateStored(paths.modelsDir, paths.activePath, back.backbone.modelId)).activated, false);
      await assert.rejects(activateStored(paths.modelsDir, paths.activePath, 'nope'), (error: unknown) => {
        assert.ok(error instanceof UnknownBackboneError && error instanceof OperationalError);
        assert.match(error.message, /^No backbone "nope" in .* \(there: generated-tiny-seed8@[0-9a-f]{12}, shop@[0-9a-f]{12}\); see `npx shoplens model list`$/);
        return true;
      });
    });

    test('an id taken by another backbone is refused', async () => {
      const paths = await setUp(tinyClassifier);
      await writeGeneratedModel({ arch: 'tiny', seed: 9, out: path.join(paths.modelsDir, 'taken.onnx') });
      await assert.rejects(importBackbone(options(paths, { id: 'taken' })), /taken\.onnx already holds the backbone generated-tiny-seed9@[0-9a-f]{12}; choose another --id/);
    });
  });
});
