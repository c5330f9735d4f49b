import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { Backbone, ModelMismatchError, ModelMissingError } from '../../src/ml/backbone.ts';
import { cosineSimilarity, ImageEmbedder, l2Normalize, type EmbedOutcome, type ImageInput } from '../../src/ml/embedder.ts';
import { openWithFallback, resolveExecutionProviders, resolveThreads } from '../../src/ml/execution-provider.ts';
import { ImageRejectedError } from '../../src/ml/image-errors.ts';
import { InputBufferPool, inputBuffers } from '../../src/ml/input-buffers.ts';
import { manifestPathFor } from '../../src/ml/manifest.ts';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import { OPTIMIZED_DIR, optimizedModelPath } from '../../src/ml/optimized-model.ts';

interface LoggedWarning {
  obj: object;
  msg: string;
}

function recordingLogger(): { warn(obj: object, msg: string): void; warnings: LoggedWarning[] } {
  const warnings: LoggedWarning[] = [];
  return { warnings, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
}

/** A small "photo": a colour gradient with a disc, different per seed. */
async function photo(seed: number, width = 320, height = 240): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / (3 + seed)) ** 2;
      const i = (y * width + x) * 3;
      data[i] = inDisc ? 255 - seed * 20 : (x * (seed + 1)) % 256;
      data[i + 1] = inDisc ? seed * 30 : (y * 2 + seed * 40) % 256;
      data[i + 2] = (x + y + seed * 70) % 256;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

