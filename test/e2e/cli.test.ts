/**
 * The CLI end to end, as an owner uses it: a generated backbone, generated product photos,
 * `import`, `search`, `stats`, `reindex` and every bad-input case, each as a real process.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { CUSTOMER_TRANSFORMS, writeProductPhoto } from '../helpers/images.ts';
import { runCli } from '../helpers/processes.ts';


let work: string;

function shoplens(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { cwd: work, env: { DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'warn', ...env } });
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

const CATEGORIES = { dresses: [1, 2, 3], shirts: [4, 5, 6], shoes: [7, 8, 9] };

describe('shoplens CLI', () => {
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-cli-'));
    for (const [category, seeds] of Object.entries(CATEGORIES)) {
      for (const seed of seeds) await writeProductPhoto(path.join(work, 'catalog', category, `item-${seed}.jpg`), seed);
    }
    const generated = await shoplens(['model', 'generate', '--arch', 'tiny', '--seed', '7', '--out', 'tiny.onnx', '--json']);
    assert.equal(generated.code, 0, generated.stderr);
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('refuses to run without a model and says how to get one', async () => {
    const run = await shoplens(['search', 'nothing.jpg'], { MODEL_PATH: path.join(work, 'missing.onnx') });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /missing\.onnx/);
    assert.match(run.stderr, /npx shoplens model fetch/);
  });

  it('imports an ImageFolder tree, and a second import changes nothing', async () => {
    const first = await shoplens(['import', 'catalog', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(jsonLines(first.stdout).at(-1), { imported: 9, updated: 0, skipped: 0, failed: 0, problems: [], interrupted: false });
    assert.match(first.stderr, /is not marked as pretrained on ImageNet/);
    const second = await shoplens(['import', 'catalog', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(jsonLines(second.stdout).at(-1), { imported: 0, updated: 0, skipped: 9, failed: 0, problems: [], interrupted: false });
  });

  it('ranks the source product first for resized, low-quality, cropped and brightened copies of catalog photos', async () => {
    const queries = path.join(work, 'queries');
    for (const [name, transform] of Object.entries(CUSTOMER_TRANSFORMS)) {
      for (const [category, seeds] of Object.entries(CATEGORIES)) {
        for (const seed of seeds) {
          const query = path.join(queries, `${name.replace(/\W+/g, '-')}-${category}-${seed}.jpg`);
          await mkdir(path.dirname(query), { recursive: true });
          await transform(sharp(path.join(work, 'catalog', category, `item-${seed}.jpg`))).jpeg().toFile(query);
        }
      }
    }
    const run = await shoplens(['search', queries, '--top', '3', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const answers = jsonLines(run.stdout);
    assert.equal(answers.length, Object.keys(CUSTOMER_TRANSFORMS).length * 9);
    const misses: string[] = [];
    for (const answer of answers) {
      const expected = `item-${/-(\d+)\.jpg$/.exec(String(answer.query))![1]}`;
      const results = answer.results as Array<Record<string, unknown>>;
      assert.equal(results.length, 3);
      assert.deepEqual(Object.keys(results[0]!).sort(), ['category', 'currency', 'name', 'price', 'score', 'sku', 'stock', 'url']);
      assert.equal(typeof answer.latencyMs, 'number');
      if (results[0]!.sku !== expected) misses.push(`${path.basename(String(answer.query))} → ${results.map((r) => String(r.sku)).join(', ')}`);
    }
    assert.deepEqual(misses, []);
  });

  it('prints human-readable results best first', async () => {
    const run = await shoplens(['search', path.join(work, 'catalog', 'shoes', 'item-8.jpg'), '--top', '2']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[1]!, /^ {2}1\. item-8 {2}Item 8 {2}\[shoes\] {2}0\.00 USD {2}stock 1 {2}score 1\.000$/);
    assert.equal(lines.length, 3);
  });

  it('imports a catalog CSV, reporting each bad row by line and reason, and keeps the good rows', async () => {
    await writeProductPhoto(path.join(work, 'csv', 'img', 'coat.jpg'), 101);
    await writeProductPhoto(path.join(work, 'csv', 'img', 'coat-back.jpg'), 102);
    await writeProductPhoto(path.join(work, 'csv', 'img', 'hat.jpg'), 103);
    await writeProductPhoto(path.join(work, 'csv', 'img', 'sold.jpg'), 104);
    const csv = [
      'sku,name,price,currency,category,stock,images,url,description',
      'COAT-1,Wool coat,129.90,EUR,coats,4,img/coat.jpg|img/coat-back.jpg,https://shop.example/coat,Warm',
      `HAT-1,Sun hat,19.5,usd,hats,2,${path.join(work, 'csv', 'img', 'hat.jpg')},,`,
      'SOLD-1,Sold out scarf,10,USD,scarves,0,img/sold.jpg,,',
      'BAD-CUR,Thing,10,XYZ,misc,1,img/hat.jpg,,',
      'BAD-STOCK,Thing,10,USD,misc,-2,img/hat.jpg,,',
      'BAD-PRICE,Thing,ten,USD,misc,1,img/hat.jpg,,',
      'SHORT,Thing,10',
      'NOIMG,Thing,10,USD,misc,1,img/missing.jpg,,',
    ].join('\n');
    await writeFile(path.join(work, 'csv', 'catalog.csv'), csv);
    const run = await shoplens(['import', path.join(work, 'csv', 'catalog.csv'), '--json']);
    assert.equal(run.code, 1);
    const summary = jsonLines(run.stdout).at(-1)!;
    assert.equal(summary.imported, 3);
    assert.equal(summary.failed, 5);
    const problems = (summary.problems as string[]).join('\n');
    assert.match(problems, /catalog\.csv line 5 \(sku BAD-CUR\): .*unknown currency "XYZ"/);
    assert.match(problems, /line 6 \(sku BAD-STOCK\): .*stock cannot be negative/);
    assert.match(problems, /line 7 \(sku BAD-PRICE\): .*price must be/);
    assert.match(problems, /line 8 \(sku SHORT\): .*missing/);
    assert.match(problems, /img\/missing\.jpg: .*(ENOENT|cannot read)/);
    assert.match(run.stderr, /line 5 \(sku BAD-CUR\)/);
  });

  it('never returns a product that is out of stock', async () => {
    const run = await shoplens(['search', path.join(work, 'csv', 'img', 'sold.jpg'), '--top', '20', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const skus = (jsonLines(run.stdout)[0]!.results as Array<{ sku: string }>).map((result) => result.sku);
    assert.ok(!skus.includes('SOLD-1'));
    assert.ok(skus.includes('COAT-1') && skus.includes('HAT-1'));
  });

  it('stores exact prices and collapses several images of one product to its best score', async () => {
    const run = await shoplens(['search', path.join(work, 'csv', 'img', 'coat-back.jpg'), '--top', '20', '--json']);
    const results = jsonLines(run.stdout)[0]!.results as Array<{ sku: string; price: string; currency: string; score: number }>;
    assert.equal(results.filter((result) => result.sku === 'COAT-1').length, 1);
    assert.deepEqual({ ...results[0], score: undefined }, { ...results[0], sku: 'COAT-1', price: '129.90', currency: 'EUR', score: undefined });
    assert.ok(results[0]!.score > 0.999);
  });

  it('reports unusable images by file and imports the rest', async () => {
    const bad = path.join(work, 'bad', 'misc');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'empty.jpg'), Buffer.alloc(0));
    await writeFile(path.join(bad, 'notes.jpg'), 'this is not an image');
    const good = await readFile(await writeProductPhoto(path.join(bad, 'good.jpg'), 201));
    await writeFile(path.join(bad, 'truncated.jpg'), good.subarray(0, Math.floor(good.length / 2)));
    await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#808080' } }).png().toFile(path.join(bad, 'huge.png'));
    await writeFile(path.join(bad, 'readme.txt'), 'ignored');
    const run = await shoplens(['import', path.join(work, 'bad'), '--json'], { IMAGE_MAX_PIXELS: '4000000' });
    assert.equal(run.code, 1);
    const summary = jsonLines(run.stdout).at(-1)!;
    assert.equal(summary.imported, 1);
    assert.equal(summary.failed, 4);
    const problems = (summary.problems as string[]).join('\n');
    assert.match(problems, /misc\/empty\.jpg: .*empty/);
    assert.match(problems, /misc\/notes\.jpg: .*not an image/);
    assert.match(problems, /misc\/truncated\.jpg: .*(truncated|corrupt)/);
    assert.match(problems, /misc\/huge\.png: .*9\.0 MP.*4\.0 MP/);
    assert.match(problems, /misc\/readme\.txt: skipped: not a supported image type/);
  });

  it('rejects images over the byte limit', async () => {
    const run = await shoplens(['search', path.join(work, 'catalog', 'shoes', 'item-8.jpg'), '--json'], { IMAGE_MAX_BYTES: '1000' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /item-8\.jpg: .*over the .* limit/);
  });

  it('reports a folder without images as one clear line', async () => {
    await mkdir(path.join(work, 'empty', 'nothing'), { recursive: true });
    const run = await shoplens(['import', path.join(work, 'empty')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^(Warning: [^\n]*\n)?Error: .*empty: no images found[^\n]*\n$/);
  });

  it('reports catalog figures', async () => {
    const run = await shoplens(['stats', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const stats = jsonLines(run.stdout)[0]!;
    assert.equal(stats.products, 13);
    assert.equal(stats.inStock, 12);
    assert.equal(stats.images, 14);
    assert.equal(stats.pretrained, false);
    assert.match(String(stats.backboneModelId), /^generated-tiny-seed7@[0-9a-f]{12}$/);
    assert.equal(stats.searches, 39);
  });

  it('detects a backbone change, refuses to mix vectors, and reindexes', async () => {
    const other = await shoplens(['model', 'generate', '--arch', 'tiny', '--seed', '8', '--out', 'tiny8.onnx']);
    assert.equal(other.code, 0, other.stderr);
    const env = { MODEL_PATH: path.join(work, 'tiny8.onnx') };
    const refused = await shoplens(['search', path.join(work, 'catalog', 'shoes', 'item-8.jpg')], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /embedded by another model .*npx shoplens reindex/);
    const reindexed = await shoplens(['reindex', '--json'], env);
    assert.equal(reindexed.code, 0, reindexed.stderr);
    const summary = jsonLines(reindexed.stdout)[0]!;
    assert.deepEqual({ ...summary, backboneModelId: undefined }, { total: 14, reembedded: 14, failed: 0, problems: [], backboneModelId: undefined });
    assert.match(String(summary.backboneModelId), /^generated-tiny-seed8@/);
    const search = await shoplens(['search', path.join(work, 'catalog', 'shoes', 'item-8.jpg'), '--json'], env);
    assert.equal(search.code, 0, search.stderr);
    assert.equal((jsonLines(search.stdout)[0]!.results as Array<{ sku: string }>)[0]!.sku, 'item-8');
  });
});
