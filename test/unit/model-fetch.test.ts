import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Backbone } from '../../src/ml/backbone.ts';
import { manifestPathFor, readManifest } from '../../src/ml/manifest.ts';
import { OperationalError } from '../../src/domain/errors.ts';
import { fetchFrom, fetchPretrainedModel, ModelDownloadError } from '../../src/ml/model-fetch.ts';
import { generateModel, writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import { ActiveBackboneProtectedError } from '../../src/ml/model-library.ts';
import { PRETRAINED_RESNET50, type PretrainedModelDescriptor } from '../../src/ml/pretrained.ts';

/** Serves `body` at /model.onnx on 127.0.0.1 and counts requests; nothing here leaves the machine. */
async function serve(body: Uint8Array): Promise<{ server: Server; url: string; requests: () => number }> {
  let count = 0;
  const server = createServer((request, response) => {
    count += 1;
    if (request.url !== '/model.onnx') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    // Several chunks, so progress is reported more than once.
    const chunk = Math.ceil(body.length / 4);
    for (let offset = 0; offset < body.length; offset += chunk) response.write(body.subarray(offset, offset + chunk));
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/model.onnx`, requests: () => count };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('fetchPretrainedModel', () => {
  // The tiny generated model stands in for the 94 MB download: real ONNX bytes, so the manifest
  // step that reads tensor names from the file is exercised too.
  const modelBytes = generateModel({ arch: 'tiny', seed: 11 });
  let dir: string;
  let server: Server;
  let descriptor: PretrainedModelDescriptor;
  let requests: () => number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoplens-fetch-'));
    const served = await serve(modelBytes);
    server = served.server;
    requests = served.requests;
    descriptor = {
      ...PRETRAINED_RESNET50,
      id: 'test-download',
      url: served.url,
      sha256: sha256(modelBytes),
      fileName: 'downloaded.onnx',
    };
  });

  after(async () => {
    await close(server);
    await rm(dir, { recursive: true, force: true });
  });

  test('downloads, verifies, and writes a loadable model with its manifest', async () => {
    const modelsDir = join(dir, 'ok');
    const progress: [number, number | undefined][] = [];
    const result = await fetchPretrainedModel({ modelsDir, descriptor, onProgress: (done, total) => progress.push([done, total]) });

    assert.equal(result.status, 'downloaded');
    assert.equal(result.modelPath, join(modelsDir, 'downloaded.onnx'));
    assert.equal(result.bytes, modelBytes.length);
    assert.deepEqual(await readFile(result.modelPath), Buffer.from(modelBytes));
    assert.ok(!existsSync(`${result.modelPath}.part`));
    assert.ok(progress.length >= 2, 'progress reported per chunk');
    assert.deepEqual(progress.at(-1), [modelBytes.length, modelBytes.length]);

    const manifest = await readManifest(result.modelPath);
    assert.deepEqual(manifest, result.manifest);
    assert.equal(manifest.source, 'download');
    assert.equal(manifest.pretrained, true);
    assert.equal(manifest.url, descriptor.url);
    assert.equal(manifest.sha256, descriptor.sha256);
    // Names come from the file itself (the tiny model calls its output "embedding").
    assert.equal(manifest.inputName, 'input');
    assert.equal(manifest.outputName, 'embedding');
    assert.equal(manifest.dimension, 2048);

    const backbone = await Backbone.load(result.modelPath, { device: 'cpu', threads: 1, logger: { warn: () => undefined } });
    assert.equal(backbone.pretrained, true);
    await backbone.close();
  });

  test('already present with the right hash: no request is made', async () => {
    const modelsDir = join(dir, 'present');
    await fetchPretrainedModel({ modelsDir, descriptor });
    const before = requests();
    const result = await fetchPretrainedModel({ modelsDir, descriptor, fetchImpl: () => assert.fail('must not fetch') });
    assert.equal(result.status, 'already-present');
    assert.equal(requests(), before);
  });

  test('a file placed by hand is adopted and given a manifest', async () => {
    const modelsDir = join(dir, 'manual');
    await fetchPretrainedModel({ modelsDir, descriptor });
    await rm(manifestPathFor(join(modelsDir, 'downloaded.onnx')));
    const result = await fetchPretrainedModel({ modelsDir, descriptor, fetchImpl: () => assert.fail('must not fetch') });
    assert.equal(result.status, 'already-present');
    assert.equal((await readManifest(result.modelPath)).sha256, descriptor.sha256);
  });

  test('a wrong hash is an error and leaves no file behind', async () => {
    const modelsDir = join(dir, 'wrong-hash');
    const wrong = { ...descriptor, sha256: 'f'.repeat(64) };
    await assert.rejects(fetchPretrainedModel({ modelsDir, descriptor: wrong }), (error: unknown) => {
      assert.ok(error instanceof ModelDownloadError);
      assert.equal(error.failure, 'hash-mismatch');
      assert.ok(error.message.includes(`expected sha256 ${'f'.repeat(64)}, received ${descriptor.sha256}; nothing was kept`), error.message);
      return true;
    });
    assert.deepEqual(await readdir(modelsDir), []);
  });

  test('an HTTP error names the status and where to put the file', async () => {
    const modelsDir = join(dir, 'http-404');
    const missing = { ...descriptor, url: descriptor.url.replace('model.onnx', 'gone.onnx') };
    await assert.rejects(fetchPretrainedModel({ modelsDir, descriptor: missing }), (error: unknown) => {
      assert.ok(error instanceof ModelDownloadError);
      assert.equal(error.failure, 'http-status');
      assert.match(error.message, /\(HTTP 404 Not Found\)/);
      return true;
    });
    assert.deepEqual(await readdir(modelsDir), []);
  });

  test('an unreachable server says where to place the file and its sha256', async () => {
    const closed = await serve(modelBytes);
    await close(closed.server);
    const modelsDir = join(dir, 'offline');
    const offline = { ...descriptor, url: closed.url };
    const destination = join(modelsDir, 'downloaded.onnx');
    await assert.rejects(fetchPretrainedModel({ modelsDir, descriptor: offline }), (error: unknown) => {
      assert.ok(error instanceof ModelDownloadError);
      assert.equal(error.failure, 'network');
      assert.equal(error.destination, destination);
      assert.equal(
        error.message,
        `Could not download ${closed.url} (fetch failed: ECONNREFUSED). Download it on a machine with internet access ` +
          `and place it at ${destination} (sha256 ${descriptor.sha256}), then run the command again.`,
      );
      return true;
    });
    assert.deepEqual(await readdir(modelsDir), []);
  });

  test('a file with the wrong hash already in place is replaced', async () => {
    const modelsDir = join(dir, 'stale');
    await fetchPretrainedModel({ modelsDir, descriptor });
    await writeFile(join(modelsDir, 'downloaded.onnx'), 'half a download');
    const result = await fetchPretrainedModel({ modelsDir, descriptor });
    assert.equal(result.status, 'downloaded');
    assert.equal(sha256(await readFile(result.modelPath)), descriptor.sha256);
  });
});

describe('model fetch and the active backbone', () => {
  const modelBytes = generateModel({ arch: 'tiny', seed: 11 });
  let dir: string;
  let served: Awaited<ReturnType<typeof serve>>;
  let descriptor: PretrainedModelDescriptor;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoplens-fetch-active-'));
    served = await serve(modelBytes);
    descriptor = { ...PRETRAINED_RESNET50, id: 'test-download', url: served.url, sha256: sha256(modelBytes) };
  });
  after(async () => {
    await close(served.server);
    await rm(dir, { recursive: true, force: true });
  });

  test('never replaces another active backbone without activate, and keeps it when activated', async () => {
    const modelsDir = join(dir, 'slot');
    const activePath = join(modelsDir, descriptor.fileName);
    const previous = await writeGeneratedModel({ arch: 'tiny', seed: 3, out: activePath });
    const previousBytes = await readFile(activePath);
    const before = served.requests();
    await assert.rejects(fetchPretrainedModel({ modelsDir, descriptor, activePath }), (error: unknown) => {
      assert.ok(error instanceof ActiveBackboneProtectedError && error instanceof OperationalError);
      assert.match(error.message, /^downloading test-download would replace the active backbone generated-tiny-seed3@[0-9a-f]{12} at .* \(MODEL_PATH\); pass --activate/);
      return true;
    });
    assert.equal(served.requests(), before, 'refused before downloading');
    assert.deepEqual(await readFile(activePath), previousBytes);

    const result = await fetchPretrainedModel({ modelsDir, descriptor, activePath, activate: true });
    assert.deepEqual({ status: result.status, active: result.active, activated: result.activated }, { status: 'downloaded', active: true, activated: true });
    assert.equal(result.previousKeptAt, join(modelsDir, 'generated-tiny-seed3.onnx'));
    assert.deepEqual(await readFile(result.previousKeptAt), previousBytes);
    assert.equal((await readManifest(result.previousKeptAt)).sha256, previous.manifest.sha256);
    assert.equal((await readManifest(activePath)).id, 'test-download');
  });

  test('with activate, a download under another name is also put at MODEL_PATH', async () => {
    const modelsDir = join(dir, 'other-name');
    const activePath = join(modelsDir, 'active.onnx');
    const result = await fetchPretrainedModel({ modelsDir, descriptor, activePath, activate: true });
    assert.deepEqual({ active: result.active, activated: result.activated }, { active: true, activated: true });
    assert.deepEqual(await readFile(activePath), Buffer.from(modelBytes));
    assert.equal((await readManifest(activePath)).sha256, descriptor.sha256);
  });

  test('--from with another --sha256 imports the file: a classifier is cut at its pooled features', async () => {
    const classifier = generateModel({ arch: 'tiny', seed: 12, head: 'classifier' });
    const mirror = await serve(classifier);
    try {
      const modelsDir = join(dir, 'from');
      const outcome = await fetchFrom({ url: mirror.url, sha256: sha256(classifier).toUpperCase(), modelsDir, activePath: join(modelsDir, 'resnet50-imagenet.onnx') });
      if (outcome.kind !== 'imported') assert.fail(`expected an import, got ${outcome.kind}`);
      const { result } = outcome;
      assert.equal(result.modelPath, join(modelsDir, 'model.onnx'));
      assert.equal(result.manifest.source, 'download');
      assert.equal(result.manifest.url, mirror.url);
      assert.equal(result.manifest.pretrained, false, 'generated weights are never marked pretrained');
      assert.equal(result.manifest.importedFrom?.sha256, sha256(classifier));
      assert.match(result.change ?? '', /removed 3 nodes: Flatten, Gemm, Softmax/);
      assert.equal(result.active, false);
      assert.deepEqual((await readdir(modelsDir)).sort(), ['model.manifest.json', 'model.onnx']);
    } finally {
      await close(mirror.server);
    }
  });

  test('--from with a wrong --sha256 names both hashes and leaves nothing behind', async () => {
    const modelsDir = join(dir, 'from-wrong');
    const wrong = 'a'.repeat(64);
    await assert.rejects(fetchFrom({ url: served.url, sha256: wrong, modelsDir, activePath: join(modelsDir, 'resnet50-imagenet.onnx') }), (error: unknown) => {
      assert.ok(error instanceof ModelDownloadError);
      assert.equal(error.failure, 'hash-mismatch');
      assert.ok(error.message.includes(`expected sha256 ${wrong}, received ${sha256(modelBytes)}; nothing was kept`), error.message);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
    assert.deepEqual(await readdir(modelsDir), []);
  });

  test('--from must be an http(s) URL and --sha256 64 hex digits', async () => {
    const modelsDir = join(dir, 'from-bad');
    const activePath = join(modelsDir, 'resnet50-imagenet.onnx');
    await assert.rejects(fetchFrom({ url: 'file:///tmp/x.onnx', modelsDir, activePath }), /--from must be an http:\/\/ or https:\/\/ URL, got file:; for a local file use `npx shoplens model import <file>`/);
    await assert.rejects(fetchFrom({ url: served.url, sha256: 'abc', modelsDir, activePath }), /--sha256 must be 64 hex digits, got "abc"/);
    assert.equal(existsSync(modelsDir), false);
  });
});

describe('PRETRAINED_RESNET50', () => {
  test('pins an HTTPS URL and a SHA-256, and matches the default MODEL_PATH file name', () => {
    assert.match(PRETRAINED_RESNET50.url, /^https:\/\//);
    assert.match(PRETRAINED_RESNET50.sha256, /^[0-9a-f]{64}$/);
    assert.equal(PRETRAINED_RESNET50.fileName, 'resnet50-imagenet.onnx');
    assert.equal(PRETRAINED_RESNET50.dimension, 2048);
  });
});
