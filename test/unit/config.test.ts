import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('config', () => {
  it('has working defaults: embedded database, CPU, centre crop', () => {
    const config = loadConfig({}, '/srv/shop');
    assert.equal(config.database.url, undefined);
    assert.equal(config.dataDir, '/srv/shop/data');
    assert.equal(config.model.path, '/srv/shop/models/resnet50-imagenet.onnx');
    assert.equal(config.model.device, 'cpu');
    assert.equal(config.model.preprocessMode, 'center-crop');
    assert.deepEqual(config.telegram.adminIds, []);
    assert.equal(config.unmetDemand.retentionDays, 30);
  });

  it('treats empty values as unset and parses lists and numbers', () => {
    const config = loadConfig({ DATABASE_URL: '', ADMIN_IDS: '12, 34 56', SEARCH_TOP_K: '7', RETRAIN_ENABLED: 'false' }, '/x');
    assert.equal(config.database.url, undefined);
    assert.deepEqual(config.telegram.adminIds, [12, 34, 56]);
    assert.equal(config.search.topK, 7);
    assert.equal(config.training.enabled, false);
  });

  it('lists every bad variable at once', () => {
    assert.throws(
      () => loadConfig({ ML_DEVICE: 'tpu', SEARCH_TOP_K: '0', DATABASE_URL: 'mysql://x', ADMIN_IDS: 'owner', TELEGRAM_BOT_TOKEN: 'nope' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const variables = error.problems.map((problem) => problem.split(':')[0]).sort();
        assert.deepEqual(variables, ['ADMIN_IDS', 'DATABASE_URL', 'ML_DEVICE', 'SEARCH_TOP_K', 'TELEGRAM_BOT_TOKEN']);
        assert.match(error.message, /ADMIN_IDS: not numeric Telegram user ids: owner/);
        return true;
      },
    );
  });

  it('documents every variable in .env.example, and .env.example is valid', () => {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const documented = new Map(
      example.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const source = readFileSync(path.join(ROOT, 'src/config/index.ts'), 'utf8');
    const schemaBlock = source.slice(source.indexOf('const environmentSchema'), source.indexOf('type Environment'));
    const declared = [...schemaBlock.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]!);
    assert.ok(declared.length > 20);
    assert.deepEqual(declared.filter((name) => !documented.has(name)), []);
    assert.doesNotThrow(() => loadConfig(Object.fromEntries(documented), ROOT));
  });
});