describe('ImageEmbedder with the tiny generated model', () => {
  let dir: string;
  let modelPath: string;
  let backbone: Backbone;
  let embedder: ImageEmbedder;
  const logger = recordingLogger();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoplens-embedder-'));
    modelPath = join(dir, 'tiny.onnx');
    await writeGeneratedModel({ arch: 'tiny', seed: 7, out: modelPath });
    backbone = await Backbone.load(modelPath, { device: 'cpu', threads: 1, logger });
    embedder = new ImageEmbedder(backbone, { mode: 'center-crop', maxBytes: 1024 * 1024, maxPixels: 10_000_000, batchSize: 3 });
  });

  after(async () => {
    await backbone.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('exposes what the manifest says', () => {
    assert.equal(backbone.dimension, 2048);
    assert.equal(backbone.inputSize, 224);
    assert.equal(backbone.pretrained, false);
    assert.equal(backbone.provider, 'cpu');
    assert.match(backbone.modelId, /^generated-tiny-seed7@[0-9a-f]{12}$/);
    assert.equal(embedder.modelId, backbone.modelId);
    assert.equal(logger.warnings.length, 0, 'no warning on plain CPU');
  });

  test('embed gives a finite 2048-d feature vector and a unit-length embedding', async () => {
    const result = await embedder.embed(await photo(1), 'one.jpg');
    assert.equal(result.features.length, 2048);
    assert.equal(result.embedding.length, 2048);
    assert.ok(result.features.every(Number.isFinite), 'features are finite');
    assert.ok(result.features.some((x) => x !== 0), 'features are not all zero');
    assert.ok(Math.abs(norm(result.embedding) - 1) < 1e-5, `norm ${norm(result.embedding)}`);
    assert.equal(result.width, 320);
    assert.equal(result.height, 240);
    assert.match(result.sha256, /^[0-9a-f]{64}$/);
  });

  test('embed rejects a bad image with ImageRejectedError', async () => {
    await assert.rejects(embedder.embed(Buffer.from('not a picture at all'), 'upload-3'), (error: unknown) => {
      assert.ok(error instanceof ImageRejectedError);
      assert.equal(error.reason, 'not-an-image');
      assert.match(error.message, /^upload-3: /);
      return true;
    });
  });

  test('embedAll yields in input order; a bad image in the middle is an ok:false outcome', async () => {
    const pictures = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((seed) => photo(seed)));
    const onDisk = join(dir, 'from-disk.jpg');
    await writeFile(onDisk, pictures[6]!);
    const inputs: ImageInput[] = [
      { source: 'p0', data: pictures[0]! },
      { source: 'p1', data: pictures[1]! },
      { source: 'p2', data: pictures[2]! },
      { source: 'broken', data: pictures[3]!.subarray(0, 200) },
      { source: 'p4', data: pictures[4]! },
      { source: 'missing', path: join(dir, 'no-such-file.jpg') },
      { source: 'p5', data: pictures[5]! },
      { source: 'disk', path: onDisk },
    ];
    const progress: [number, number][] = [];
    const outcomes: EmbedOutcome[] = [];
    for await (const outcome of embedder.embedAll(inputs, { onProgress: (done, total) => progress.push([done, total]) })) {
      outcomes.push(outcome);
    }
    assert.deepEqual(outcomes.map((o) => o.input.source), inputs.map((i) => i.source));
    assert.deepEqual(outcomes.map((o) => o.ok), [true, true, true, false, true, false, true, true]);
    const broken = outcomes[3]!;
    assert.ok(!broken.ok && broken.error.reason === 'truncated' && broken.error.message.startsWith('broken: '));
    const missing = outcomes[5]!;
    assert.ok(!missing.ok && missing.error.reason === 'unreadable');
    assert.deepEqual(progress, inputs.map((_, i) => [i + 1, inputs.length]));

    // Each ok outcome matches embed() of the same bytes, whatever batch it travelled in.
    const vectors = outcomes.flatMap((o) => (o.ok ? [o.image.embedding] : []));
    for (const [index, outcome] of outcomes.entries()) {
      if (!outcome.ok) continue;
      const bytes = inputs[index]!.data ?? (await readFile(inputs[index]!.path!));
      const single = await embedder.embed(bytes, 'again');
      assert.ok(cosineSimilarity(single.embedding, outcome.image.embedding) > 0.99999, `${outcome.input.source} matches embed()`);
      for (let i = 0; i < 2048; i += 1) {
        assert.ok(Math.abs(single.embedding[i]! - outcome.image.embedding[i]!) < 1e-5, `${outcome.input.source}[${i}]`);
      }
    }
    // Different pictures give different vectors.
    assert.ok(cosineSimilarity(vectors[0]!, vectors[1]!) < 0.99999);
  });

  test('run copies the batch unless the caller hands it over, and both give the same features', async () => {
    const images = backbone.imageLength;
    const batch = new Float32Array(2 * images).map((_, i) => Math.sin(i) * 0.5);
    const copied = await backbone.run(batch, 2);
    assert.equal(batch.length, 2 * images, 'the caller keeps its buffer');
    const oversized = new Float32Array(3 * images);
    oversized.set(batch);
    await backbone.run(oversized, 2, 'bulk', true);
    assert.equal(oversized.length, 3 * images, 'a buffer holding more than the batch is copied, not handed over');
    const handedOver = await backbone.run(batch, 2, 'bulk', true);
    assert.equal(batch.length, 0, 'the memory moved to the inference worker');
    assert.deepEqual(handedOver, copied);
  });

  test('handed-over input memory comes back to the pool, and photos normalized into reused buffers embed the same', async () => {
    const bytes = [await photo(1), await photo(2)];
    const fresh = await Promise.all(bytes.map((data, i) => embedder.embed(data, `fresh-${i}`)));
    // Watch one buffer make the round trip (earlier tests may have left others in the pool).
    const sent = new Float32Array(backbone.imageLength).fill(0.25);
    const before = inputBuffers.size;
    await backbone.run(sent, 1, 'interactive', true);
    assert.equal(sent.length, 0, 'handed over');
    assert.equal(inputBuffers.size, before + 1, 'the worker returned the memory');
    const returned = inputBuffers.take(backbone.imageLength);
    assert.ok(returned.every((value) => value === 0.25), 'the same memory, values and all');
    inputBuffers.give(returned);
    const pooled = inputBuffers.size;
    // The next photos are normalized into returned buffers still holding other pictures' values.
    for (let round = 0; round < 3; round += 1) {
      for (const [i, data] of bytes.entries()) {
        const again = await embedder.embed(data, `again-${i}`);
        assert.deepEqual(again.features, fresh[i]!.features, `photo ${i}, round ${round}`);
      }
    }
    assert.equal(inputBuffers.size, pooled, 'one photo at a time takes a buffer and gets it back');
  });

  test('concurrent customer photos are batched together and get the features they would get alone', async () => {
    const images = await Promise.all([1, 2, 3, 4, 5].map((seed) => photo(seed)));
    const alone: Float32Array[] = [];
    for (const [i, image] of images.entries()) alone.push((await embedder.embed(image, `alone-${i}`)).features);
    const together = await Promise.all(images.map((image, i) => embedder.embed(image, `together-${i}`)));
    together.forEach((result, i) => {
      assert.equal(result.features.length, alone[i]!.length);
      result.features.forEach((value, d) => assert.ok(Math.abs(value - alone[i]![d]!) <= 1e-4 * Math.max(1, Math.abs(value))));
    });
  });

  test('a customer photo runs before catalog batches already queued', async () => {
    const size = backbone.inputSize;
    // Large catalog batches: each runs far longer than posting the next requests takes, even on a
    // loaded CI machine, so the customer's request is queued while bulk-1 still runs (with batches
    // of 3 tiny images the worker could finish two of them before the customer's message arrived).
    const images = 48;
    const bulk = new Float32Array(images * 3 * size * size).fill(0.5);
    const one = new Float32Array(3 * size * size).fill(0.25);
    const finished: string[] = [];
    const track = (name: string, work: Promise<Float32Array>) => work.then(() => finished.push(name));
    await Promise.all([
      track('bulk-1', backbone.run(bulk, images)),
      track('bulk-2', backbone.run(bulk, images)),
      track('bulk-3', backbone.run(bulk, images)),
      track('customer', backbone.run(one, 1, 'interactive')),
    ]);
    assert.ok(finished.indexOf('customer') < finished.indexOf('bulk-3'), `order: ${finished.join(', ')}`);
    assert.deepEqual(finished.filter((name) => name.startsWith('bulk')), ['bulk-1', 'bulk-2', 'bulk-3']);
  });

  test('a customer photo with the worker to itself runs on the lone-photo session, with the features a batch gives it', async () => {
    const size = backbone.inputSize;
    const one = new Float32Array(3 * size * size).map((_, i) => Math.cos(i) * 0.5);
    const before = backbone.runsAlone;
    const alone = await backbone.run(one, 1, 'interactive');
    assert.equal(backbone.runsAlone, before + 1);
    assert.deepEqual(await backbone.run(one, 1, 'bulk'), alone, 'catalog work runs on the batch session, same features');
    assert.equal(backbone.runsAlone, before + 1);
    // Queued behind a long catalog batch, two customers run together and a third shares the worker
    // with the catalog batch after it: none of them runs alone.
    const bulk = new Float32Array(48 * 3 * size * size).fill(0.5);
    const [, first, second] = await Promise.all([
      backbone.run(bulk, 48),
      backbone.run(one, 1, 'interactive'),
      backbone.run(one, 1, 'interactive'),
    ]);
    const [, third] = await Promise.all([backbone.run(bulk, 48), backbone.run(one, 1, 'interactive'), backbone.run(bulk, 8)]);
    assert.equal(backbone.runsAlone, before + 1);
    for (const features of [first, second, third]) {
      features.forEach((value, d) => assert.ok(Math.abs(value - alone[d]!) <= 1e-4 * Math.max(1, Math.abs(value))));
    }
  });

  test('embedAll of nothing yields nothing', async () => {
    const outcomes = [];
    for await (const outcome of embedder.embedAll([])) outcomes.push(outcome);
    assert.equal(outcomes.length, 0);
  });

  test('embedAll refuses an input with both path and data before doing any work', async () => {
    const generator = embedder.embedAll([{ source: 'both', path: '/x.jpg', data: Buffer.from('x') }]);
    await assert.rejects(generator.next(), TypeError);
  });

  test('embedAll stops with the abort reason', async () => {
    const data = await photo(2);
    const inputs = Array.from({ length: 9 }, (_, i) => ({ source: `a${i}`, data }));
    const controller = new AbortController();
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const outcome of embedder.embedAll(inputs, { signal: controller.signal })) {
          seen.push(outcome.input.source);
          controller.abort(new Error('user cancelled'));
        }
      })(),
      /user cancelled/,
    );
    assert.ok(seen.length >= 1 && seen.length <= 3, `stopped after the first batch, saw ${seen.length}`);
  });

  test('a consumer may stop early without hanging', async () => {
    const data = await photo(3);
    const inputs = Array.from({ length: 12 }, (_, i) => ({ source: `b${i}`, data }));
    for await (const outcome of embedder.embedAll(inputs)) {
      assert.ok(outcome.ok);
      break;
    }
  });
});

