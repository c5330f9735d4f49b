/**
 * `npx shoplens model quantize` as separate processes, the way an owner uses it: on a shop with
 * no photos yet it says what is missing; on a catalog it calibrates on the stored photos, the
 * int8 copy becomes the active backbone, the catalog is re-embedded with it, and customers'
 * copies of catalog photos still find their product first.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { CUSTOMER_TRANSFORMS, writeProductPhoto } from '../helpers/images.ts';
import { runCli } from '../helpers/processes.ts';

const PRODUCTS = 20;
const CATEGORIES = ['shirts', 'shoes', 'bags', 'hats'];

let work: string;
let activePath: string;

function shoplens(args: string[], dataDir = path.join(work, 'data')) {
  return runCli(args, { cwd: work, env: { DATA_DIR: dataDir, MODEL_PATH: activePath, LOG_LEVEL: 'warn' } });
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('shoplens model quantize', () => {
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-quantize-cli-'));
    activePath = path.join(work, 'models', 'resnet50-imagenet.onnx');
    for (let seed = 1; seed <= PRODUCTS; seed++) {
      await writeProductPhoto(path.join(work, 'catalog', CATEGORIES[seed % CATEGORIES.length]!, `item-${seed}.jpg`), seed);
    }
    const generated = await shoplens(['model', 'generate', '--arch', 'tiny', '--seed', '7', '--out', activePath]);
    assert.equal(generated.code, 0, generated.stderr);
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('on a shop without products, says in one line that it needs photos, and writes nothing', async () => {
    const run = await shoplens(['model', 'quantize'], path.join(work, 'empty-shop'));
    assert.equal(run.code, 2, run.stderr);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('Error: '));
    assert.equal(errors.length, 1, run.stderr);
    assert.match(errors[0]!, /empty-shop\/images has 0 usable photos; int8 scales need at least 16: import more products first, or give --photos DIR/);
    assert.ok(!run.stderr.includes('    at '), run.stderr);
    assert.deepEqual((await readdir(path.dirname(activePath))).filter((name) => name.endsWith('.onnx')), ['resnet50-imagenet.onnx']);
  });

  it('calibrates on the catalog, switches the shop to the int8 copy, and customers still find their product first', async () => {
    const imported = await shoplens(['import', 'catalog', '--json']);
    assert.equal(imported.code, 0, imported.stderr);

    const quantized = await shoplens(['model', 'quantize', '--json']);
    assert.equal(quantized.code, 0, quantized.stderr);
    const record = jsonLines(quantized.stdout)[0]!;
    assert.equal(record.id, 'generated-tiny-seed7-int8');
    assert.match(String(record.sourceBackboneModelId), /^generated-tiny-seed7@[0-9a-f]{12}$/);
    assert.equal(Number(record.calibrationPhotos) + Number(record.checkPhotos), PRODUCTS);
    assert.ok(Number(record.cosineMin) >= 0.98, String(record.cosineMin));
    assert.deepEqual([record.active, record.activated, record.status], [false, false, 'imported']);

    const activated = await shoplens(['model', 'quantize', '--activate']);
    assert.equal(activated.code, 0, activated.stderr);
    assert.match(activated.stdout, /^already quantized generated-tiny-seed7@\w+ → generated-tiny-seed7-int8@\w+ at .*\(scales from 16 photos; on 4 held-out photos/m);
    assert.match(activated.stdout, /^one image here: [\d.]+ ms int8 against [\d.]+ ms float \([\d.]+×\)$/m);
    assert.match(activated.stdout, /is now the active backbone: run `npx shoplens reindex`/);

    const reindexed = await shoplens(['reindex', '--json']);
    assert.equal(reindexed.code, 0, reindexed.stderr);
    const report = jsonLines(reindexed.stdout)[0]!;
    assert.deepEqual([report.total, report.reembedded, report.failed, report.backboneModelId], [PRODUCTS, PRODUCTS, 0, record.backboneModelId]);

    const queries = path.join(work, 'queries');
    await mkdir(queries, { recursive: true });
    for (const [name, transform] of Object.entries(CUSTOMER_TRANSFORMS)) {
      for (const seed of [1, 6, 11, 16, 19]) {
        const source = path.join(work, 'catalog', CATEGORIES[seed % CATEGORIES.length]!, `item-${seed}.jpg`);
        await transform(sharp(source)).jpeg().toFile(path.join(queries, `${name.replace(/\W+/g, '-')}-${seed}.jpg`));
      }
    }
    const searched = await shoplens(['search', queries, '--top', '3', '--json']);
    assert.equal(searched.code, 0, searched.stderr);
    const misses = jsonLines(searched.stdout)
      .filter((answer) => (answer.results as Array<{ sku: string }>)[0]?.sku !== `item-${/-(\d+)\.jpg$/.exec(String(answer.query))![1]}`)
      .map((answer) => path.basename(String(answer.query)));
    assert.deepEqual(misses, []);
  });
});
