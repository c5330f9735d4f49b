/**
 * The assistant as a long-running service, once `src/main.ts` has started loading the backbone.
 * Opens (and migrates) the database, re-embeds the catalog if the backbone changed, starts the
 * web channel (always) and the configured chat channels (Telegram in the background, so an
 * unreachable Bot API holds up nothing else), and shuts down within `SHUTDOWN_TIMEOUT_SECONDS` on
 * SIGINT/SIGTERM — training is interrupted, in-flight answers get a deadline, the database closes,
 * and the process exits by the bound even if something hangs.
 */
import type { Config } from './config/index.ts';
import { Assistant } from './core/assistant.ts';
import { BackupSchedule } from './core/backup/backup-schedule.ts';
import { acquireDataDirLock, describeHolder, type DataDirLock } from './core/data-dir.ts';
import type { Logger } from './core/logger.ts';
import { TrainingAbortedError, type TrainingComponents, type TrainingResult } from './core/training/index.ts';
import { DatabaseUnavailableError } from './db/database.ts';
import { loadEmbeddingModel, type LoadedEmbeddingModel } from './ml/load-model.ts';
import { createCommandChannel } from './cli/remote/index.ts';
import { startWebChannel } from './web/index.ts';

/** Something started by `main` that must be stopped on shutdown (a channel, a scheduler). */
export interface Service {
  readonly name: string;
  /** Stops within about `timeoutMs` (in-flight work beyond it is cancelled). */
  stop(timeoutMs: number): Promise<void>;
}

/** Part of the shutdown bound kept for closing the database and the model. */
const CLOSE_RESERVE_MS = 2_500;

/** Failures a background task may raise that ShopLens recovers from by itself (see {@link installLastResort}). */
type Recoverable = (error: unknown) => boolean;

/** Wall time of each start-up phase, for the "ready" log line (phases may overlap). */
export interface StartupPhases {
  time<T>(name: string, work: () => Promise<T>): Promise<T>;
  summary(): Record<string, number>;
}

export interface RunOptions {
  /** Validated configuration, `MODEL_PATH` already resolved to the backbone that will be used. */
  readonly config: Config;
  readonly logger: Logger;
  readonly phases: StartupPhases;
  /** The backbone, loading since before this module was imported. */
  readonly modelReady: Promise<LoadedEmbeddingModel>;
}

/** Starts every service of the assistant and installs the shutdown; resolves once it is ready. */
export async function runAssistant({ config, logger, phases, modelReady }: RunOptions): Promise<void> {
  const lock = await acquireDataDirLock(config.dataDir, {
    role: 'assistant',
    command: 'npm start',
    timeoutMs: config.database.lockTimeoutSeconds * 1000,
    onWait: (holder) => logger.warn(`waiting for ${describeHolder(holder)} to finish with DATA_DIR ${config.dataDir}…`),
  });
  // The database opens while the backbone loads.
  const assistant = await phases.time('database', () => Assistant.create({ config, logger, loadModel: () => loadEmbeddingModel(config, logger), lock }));
  assistant.adoptModel(modelReady);
  const model = await assistant.model();
  logger.info({ modelId: model.modelId, pretrained: model.pretrained, provider: model.provider, database: assistant.database.engine }, 'backbone loaded');
  await phases.time('reindex check', () => reindexIfNeeded(assistant, logger));
  const training = assistant.training;
  // Heads trained on another backbone cannot classify its features; retraining replaces them.
  await training.heads.invalidateForBackbone(model.modelId);
  await phases.time('search index', () => assistant.prepareSearch());
  const recoverable: Recoverable[] = [(error) => error instanceof DatabaseUnavailableError];
  const services = await phases.time('channels', () => startServices(assistant, config, logger, training, recoverable, lock));
  const stop = installShutdown(assistant, services, logger, config.shutdownTimeoutMs, lock);
  installLastResort(logger, recoverable, stop);
  logger.info({ services: services.map((service) => service.name), startupMs: phases.summary() }, 'ShopLens is ready');
}