describe('Backbone.load failures', () => {
  let dir: string;
  let modelPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoplens-backbone-'));
    modelPath = join(dir, 'tiny.onnx');
    await writeGeneratedModel({ arch: 'tiny', seed: 3, out: modelPath });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a missing model file says where it looked and how to get one', async () => {
    const missing = join(dir, 'absent.onnx');
    await assert.rejects(Backbone.load(missing, { device: 'cpu', threads: 1, logger: recordingLogger() }), (error: unknown) => {
      assert.ok(error instanceof ModelMissingError);
      assert.equal(error.modelPath, missing);
      assert.ok(error.message.includes(missing));
      assert.ok(error.message.includes('`npx shoplens model fetch` downloads the pretrained ResNet-50'));
      assert.ok(error.message.includes(`\`npx shoplens model generate --arch resnet50 --seed 42 --out ${missing}\` makes a test model`));
      return true;
    });
  });

  test('a model file that does not match its manifest hash is refused', async () => {
    const other = join(dir, 'swapped.onnx');
    await copyFile(modelPath, other);
    await copyFile(manifestPathFor(modelPath), manifestPathFor(other));
    // Same manifest, different bytes: as if someone replaced the weights in place.
    await writeFile(other, Buffer.concat([await readFile(modelPath), Buffer.from([0])]));
    await assert.rejects(Backbone.load(other, { device: 'cpu', threads: 1, logger: recordingLogger() }), (error: unknown) => {
      assert.ok(error instanceof ModelMismatchError);
      assert.ok(error.message.startsWith(`${other}: model file does not match its manifest`), error.message);
      assert.match(error.message, /npx shoplens model generate/);
      return true;
    });
  });

  test('a manifest naming a tensor the model lacks is refused', async () => {
    const renamed = join(dir, 'renamed.onnx');
    await copyFile(modelPath, renamed);
    const manifest = JSON.parse(await readFile(manifestPathFor(modelPath), 'utf8')) as Record<string, unknown>;
    await writeFile(manifestPathFor(renamed), JSON.stringify({ ...manifest, outputName: 'logits' }));
    await assert.rejects(
      Backbone.load(renamed, { device: 'cpu', threads: 1, logger: recordingLogger() }),
      /manifest output "logits" is not in the model \(outputs: embedding\)/,
    );
  });

  test('CUDA on this CPU-only install falls back to CPU and logs a warning', async () => {
    assert.deepEqual(resolveExecutionProviders('cuda'), ['cuda', 'cpu']);
    assert.deepEqual(resolveExecutionProviders('cpu'), ['cpu']);
    const logger = recordingLogger();
    const backbone = await Backbone.load(modelPath, { device: 'cuda', threads: 1, logger });
    try {
      assert.equal(backbone.provider, 'cpu');
      assert.equal(logger.warnings.length, 1);
      assert.match(logger.warnings[0]!.msg, /CUDA was requested .* running on CPU/);
      assert.ok('err' in logger.warnings[0]!.obj);
      const out = await backbone.run(new Float32Array(backbone.imageLength), 1);
      assert.equal(out.length, 2048);
    } finally {
      await backbone.close();
    }
  });
});

