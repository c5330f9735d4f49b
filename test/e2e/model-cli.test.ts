/**
 * Bringing your own backbone through the CLI, as separate processes: `model import` of a
 * classifier export, its one-line rejections, switching the shop to it and re-embedding,
 * `model list`, and `model fetch --from` with a wrong hash.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import { generateModel } from '../../src/ml/model-generator/index.ts';
import { OnnxGraphBuilder } from '../../src/ml/model-generator/onnx-graph-builder.ts';
import { SeededRandom } from '../../src/ml/model-generator/seeded-random.ts';
import { buildTiny } from '../../src/ml/model-generator/tiny.ts';
import { writeProductPhoto } from '../helpers/images.ts';
import { runCli } from '../helpers/processes.ts';

const { onnx } = onnxProto;

let work: string;
let modelsDir: string;
let activePath: string;

function shoplens(args: string[]) {
  return runCli(args, { cwd: work, env: { DATA_DIR: path.join(work, 'data'), MODEL_PATH: activePath, LOG_LEVEL: 'warn' } });
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Exit 2, exactly one `Error:` line naming the file and matching `pattern`, and no stack trace. */
function assertOneLineRefusal(run: Awaited<ReturnType<typeof runCli>>, file: string, pattern: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  const errors = run.stderr.split('\n').filter((line) => line.startsWith('Error: '));
  assert.equal(errors.length, 1, run.stderr);
  assert.ok(errors[0]!.includes(file), errors[0]);
  assert.match(errors[0]!, pattern);
  assert.ok(!run.stderr.includes('    at '), `stack trace printed:\n${run.stderr}`);
}

async function listing(): Promise<string[]> {
  return (await readdir(modelsDir)).sort();
}

