/**
 * Automatic backups while the assistant runs: on `BACKUP_CRON` (daily by default) a backup goes
 * to `BACKUP_DIR` as `shoplens-<date>-<time>.tar.gz`, and all but the newest `BACKUP_KEEP` of
 * those files are deleted. Every outcome is handed to `onResult` / `onError` (logged by main).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import { stamp, type BackupReport, type BackupService } from './backup-service.ts';

const AUTOMATIC_NAME = /^shoplens-\d{8}-\d{6}\.tar\.gz$/;

export interface BackupScheduleOptions {
  readonly service: Pick<BackupService, 'create'>;
  readonly dir: string;
  readonly keep: number;
  readonly onResult?: (report: BackupReport & { readonly deleted: readonly string[] }) => void;
  readonly onError?: (error: unknown) => void;
}

export class BackupSchedule {
  private task: ScheduledTask | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: BackupScheduleOptions) {}

  /** @throws {Error} for an invalid cron expression. */
  start(expression: string): void {
    if (!cron.validate(expression)) throw new Error(`BACKUP_CRON "${expression}" is not a valid cron expression.`);
    this.task = cron.schedule(expression, () => this.tick(), { noOverlap: true });
  }

  /** Stops the schedule; a backup being written is left to finish (its archive appears atomically or not at all). */
  async stop(): Promise<void> {
    await this.task?.stop();
    this.task = undefined;
  }

  /** Makes one automatic backup now and prunes old ones. */
  async runOnce(now = new Date()): Promise<BackupReport & { readonly deleted: readonly string[] }> {
    const report = await this.options.service.create(path.join(this.options.dir, `shoplens-${stamp(now)}.tar.gz`));
    return { ...report, deleted: await this.prune() };
  }

  private tick(): Promise<void> {
    this.running ??= this.runOnce()
      .then((report) => this.options.onResult?.(report), (error: unknown) => this.options.onError?.(error))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Deletes automatic backups beyond the newest `keep`; files of other names are never touched. */
  private async prune(): Promise<string[]> {
    const names = (await readdir(this.options.dir)).filter((name) => AUTOMATIC_NAME.test(name)).sort();
    const old = names.slice(0, Math.max(0, names.length - this.options.keep));
    await Promise.all(old.map((name) => rm(path.join(this.options.dir, name), { force: true })));
    return old;
  }
}