describe("ONNX Runtime's optimized copy of the model", () => {
  let dir: string;
  const load = (modelPath: string) => Backbone.load(modelPath, { device: 'cpu', threads: 1, logger: recordingLogger() });
  const features = async (backbone: Backbone) => backbone.run(new Float32Array(backbone.imageLength).map((_, i) => Math.sin(i)), 1);
  const optimizedFiles = async (modelDir: string) => (await readdir(join(modelDir, OPTIMIZED_DIR)).catch(() => [] as string[])).sort();
  /** A tiny generated model alone in `<dir>/<name>/`. */
  const freshModel = async (name: string, seed = 3) => {
    const modelDir = join(dir, name);
    const modelPath = join(modelDir, 'tiny.onnx');
    await writeGeneratedModel({ arch: 'tiny', seed, out: modelPath });
    return { modelDir, modelPath };
  };
  /** Loads, runs and closes once; the features of one fixed input. */
  const featuresOnce = async (modelPath: string) => {
    const backbone = await load(modelPath);
    try {
      return await features(backbone);
    } finally {
      await backbone.close();
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoplens-optimized-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the first load keeps the optimized graph beside the model; the next load runs it, not the original', async () => {
    const { modelDir, modelPath } = await freshModel('a');
    const original = await featuresOnce(modelPath);
    const files = await optimizedFiles(modelDir);
    assert.equal(files.length, 1, `one optimized copy, no temporary files: ${files.join(', ')}`);
    const cached = join(modelDir, OPTIMIZED_DIR, files[0]!);
    const manifest = JSON.parse(await readFile(manifestPathFor(modelPath), 'utf8')) as { sha256: string };
    assert.equal(cached, optimizedModelPath(modelPath, manifest.sha256));
    assert.deepEqual(await featuresOnce(modelPath), original, 'same features from the optimized copy');

    // Swap in the optimized graph of another seed: if loads really use the copy, the features change.
    const other = await freshModel('b', 4);
    const otherFeatures = await featuresOnce(other.modelPath);
    await copyFile(join(other.modelDir, OPTIMIZED_DIR, (await optimizedFiles(other.modelDir))[0]!), cached);
    assert.deepEqual(await featuresOnce(modelPath), otherFeatures);
  });

  test("the copy is in ONNX Runtime's own format, and replaces the same model's copies of other versions and of the older format", async () => {
    const { modelDir, modelPath } = await freshModel('f');
    const manifest = JSON.parse(await readFile(manifestPathFor(modelPath), 'utf8')) as { sha256: string };
    const cached = optimizedModelPath(modelPath, manifest.sha256);
    const key = basename(cached).split('-').at(-1)!.replace('.ort', '');
    const hash = manifest.sha256.slice(0, 12);
    const stale = [`tiny-${'0'.repeat(12)}-${key}.ort`, `tiny-${hash}-${key}.onnx`];
    const kept = [`tiny-${hash}-${'a'.repeat(12)}.ort`, `other-${hash}-${key}.ort`, 'notes.txt'];
    await mkdir(join(modelDir, OPTIMIZED_DIR), { recursive: true });
    for (const file of [...stale, ...kept]) await writeFile(join(modelDir, OPTIMIZED_DIR, file), 'x');
    await featuresOnce(modelPath);
    assert.equal((await readFile(cached)).subarray(4, 8).toString('latin1'), 'ORTM', 'the ORT format file identifier');
    assert.deepEqual(await optimizedFiles(modelDir), [basename(cached), ...kept].sort());
  });

  test('a damaged copy is replaced, and the model still loads', async () => {
    const { modelDir, modelPath } = await freshModel('c');
    const original = await featuresOnce(modelPath);
    const cached = join(modelDir, OPTIMIZED_DIR, (await optimizedFiles(modelDir))[0]!);
    const good = await readFile(cached);
    await writeFile(cached, 'not a model');
    assert.deepEqual(await featuresOnce(modelPath), original);
    // ONNX Runtime does not write its format byte for byte the same twice; the size is stable.
    assert.equal((await readFile(cached)).length, good.length, 'optimized again and kept');
    assert.deepEqual(await featuresOnce(modelPath), original, 'and the new copy loads');
  });

  test('a model that fails its hash check leaves no optimized copy behind', async () => {
    const { modelDir, modelPath } = await freshModel('d');
    await writeFile(modelPath, Buffer.concat([await readFile(modelPath), Buffer.from([0])]));
    await assert.rejects(load(modelPath), ModelMismatchError);
    assert.deepEqual(await optimizedFiles(modelDir), []);
  });

  test('when no copy can be kept (the folder name is taken by a file), the model loads with its lone-photo session all the same', async () => {
    const { modelDir, modelPath } = await freshModel('e');
    await writeFile(join(modelDir, OPTIMIZED_DIR), 'in the way');
    const scratch = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('shoplens-optimized-')).sort();
    const scratchBefore = await scratch();
    const backbone = await load(modelPath);
    try {
      const one = new Float32Array(backbone.imageLength).map((_, i) => Math.sin(i));
      assert.equal((await backbone.run(one, 1, 'interactive')).length, 2048);
      assert.equal(backbone.runsAlone, 1);
    } finally {
      await backbone.close();
    }
    assert.deepEqual(await scratch(), scratchBefore, 'the temporary copy is gone once loaded');
  });
});

