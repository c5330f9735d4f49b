/**
 * `npm start`: the assistant as a long-running service. Opens (and migrates) the database,
 * makes sure a backbone is available, re-embeds the catalog if the backbone changed, starts the
 * configured channels, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { Assistant } from './core/assistant.ts';
import { createLogger, type Logger } from './core/logger.ts';
import type { TrainingComponents } from './core/training/index.ts';
import { trainingPortFor } from './core/training/chat-port.ts';
import { ensureBackbone } from './ml/ensure-backbone.ts';
import { loadEmbeddingModel } from './ml/load-model.ts';

/** Something started by `main` that must be stopped on shutdown (a channel, a scheduler). */
export interface Service {
  readonly name: string;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const phases = new PhaseTimer();
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel });
  const choice = await phases.time('model file', () => ensureBackbone(config.model.path, logger));
  const effective: Config = { ...config, model: { ...config.model, path: choice.path } };
  // The database and the backbone are independent: open both at once.
  const assistantReady = phases.time('database', () => Assistant.create({ config: effective, logger, loadModel: () => loadEmbeddingModel(effective, logger) }));
  const modelReady = phases.time('backbone', () => loadEmbeddingModel(effective, logger));
  const assistant = await assistantReady.catch(async (error: unknown) => {
    await (await modelReady.catch(() => undefined))?.close();
    throw error;
  });
  assistant.adoptModel(modelReady);
  const model = await assistant.model();
  logger.info({ modelId: model.modelId, pretrained: model.pretrained, provider: model.provider, database: assistant.db.engine }, 'backbone loaded');
  await phases.time('reindex check', () => reindexIfNeeded(assistant, logger));
  const training = assistant.training;
  // Heads trained on another backbone cannot classify its features; retraining replaces them.
  await training.heads.invalidateForBackbone(model.modelId);
  await phases.time('search index', () => assistant.searchIndex());
  const services = await phases.time('channels', () => startServices(assistant, effective, logger, training));
  installShutdown(assistant, services, logger);
  logger.info({ services: services.map((service) => service.name), startupMs: phases.summary() }, 'ShopLens is ready');
}

/** Wall time of each start-up phase, for the "ready" log line (phases may overlap). */
class PhaseTimer {
  private readonly started = performance.now();
  private readonly phases: Record<string, number> = {};

  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.phases[name] = Math.round(performance.now() - started);
    }
  }

  /** Milliseconds per phase, plus `total` since the process started (including Node and tsx). */
  summary(): Record<string, number> {
    return { ...this.phases, total: Math.round(performance.now()), sinceMain: Math.round(performance.now() - this.started) };
  }
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw error;
  }
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

async function startServices(assistant: Assistant, config: Config, logger: Logger, training: TrainingComponents): Promise<Service[]> {
  const services: Service[] = [];
  if (config.training.enabled) {
    training.retrainJob.start(config.training.cron);
    services.push({ name: 'retrain-job', stop: () => training.retrainJob.stop() });
  }
  if (config.telegram.token) {
    const { startTelegramChannel } = await import('./bot/index.ts');
    const channel = await startTelegramChannel(assistant, config, logger, { training: trainingPortFor(training.service) });
    services.push({ name: 'telegram', stop: () => channel.stop() });
  } else {
    logger.info('TELEGRAM_BOT_TOKEN is not set: no Telegram channel (see README "Telegram bot")');
  }
  return services;
}

function installShutdown(assistant: Assistant, services: readonly Service[], logger: Logger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight work');
    for (const service of [...services].reverse()) {
      await service.stop().catch((error: unknown) => logger.error({ err: error, service: service.name }, 'service did not stop cleanly'));
    }
    await assistant.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // Keeps the process alive when no channel holds the event loop open.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  process.stderr.write(`ShopLens failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
