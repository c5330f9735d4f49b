/**
 * Ctrl-C during `train`, as a real process: the run stops, the database closes, the exit code is
 * 130, no head is stored or activated, the run is recorded as failed, and the next command works.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import sharp from 'sharp';
import { productSvg } from '../helpers/images.ts';
import { CLI, runCli, start, stop, type Started } from '../helpers/processes.ts';

let work: string;

function env(): Record<string, string> {
  return { DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'warn', TRAIN_MIN_IMAGES_PER_CATEGORY: '2' };
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function folder(category: string): Promise<string> {
  const dir = path.join(work, 'catalog', category);
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('stopping a training', () => {
  let training: Started | undefined;
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-train-stop-'));
    await writeGeneratedModel({ arch: 'tiny', seed: 17, out: path.join(work, 'tiny.onnx') });
    // Big, distinct PNGs (no JPEG shrink-on-load): feature extraction takes long enough to be interrupted.
    for (const [category, seeds] of Object.entries({ cups: [1, 2, 3, 4, 5, 6], lamps: [7, 8, 9, 10, 11, 12] })) {
      for (const seed of seeds) {
        await sharp(Buffer.from(productSvg(seed, 2400, 1800))).png({ compressionLevel: 1 }).toFile(path.join(await folder(category), `${category}-${seed}.png`));
      }
    }
  });
  after(async () => {
    await stop(training);
    await rm(work, { recursive: true, force: true });
  });

  it('stops on SIGINT with exit 130, keeps the active head unchanged and records the run as failed', async () => {
    const imported = await runCli(['import', 'catalog'], { cwd: work, env: env() });
    assert.equal(imported.code, 0, imported.stderr);
    training = start([CLI, 'train', '--recipe', 'thesis', '--epochs', '1000'], { cwd: work, env: env() });
    await training.waitFor(/^features: [1-9]\d*\//m, 300_000);
    training.child.kill('SIGINT');
    assert.equal(await training.exited(), 130, training.stderr());
    assert.match(training.stderr(), /SIGINT: stopping after the current item/);
    assert.match(training.stderr(), /^Error: interrupted by SIGINT/m);
    assert.doesNotMatch(training.stderr(), /^\s+at /m);
    const heads = await runCli(['model', 'list', '--json'], { cwd: work, env: env() });
    assert.equal(heads.code, 0, heads.stderr);
    assert.deepEqual(jsonLines(heads.stdout).filter((record) => record.kind === 'head'), []);
    const stats = await runCli(['stats', '--json'], { cwd: work, env: env() });
    assert.equal(stats.code, 0, stats.stderr);
    const figures = jsonLines(stats.stdout)[0]!;
    assert.equal(figures.classifier, null);
    assert.equal((figures.lastTraining as { status: string }).status, 'failed');
  });
});