/** The owner never has to run `reindex` by hand: a backbone change is fixed at start-up. */
async function reindexIfNeeded(assistant: Assistant, logger: Logger): Promise<void> {
  const foreign = await assistant.foreignEmbeddings();
  if (foreign.size === 0) return;
  logger.warn({ foreign: Object.fromEntries(foreign) }, 'catalog was embedded by another backbone: re-embedding now');
  const report = await assistant.reindexer.reindex({
    onProgress: (done, total) => {
      if (done === total || done % 100 === 0) logger.info({ done, total }, 'reindexing');
    },
  });
  logger.info({ ...report, problems: report.problems.length }, 'reindex finished');
}

async function startServices(
  assistant: Assistant,
  config: Config,
  logger: Logger,
  training: TrainingComponents,
  recoverable: Recoverable[],
  lock: DataDirLock,
): Promise<Service[]> {
  const services: Service[] = [];
  const stopRetention = assistant.unmetDemand.startRetention();
  services.push({ name: 'unmet-demand-retention', stop: () => Promise.resolve(stopRetention()) });
  // Instagram's webhook is served by the web server, so the channel exists before the server starts.
  const instagram = config.instagram ? await startInstagram(assistant, { ...config, instagram: config.instagram }, logger) : undefined;
  // The owner's CLI commands run in this process, through the web server (README "Using the CLI while the assistant runs").
  const commands = await createCommandChannel({ assistant, config, logger });
  const web = await startWebChannel(assistant, config, logger, {
    extraRoutes: (app) => {
      commands.mount(app);
      if (instagram) app.route(instagram.path, instagram.channel.routes());
    },
    ...(instagram ? { channelHealth: () => [instagram.channel.health()] } : {}),
  });
  await commands.advertise(lock, web.url);
  // One service, because services stop in parallel: CLI commands first (each stops after its current
  // product), then Instagram (it answers deliveries in flight with 503 and finishes its answers),
  // then the server that carries both.
  services.push({
    name: instagram ? 'web+instagram' : 'web',
    stop: async () => {
      await commands.stop();
      await instagram?.channel.stop();
      await web.stop();
    },
  });
  if (!instagram) logger.info('INSTAGRAM_* settings are not set: no Instagram channel (see README "Instagram Direct")');
  if (config.training.enabled) {
    training.retrainJob.start(config.training.cron, {
      onResult: (result) => logRetrainOutcome(logger, result),
      onError: (error) => logRetrainFailure(logger, error),
    });
    services.push({ name: 'retrain-job', stop: () => training.retrainJob.stop() });
  }
  if (config.telegram.token) {
    const { launchTelegramChannel, isTelegramFailure } = await import('./bot/index.ts');
    recoverable.push(isTelegramFailure);
    const channel = launchTelegramChannel(assistant, config, logger);
    services.push({ name: 'telegram', stop: (timeoutMs) => channel.stop({ timeoutMs }) });
  } else {
    logger.info('TELEGRAM_BOT_TOKEN is not set: no Telegram channel (see README "Telegram bot")');
  }
  const backups = startBackupSchedule(assistant, config, logger);
  if (backups) services.push(backups);
  return services;
}

async function startInstagram(assistant: Assistant, config: Config & { instagram: NonNullable<Config['instagram']> }, logger: Logger) {
  const { INSTAGRAM_WEBHOOK_PATH, startInstagramChannel } = await import('./instagram/index.ts');
  return { path: INSTAGRAM_WEBHOOK_PATH, channel: await startInstagramChannel(assistant, config, logger) };
}