describe('InputBufferPool', () => {
  test('reuses buffers by length, keeps at most its limit, and ignores views and repeats', () => {
    const pool = new InputBufferPool(2);
    const first = pool.take(6);
    assert.equal(first.length, 6);
    pool.give(first);
    pool.give(first);
    assert.equal(pool.size, 1, 'a buffer given twice is kept once');
    assert.equal(pool.take(4).length, 4, 'another length gets a new buffer');
    assert.equal(pool.take(6), first, 'the same length gets the returned buffer');
    assert.equal(pool.size, 0);
    pool.give(new Float32Array(12).subarray(0, 6));
    pool.give(new Float32Array(0));
    assert.equal(pool.size, 0, 'views into larger memory and empty (detached) buffers are not kept');
    for (let i = 0; i < 3; i += 1) pool.give(new Float32Array(6));
    assert.equal(pool.size, 2, 'at most the limit per length');
  });
});

describe('openWithFallback', () => {
  test('a failing CUDA attempt is caught, logged, and retried on CPU', async () => {
    const logger = recordingLogger();
    const attempts: unknown[] = [];
    const created = await openWithFallback(
      (options) => {
        attempts.push(options.executionProviders);
        if (options.executionProviders?.includes('cuda')) return Promise.reject(new Error('Failed to load shared library'));
        return Promise.resolve('cpu-session');
      },
      { device: 'auto', threads: 0, logger },
      () => true,
    );
    assert.deepEqual(created, { session: 'cpu-session', provider: 'cpu' });
    assert.deepEqual(attempts, [['cuda', 'cpu'], ['cpu']]);
    assert.equal(logger.warnings.length, 1);
    assert.deepEqual(logger.warnings[0]!.obj, { device: 'auto', err: 'Failed to load shared library' });
  });

  test('a working CUDA attempt is used', async () => {
    const logger = recordingLogger();
    const created = await openWithFallback(() => Promise.resolve('gpu-session'), { device: 'cuda', threads: 0, logger }, () => true);
    assert.deepEqual(created, { session: 'gpu-session', provider: 'cuda' });
    assert.equal(logger.warnings.length, 0);
  });

  test('device cpu never tries CUDA and passes the session options through', async () => {
    const seen: unknown[] = [];
    await openWithFallback((options) => Promise.resolve(seen.push(options)), { device: 'cpu', threads: 2, logger: recordingLogger() });
    assert.deepEqual(seen, [
      {
        executionProviders: ['cpu'],
        intraOpNumThreads: 2,
        enableCpuMemArena: true,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      },
    ]);
  });
});