describe('shoplens model import / list / fetch --from', () => {
  let classifier: Uint8Array;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-model-cli-'));
    modelsDir = path.join(work, 'models');
    activePath = path.join(modelsDir, 'resnet50-imagenet.onnx');
    for (const seed of [1, 2, 3, 4]) await writeProductPhoto(path.join(work, 'catalog', 'shirts', `item-${seed}.jpg`), seed);
    const exported = await shoplens(['model', 'generate', '--arch', 'tiny', '--seed', '9', '--classifier', '--out', 'classifier.onnx']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /generated tiny classifier, random weights: make it a backbone with `npx shoplens model import .*classifier\.onnx`/);
    classifier = await readFile(path.join(work, 'classifier.onnx'));
    assert.deepEqual(classifier, Buffer.from(generateModel({ arch: 'tiny', seed: 9, head: 'classifier' })));
    const generated = await shoplens(['model', 'generate', '--arch', 'tiny', '--seed', '7', '--out', activePath]);
    assert.equal(generated.code, 0, generated.stderr);
    const imported = await shoplens(['import', 'catalog', '--json']);
    assert.equal(imported.code, 0, imported.stderr);
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('rejects unusable files with one line and exit code 2, leaving the models directory alone', async () => {
    const before = await listing();
    const wrongShape = onnx.ModelProto.decode(classifier);
    wrongShape.graph!.input![0]!.type!.tensorType!.shape!.dim = [{ dimParam: 'batch' }, { dimValue: 224 }, { dimValue: 224 }, { dimValue: 3 }];
    // The tiny net with a 512-wide pool, like a ResNet-18/34.
    const builder = new OnnxGraphBuilder();
    buildTiny({ builder, random: new SeededRandom(1) }, 'input', 'features', 512);
    const narrow = builder.build([{ name: 'input', shape: ['batch', 3, 224, 224] }], [{ name: 'features', shape: ['batch', 512] }], {
      producerName: 'test', producerVersion: '1', irVersion: 7, opsetVersion: 13, graphName: 'narrow',
    });
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['nhwc.onnx', onnx.ModelProto.encode(wrongShape).finish(), /input "input" is \[batch, 224, 224, 3\] float32, but a backbone takes .*NCHW.*channels-last/],
      ['notes.onnx', Buffer.from('this is not a model\n'), /is not an ONNX model \(no graph in it\); give an \.onnx file/],
      ['half.onnx', classifier.subarray(0, 20_000), /is truncated or corrupt \(.*\); copy or download the \.onnx file again/],
      ['narrow.onnx', narrow, /has no 2,048-channel global average pool \(found GlobalAveragePool "avgpool" → \[1, 512, 1, 1\]\)/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const file = path.join(work, name);
      await writeFile(file, bytes);
      assertOneLineRefusal(await shoplens(['model', 'import', file]), file, pattern);
    }
    const json = await shoplens(['model', 'import', path.join(work, 'notes.onnx'), '--json']);
    assert.equal(json.code, 2);
    assert.match(String(jsonLines(json.stdout)[0]!.error), /is not an ONNX model/);
    assert.deepEqual(await listing(), before);
  });

  it('imports a classifier without touching MODEL_PATH, then --activate switches the shop after reindex', async () => {
    const activeBefore = await readFile(activePath);
    const imported = await shoplens(['model', 'import', path.join(work, 'classifier.onnx'), '--id', 'thesis', '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    const record = jsonLines(imported.stdout)[0]!;
    assert.equal(record.path, path.join(modelsDir, 'thesis.onnx'));
    assert.match(String(record.backboneModelId), /^thesis@[0-9a-f]{12}$/);
    assert.deepEqual([record.active, record.activated, record.outputName, record.dimension], [false, false, 'embedding', 2048]);
    assert.match(String(record.change), /cut after GlobalAveragePool "avgpool"/);
    assert.deepEqual(await readFile(activePath), activeBefore, 'MODEL_PATH is untouched without --activate');

    const human = await shoplens(['model', 'import', path.join(work, 'classifier.onnx'), '--id', 'thesis', '--activate']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /the previous backbone is kept at .*generated-tiny-seed7\.onnx/);
    assert.match(human.stdout, /is now the active backbone: run `npx shoplens reindex`/);
    assert.match(human.stderr, /NOT pretrained/);

    const query = path.join(work, 'catalog', 'shirts', 'item-3.jpg');
    const refused = await shoplens(['search', query]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /embedded by another model .*npx shoplens reindex/);
    const reindexed = await shoplens(['reindex', '--json']);
    assert.equal(reindexed.code, 0, reindexed.stderr);
    assert.deepEqual(jsonLines(reindexed.stdout)[0], { total: 4, reembedded: 4, failed: 0, problems: [], backboneModelId: record.backboneModelId });
    const stats = await shoplens(['stats', '--json']);
    assert.equal(jsonLines(stats.stdout)[0]!.backboneModelId, record.backboneModelId);
    const search = await shoplens(['search', query, '--json']);
    assert.equal(search.code, 0, search.stderr);
    assert.equal((jsonLines(search.stdout)[0]!.results as Array<{ sku: string }>)[0]!.sku, 'item-3');
  });

  it('lists backbones (active first, pretrained or not) and category heads', async () => {
    const run = await shoplens(['model', 'list', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const backbones = jsonLines(run.stdout).filter((record) => record.kind === 'backbone');
    assert.deepEqual(
      backbones.map((backbone) => [backbone.id, backbone.active, backbone.pretrained, (backbone.files as string[]).map((file) => path.basename(file))]),
      [['thesis', true, false, ['resnet50-imagenet.onnx', 'thesis.onnx']], ['generated-tiny-seed7', false, false, ['generated-tiny-seed7.onnx']]],
    );
    const human = await shoplens(['model', 'list']);
    assert.match(human.stdout, /^\* thesis@[0-9a-f]{12} {2}NOT pretrained {2}import {2}resnet50-imagenet\.onnx, thesis\.onnx$/m);
    assert.match(human.stdout, /^category heads \(\* = active\):\n {2}none yet: run `npx shoplens train`$/m);

    const back = await shoplens(['model', 'activate', 'generated-tiny-seed7', '--json']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(jsonLines(back.stdout)[0], {
      id: 'generated-tiny-seed7', backboneModelId: backbones[1]!.backboneModelId, pretrained: false, activated: true, previousKeptAt: path.join(modelsDir, 'thesis.onnx'),
    });
    const after = jsonLines((await shoplens(['model', 'list', '--json'])).stdout).filter((record) => record.kind === 'backbone');
    assert.deepEqual(after.map((backbone) => [backbone.id, backbone.active]), [['generated-tiny-seed7', true], ['thesis', false]]);
    assertOneLineRefusal(await shoplens(['model', 'activate', 'nope']), 'nope', /^Error: No backbone "nope" in .*; see `npx shoplens model list`$/);
  });

  it('fetch --from with a wrong --sha256 says both hashes and leaves nothing behind', async () => {
    const served = await serveOnce(classifier);
    try {
      const before = await listing();
      const wrong = '0'.repeat(64);
      const run = await shoplens(['model', 'fetch', '--from', served.url, '--sha256', wrong]);
      const received = createHash('sha256').update(classifier).digest('hex');
      assertOneLineRefusal(run, served.url, new RegExp(`not the expected file: expected sha256 ${wrong}, received ${received}; nothing was kept`));
      assert.deepEqual(await listing(), before);
    } finally {
      await new Promise<void>((resolve) => served.server.close(() => resolve()));
    }
  });
});

async function serveOnce(body: Uint8Array): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/resnet50-v1-12.onnx` };
}