/** Daily backups of the embedded database (a PostgreSQL server is backed up with pg_dump). */
function startBackupSchedule(assistant: Assistant, config: Config, logger: Logger): Service | undefined {
  if (!config.backup.enabled) return undefined;
  if (config.database.url) {
    logger.info('automatic backups cover the embedded database only: back up the PostgreSQL server with pg_dump (README "Backups")');
    return undefined;
  }
  const schedule = new BackupSchedule({
    service: assistant.backups,
    dir: config.backup.dir,
    keep: config.backup.keep,
    onResult: (report) => logger.info({ file: report.file, bytes: report.bytes, products: report.products, images: report.images, deleted: report.deleted.length }, 'automatic backup written'),
    onError: (error) => logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'automatic backup failed'),
  });
  schedule.start(config.backup.cron);
  return { name: 'backups', stop: () => schedule.stop() };
}

/** Every scheduled retrain ends in one log line: trained, skipped (with the reason) or failed (with the reason). */
function logRetrainOutcome(logger: Logger, result: TrainingResult): void {
  if (result.status === 'skipped') {
    logger.info({ runId: result.runId, reason: result.reason }, 'scheduled retraining skipped');
    return;
  }
  logger.info(
    { runId: result.runId, headId: result.headId, valAccuracy: result.valAccuracy, promoted: result.promoted, reason: result.promotionReason, durationMs: Math.round(result.durationMs) },
    'scheduled retraining finished',
  );
}

function logRetrainFailure(logger: Logger, error: unknown): void {
  if (error instanceof TrainingAbortedError) logger.info('scheduled retraining interrupted by shutdown');
  else logger.error({ reason: error instanceof Error ? error.message : String(error) }, 'scheduled retraining failed');
}

/**
 * SIGINT/SIGTERM: interrupt training, stop the channels (their in-flight work gets what is left
 * of the bound minus a reserve), close the database, exit 0. A timer exits with 1 at the bound
 * whatever still hangs. Returns the stop function for the last-resort handler.
 */
function installShutdown(
  assistant: Assistant,
  services: readonly Service[],
  logger: Logger,
  timeoutMs: number,
  lock: DataDirLock,
): (reason: string, exitCode?: number) => void {
  let stopping = false;
  const stop = async (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    const deadline = Date.now() + timeoutMs;
    setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown did not finish in time (SHUTDOWN_TIMEOUT_SECONDS): exiting anyway');
      process.exit(1);
    }, timeoutMs).unref();
    logger.info({ reason, timeoutMs }, 'shutting down: finishing in-flight work');
    assistant.training.service.abortAll();
    const graceMs = () => Math.max(0, deadline - Date.now() - CLOSE_RESERVE_MS);
    await Promise.all([...services].reverse().map(async (service) => {
      await service.stop(graceMs()).catch((error: unknown) => logger.error({ err: error, service: service.name }, 'service did not stop cleanly'));
    }));
    await Promise.race([assistant.training.service.idle(), delay(graceMs())]);
    await assistant.close().catch((error: unknown) => logger.error({ err: error }, 'could not close the database cleanly'));
    await lock.release();
    logger.info('stopped');
    process.exit(exitCode);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // Keeps the process alive when no channel holds the event loop open.
  setInterval(() => undefined, 1 << 30);
  return (reason, exitCode) => void stop(reason, exitCode);
}

/**
 * The last resort for failures nothing else caught. Known recoverable ones (a lost database, a
 * failed Telegram call) are logged and ShopLens keeps running; anything else means an unknown
 * state, so it is logged and the process shuts down cleanly (bounded) with exit code 1.
 */
function installLastResort(logger: Logger, recoverable: readonly Recoverable[], stop: (reason: string, exitCode?: number) => void): void {
  const handle = (kind: string) => (error: unknown) => {
    if (recoverable.some((known) => known(error))) {
      logger.warn({ kind, reason: error instanceof Error ? error.message : String(error) }, 'a background failure was caught; ShopLens keeps running');
      return;
    }
    logger.fatal({ kind, err: error }, 'unexpected failure in an unknown state: shutting down');
    stop(kind, 1);
  };
  process.on('unhandledRejection', handle('unhandledRejection'));
  process.on('uncaughtException', handle('uncaughtException'));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
