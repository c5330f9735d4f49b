/**
 * The CLI's error contract, one real process per case: an operational failure prints exactly one
 * line naming the cause and the fix, exits 2, and shows no stack trace unless `--verbose` asks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openPostgres } from '../../src/db/engines/postgres.ts';
import { writeGeneratedModel } from '../../src/ml/model-generator/index.ts';
import { writeProductPhoto } from '../helpers/images.ts';
import { CLI, runCli } from '../helpers/processes.ts';

let work: string;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { DATA_DIR: path.join(work, 'data'), MODEL_PATH: path.join(work, 'tiny.onnx'), LOG_LEVEL: 'warn', ...extra };
}

/** Runs the CLI and checks the contract: `code`, and stderr is exactly one `Error: …` line matching `message`. */
async function expectFailure(args: string[], code: number, message: RegExp, extraEnv: Record<string, string> = {}): Promise<string> {
  const run = await runCli(args, { cwd: work, env: env(extraEnv) });
  assert.equal(run.code, code, `exit code of ${args.join(' ')}:\n${run.stderr}`);
  const lines = run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('Warning: the backbone'));
  assert.equal(lines.length, 1, `one line for ${args.join(' ')}, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^Error: /);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  return lines[0]!;
}

describe('CLI error contract', () => {
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'shoplens-errors-'));
    await chmod(work, 0o755);
    await writeGeneratedModel({ arch: 'tiny', seed: 9, out: path.join(work, 'tiny.onnx') });
    await writeProductPhoto(path.join(work, 'catalog', 'shirts', 'shirt-1.jpg'), 1);
    await mkdir(path.join(work, 'empty', 'nothing'), { recursive: true });
  });
  after(async () => rm(work, { recursive: true, force: true }));

  it('rejects bad flags before doing anything, naming the flag and what it accepts', async () => {
    await expectFailure(['import', 'catalog', '--stock', 'abc'], 2, /--stock: stock must be a whole number.*, got "abc"/);
    await expectFailure(['import', 'catalog', '--price', 'cheap', '--currency', 'XYZ'], 2, /--price: price must be .*; --currency: unknown currency "XYZ"/);
    await expectFailure(['search', 'catalog', '--top', '0'], 2, /--top must be a whole number from 1 to 100, got "0"/);
    await expectFailure(['train', '--recipe', 'fancy'], 2, /--recipe must be thesis or best, got "fancy"/);
    await expectFailure(['stats', '--colour'], 2, /unknown option '--colour' \(see --help\)/);
    await expectFailure(['import'], 2, /missing required argument 'path'/);
  });

  it('treats a folder without images the same in every command (exit 2)', async () => {
    await expectFailure(['import', 'empty'], 2, /empty: no images found/);
    await expectFailure(['search', 'empty'], 2, /empty: no images found/);
    await expectFailure(['classify', 'empty'], 2, /empty: no images found/);
  });

  it('lists every bad variable on one line', async () => {
    await expectFailure(['stats'], 2, /^Error: Invalid configuration: (?=.*SEARCH_TOP_K: )(?=.*; )(?=.*VECTOR_INDEX: ).*\(see \.env\.example\)$/, { SEARCH_TOP_K: 'many', VECTOR_INDEX: 'fast' });
  });

  it('says how to get a missing model, and shows the stack trace only with --verbose', async () => {
    const missing = { MODEL_PATH: path.join(work, 'missing.onnx') };
    await expectFailure(['search', 'catalog'], 2, /Model file not found: .*missing\.onnx\. `npx shoplens model fetch`/, missing);
    const verbose = await runCli(['search', 'catalog', '--verbose'], { cwd: work, env: env(missing) });
    assert.equal(verbose.code, 2);
    assert.match(verbose.stderr, /^\s+at /m);
    const debug = await runCli(['search', 'catalog'], { cwd: work, env: env({ ...missing, LOG_LEVEL: 'debug' }) });
    assert.match(debug.stderr, /^\s+at /m);
  });

  it('reports an unreachable database server with the fix', async () => {
    await expectFailure(['stats'], 2, /Database at postgres:\/\/shoplens:\*\*\*@127\.0\.0\.1:1\/nowhere is unavailable \(.*\): start the PostgreSQL server or correct DATABASE_URL/, {
      DATABASE_URL: 'postgres://shoplens:secret@127.0.0.1:1/nowhere',
    });
  });

  it('reports an error record on stdout with --json', async () => {
    const run = await runCli(['search', 'empty', '--json'], { cwd: work, env: env() });
    assert.equal(run.code, 2);
    const record = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(record).sort(), ['error', 'exitCode']);
    assert.equal(record.exitCode, 2);
    assert.match(String(record.error), /no images found/);
  });

  it('names a DATA_DIR this user may not write, and how to fix it', async (t) => {
    const readOnly = path.join(work, 'read-only');
    await mkdir(readOnly, { recursive: true });
    await chmod(readOnly, 0o555);
    const dataDir = path.join(readOnly, 'data');
    // root may write anywhere: drop to nobody for this one command when running as root (CI).
    const asRoot = process.getuid?.() === 0;
    if (asRoot && spawnSync('setpriv', ['--version']).status !== 0) return t.skip('running as root without setpriv: cannot make a folder unwritable');
    const command = asRoot ? 'setpriv' : process.execPath;
    const args = [...(asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : []), CLI, 'stats'];
    const run = spawnSync(command, args, { cwd: work, env: { PATH: process.env.PATH, ...env({ DATA_DIR: dataDir }) }, encoding: 'utf8' });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^Error: Cannot use DATA_DIR .*read-only\/data: permission denied \(.*\): make it writable for this user, or set DATA_DIR to a folder you own\n$/);
  });

  it('says what to install or run when the PostgreSQL database has no pgvector', async (t) => {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) return t.skip('TEST_DATABASE_URL is not set: no real PostgreSQL to test against (.ci/run sets it up)');
    const admin = await openPostgres({ url, maxConnections: 1 });
    try {
      const { rows } = await admin.query<{ rolcreatedb: boolean; rolsuper: boolean }>('SELECT rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user');
      if (!rows[0]?.rolcreatedb) return t.skip('the test role may not create databases (CREATEDB): cannot make one without pgvector');
      if (rows[0].rolsuper) return t.skip('the test role is a superuser, so it can always enable pgvector: nothing to refuse');
      const name = `shoplens_novector_${randomBytes(4).toString('hex')}`;
      await admin.exec(`CREATE DATABASE ${name}`);
      try {
        const target = new URL(url);
        target.pathname = `/${name}`;
        const line = await expectFailure(['stats'], 2, /pgvector/, { DATABASE_URL: target.toString() });
        assert.match(line, new RegExp(`PostgreSQL at .*/${name}: this user may not enable the pgvector extension: run \`CREATE EXTENSION vector;\` once as a superuser`));
      } finally {
        await admin.exec(`DROP DATABASE IF EXISTS ${name}`);
      }
    } finally {
      await admin.close();
    }
  });

  it('reports a wrong PostgreSQL password as a login problem', async (t) => {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) return t.skip('TEST_DATABASE_URL is not set: no real PostgreSQL to test against (.ci/run sets it up)');
    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    await expectFailure(['stats'], 2, /PostgreSQL at .* refused the login \(.*\): correct the user or password in DATABASE_URL/, { DATABASE_URL: wrong.toString() });
  });
});
