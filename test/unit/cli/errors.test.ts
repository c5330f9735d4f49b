/**
 * How failures are worded and which exit code they get: typed errors by `instanceof`, real
 * operating-system errors (a write to /dev/full is a genuine ENOSPC), and the PostgreSQL error
 * codes for a server without pgvector.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import pg from 'pg';
import { ConfigError } from '../../../src/config/index.ts';
import { describeFailure, InterruptedError, UsageError } from '../../../src/cli/errors.ts';
import { ImportError } from '../../../src/core/catalog/import-report.ts';
import { catalogModelMismatch, ModelMismatchError as CoreModelMismatchError } from '../../../src/core/errors.ts';
import { DataDirAccessError } from '../../../src/db/data-dir-lock.ts';
import { DatabaseUnavailableError } from '../../../src/db/database.ts';
import { DatabaseSetupError, explainSetupFailure } from '../../../src/db/open.ts';
import { ModelMismatchError, OperationalError } from '../../../src/domain/errors.ts';
import { ModelMismatchError as BackboneModelMismatchError, ModelMissingError } from '../../../src/ml/backbone.ts';

async function realError(write: () => Promise<unknown>): Promise<NodeJS.ErrnoException> {
  try {
    await write();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected the write to fail');
}

describe('CLI failure descriptions', () => {
  it('gives every operational failure exit code 2 and its message as one line', () => {
    const failures = [
      new UsageError('--top must be a whole number from 1 to 100, got "0"'),
      new ImportError('photos: no images found'),
      new ModelMissingError('/models/x.onnx'),
      new DatabaseUnavailableError('postgres://db', { cause: new Error('connect ECONNREFUSED') }),
      catalogModelMismatch('tiny@1', new Map([['tiny@2', 3]])),
    ];
    for (const error of failures) {
      assert.ok(error instanceof OperationalError, error.name);
      const failure = describeFailure(error);
      assert.equal(failure.exitCode, 2, error.name);
      assert.equal(failure.unexpected, false);
      assert.doesNotMatch(failure.message, /\n/);
    }
  });

  it('has one ModelMismatchError class, whatever module it is imported from', () => {
    assert.equal(CoreModelMismatchError, ModelMismatchError);
    assert.equal(BackboneModelMismatchError, ModelMismatchError);
    const catalog = catalogModelMismatch('tiny@1', new Map([['tiny@2', 3]]));
    assert.equal(catalog.kind, 'catalog');
    assert.match(catalog.message, /^The catalog: it has images embedded by another model \(3 by tiny@2\), but the loaded model is tiny@1: run `npx shoplens reindex`/);
  });

  it('puts every bad variable on one line', () => {
    const failure = describeFailure(new ConfigError(['LOG_LEVEL: bad', 'SEARCH_TOP_K: bad']));
    assert.deepEqual(failure, { message: 'Invalid configuration: LOG_LEVEL: bad; SEARCH_TOP_K: bad (see .env.example)', exitCode: 2, unexpected: false });
  });

  it('turns a full disk into the cause and the fix', async () => {
    const enospc = await realError(() => writeFile('/dev/full', 'x'));
    assert.equal(enospc.code, 'ENOSPC');
    const failure = describeFailure(enospc);
    assert.equal(failure.exitCode, 2);
    assert.match(failure.message, /^the disk is full( \(.*\))?: free some space and run the command again/);
    assert.match(describeFailure(new DataDirAccessError('/data', enospc)).message, /^Cannot use DATA_DIR \/data: the disk is full/);
  });

  it('gives signals their conventional exit codes', () => {
    assert.equal(describeFailure(new InterruptedError('SIGINT')).exitCode, 130);
    assert.equal(describeFailure(new InterruptedError('SIGTERM')).exitCode, 143);
  });

  it('reports anything else as an unexpected error, still on one line, exit 3', () => {
    const failure = describeFailure(new TypeError('cannot read properties of undefined\n  (reading "x")'));
    assert.equal(failure.exitCode, 3);
    assert.equal(failure.unexpected, true);
    assert.match(failure.message, /^cannot read properties of undefined \(reading "x"\) \(unexpected error: run again with --verbose/);
  });
});

describe('database set-up failures', () => {
  const server = { engine: 'postgres' as const, location: 'postgres://shop@db:5432/shop', query: () => Promise.resolve({ rows: [{ version: '150008' }] as never[], rowCount: 1 }) };

  function serverError(message: string, code: string): pg.DatabaseError {
    return Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code });
  }

  it('says which package to install when the server has no pgvector', async () => {
    const explained = await explainSetupFailure(serverError('extension "vector" is not available', '0A000'), server);
    assert.ok(explained instanceof DatabaseSetupError);
    assert.equal(
      explained.message,
      'PostgreSQL at postgres://shop@db:5432/shop has no pgvector extension: install postgresql-15-pgvector or build it from source, then restart the server (see README "Database")',
    );
    const older = await explainSetupFailure(serverError('could not open extension control file "/usr/share/postgresql/13/extension/vector.control": No such file or directory', '58P01'), server);
    assert.ok(older instanceof DatabaseSetupError);
  });

  it('says to enable pgvector as a superuser when this user may not', async () => {
    const explained = await explainSetupFailure(serverError('permission denied to create extension "vector"', '42501'), server);
    assert.ok(explained instanceof DatabaseSetupError);
    assert.match(explained.message, /may not enable the pgvector extension: run `CREATE EXTENSION vector;` once as a superuser/);
  });

  it('leaves other SQL errors alone (they are bugs, not set-up problems)', async () => {
    const error = serverError('syntax error at or near "SELEC"', '42601');
    assert.equal(await explainSetupFailure(error, server), error);
  });
});
