/**
 * `backup [file]` and `restore <file>` for the embedded database, stored photos and category heads
 * (src/core/backup). `backup` is a catalog command, so with the assistant running it is written
 * by the assistant itself; `restore` replaces the database, so it runs here only, holding the
 * data directory's lock for the whole restore, and refuses while the assistant runs.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { BackupError, restoreBackup, stamp } from '../../core/backup/backup-service.ts';
import { acquireDataDirLock, describeHolder } from '../../core/data-dir.ts';
import { OperationalError } from '../../domain/errors.ts';
import { localCommand, type CommandContext, type CommandRunner, type CommandSpec } from '../context.ts';

/** `file`: absolute path of the archive to write; absent = BACKUP_DIR/shoplens-<date>-<time>.tar.gz. */
const backupRequest = z.object({ file: z.string().refine((file) => path.isAbsolute(file), 'must be an absolute path').optional() });

export const backupCommand: CommandSpec<z.infer<typeof backupRequest>> = {
  name: 'backup',
  scope: 'catalog',
  requestSchema: backupRequest,
  execute: writeBackup,
};

export function registerBackup(program: Command, runner: CommandRunner): void {
  program
    .command('backup [file]')
    .description('write a consistent backup of the embedded database, photos and category heads (default: BACKUP_DIR/shoplens-<date>-<time>.tar.gz)')
    .option('--json', 'print one JSON object', false)
    .action(async (file: string | undefined, options: { json: boolean }) => {
      await runner.run(backupCommand, options, () => (file === undefined ? {} : { file: path.resolve(file) }));
    });

  program
    .command('restore <file>')
    .description('replace the embedded database (and add the photos and heads) with a backup; ShopLens must not be running')
    .option('--json', 'print one JSON object', false)
    .action(async (file: string, options: { json: boolean }) => {
      await runner.run(localCommand('restore', (context) => restore(context, path.resolve(file))), options, () => ({}));
    });
}

async function writeBackup(context: CommandContext, request: z.infer<typeof backupRequest>): Promise<number> {
  const target = request.file ?? path.join(context.config.backup.dir, `shoplens-${stamp(new Date())}.tar.gz`);
  const report = await (await context.assistant()).backups.create(target);
  context.output.record({ file: report.file, bytes: report.bytes, products: report.products, images: report.images, heads: report.heads });
  context.output.line(`backup written to ${report.file} (${(report.bytes / 1024 / 1024).toFixed(1)} MB: ${report.products} products, ${report.images} images, ${report.heads} heads)`);
  return 0;
}

async function restore(context: CommandContext, file: string): Promise<number> {
  const { config, output } = context;
  if (config.database.url) {
    throw new BackupError('`restore` restores the embedded database; with DATABASE_URL restore the server with pg_restore (README "Backups").');
  }
  // Nobody may open the database while it is replaced: hold the data directory for the whole restore.
  const lock = await acquireDataDirLock(config.dataDir, {
    role: 'command',
    command: 'restore',
    timeoutMs: config.database.lockTimeoutSeconds * 1000,
    signal: context.signal,
    onWait: (holder) => {
      if (holder?.role === 'assistant') {
        throw new OperationalError(`${describeHolder(holder)} uses DATA_DIR ${config.dataDir}: stop it (Ctrl-C on npm start), then run restore again`);
      }
      output.warn(`waiting for ${describeHolder(holder)} to finish… (up to ${config.database.lockTimeoutSeconds} s, LOCK_TIMEOUT_SECONDS)`);
    },
  });
  try {
    const report = await restoreBackup({ file, dataDir: config.dataDir, modelsDir: path.dirname(config.model.path) });
    output.record({ ...report });
    output.line(`restored the backup of ${report.createdAt}: ${report.products} products, ${report.images} images, ${report.heads} heads`);
    if (report.previous) output.line(`the replaced database was kept in ${report.previous} (delete it once you are happy)`);
    return 0;
  } finally {
    await lock.release();
  }
}
