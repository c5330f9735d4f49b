/**
 * `backup [file]` and `restore <file>` for the embedded database, stored photos and category heads
 * (src/core/backup). `backup` runs through the assistant, so it can be carried to a running one;
 * `restore` must not: it refuses while the database is open anywhere.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { BackupError, restoreBackup, stamp } from '../../core/backup/backup-service.ts';
import type { CliContext } from '../context.ts';

type Runner = (json: boolean, action: (context: CliContext) => Promise<number>) => Promise<void>;

export function registerBackup(program: Command, run: Runner): void {
  program
    .command('backup [file]')
    .description('write a consistent backup of the embedded database, photos and category heads (default: BACKUP_DIR/shoplens-<date>-<time>.tar.gz)')
    .option('--json', 'print one JSON object', false)
    .action(async (file: string | undefined, options: { json: boolean }) => {
      await run(options.json, async (context) => {
        const target = file ?? path.join(context.config.backup.dir, `shoplens-${stamp(new Date())}.tar.gz`);
        const report = await (await context.assistant()).backups.create(target);
        context.output.record({ file: report.file, bytes: report.bytes, products: report.products, images: report.images, heads: report.heads });
        context.output.line(`backup written to ${report.file} (${(report.bytes / 1024 / 1024).toFixed(1)} MB: ${report.products} products, ${report.images} images, ${report.heads} heads)`);
        return 0;
      });
    });

  program
    .command('restore <file>')
    .description('replace the embedded database (and add the photos and heads) with a backup; ShopLens must not be running')
    .option('--json', 'print one JSON object', false)
    .action(async (file: string, options: { json: boolean }) => {
      await run(options.json, async (context) => {
        if (context.config.database.url) {
          throw new BackupError('`restore` restores the embedded database; with DATABASE_URL restore the server with pg_restore (README "Backups").');
        }
        const report = await restoreBackup({ file, dataDir: context.config.dataDir, modelsDir: path.dirname(context.config.model.path) });
        context.output.record({ ...report });
        context.output.line(`restored the backup of ${report.createdAt}: ${report.products} products, ${report.images} images, ${report.heads} heads`);
        if (report.previous) context.output.line(`the replaced database was kept in ${report.previous} (delete it once you are happy)`);
        return 0;
      });
    });
}
