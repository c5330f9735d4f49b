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
import { fetchPretrainedModel, ModelDownloadError } from '../../src/ml/model-fetch.ts';
import { generateModel } from '../../src/ml/model-generator/index.ts';
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
      assert.ok(error.message.includes(`its sha256 is ${descriptor.sha256}, not the expected ${'f'.repeat(64)}`), error.message);
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

describe('PRETRAINED_RESNET50', () => {
  test('pins an HTTPS URL and a SHA-256, and matches the default MODEL_PATH file name', () => {
    assert.match(PRETRAINED_RESNET50.url, /^https:\/\//);
    assert.match(PRETRAINED_RESNET50.sha256, /^[0-9a-f]{64}$/);
    assert.equal(PRETRAINED_RESNET50.fileName, 'resnet50-imagenet.onnx');
    assert.equal(PRETRAINED_RESNET50.dimension, 2048);
  });
});