describe('thread policy', () => {
  test('ML_THREADS=0 gives inference every core this process may use; a number is taken as is', async () => {
    assert.equal(resolveThreads(0), availableParallelism());
    assert.equal(resolveThreads(3), 3);
    const seen: Array<{ intraOpNumThreads?: number }> = [];
    await openWithFallback((options) => Promise.resolve(seen.push(options)), { device: 'cpu', threads: 0, logger: recordingLogger() });
    assert.equal(seen[0]?.intraOpNumThreads, availableParallelism());
  });
});

describe('vector helpers', () => {
  test('l2Normalize returns a unit-length copy and leaves zeros alone', () => {
    const v = new Float32Array([3, 4]);
    assert.deepEqual([...l2Normalize(v)], [0.6000000238418579, 0.800000011920929]);
    assert.deepEqual([...v], [3, 4]);
    assert.deepEqual([...l2Normalize(new Float32Array(3))], [0, 0, 0]);
  });

  test('cosineSimilarity', () => {
    assert.equal(cosineSimilarity(new Float32Array([1, 0]), new Float32Array([0, 1])), 0);
    assert.ok(Math.abs(cosineSimilarity(new Float32Array([1, 2]), new Float32Array([2, 4])) - 1) < 1e-12);
    assert.equal(cosineSimilarity(new Float32Array([0, 0]), new Float32Array([1, 1])), 0);
    assert.throws(() => cosineSimilarity(new Float32Array(2), new Float32Array(3)), RangeError);
  });
});
