import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBackbone } from '../../src/ml/ensure-backbone.ts';
import { readManifest } from '../../src/ml/manifest.ts';

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { info() {}, warn: (_: object, message?: string) => warnings.push(message ?? '') } };
}

describe('backbone bootstrap for npm start', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-backbone-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('uses the configured model file when it exists, without any download', async () => {
    const file = path.join(dir, 'present.onnx');
    await writeFile(file, 'x');
    const { logger, warnings } = recordingLogger();
    const offline = () => Promise.reject(new Error('must not be called'));
    const choice = await ensureBackbone(file, logger, offline);
    assert.deepEqual(choice, { kind: 'configured', path: file });
    assert.deepEqual(warnings, []);
  });

  it('offline, falls back to a generated ResNet-50 and says loudly that matches are not meaningful', async () => {
    const { logger, warnings } = recordingLogger();
    const offline = () => Promise.reject(new TypeError('fetch failed: getaddrinfo ENOTFOUND'));
    const choice = await ensureBackbone(path.join(dir, 'models', 'resnet50-imagenet.onnx'), logger, offline);
    assert.equal(choice.kind, 'generated-fallback');
    assert.equal(choice.path, path.join(dir, 'models', 'generated-resnet50-seed42.onnx'));
    await access(choice.path);
    const manifest = await readManifest(choice.path);
    assert.equal(manifest.pretrained, false);
    assert.equal(manifest.arch, 'resnet50');
    assert.match(warnings.join('\n'), /NOT meaningful.*npx shoplens model fetch/);
    if (choice.kind === 'generated-fallback') assert.match(choice.reason, /ENOTFOUND|fetch failed/);
  });
});
