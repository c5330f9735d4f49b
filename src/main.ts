/**
 * `npm start`: the assistant as a long-running service. Opens (and migrates) the database,
 * makes sure a backbone is available, re-embeds the catalog if the backbone changed, starts the
 * web channel (always) and the configured chat channels, and shuts down cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { Assistant } from './core/assistant.ts';
import { createLogger, type Logger } from './core/logger.ts';
import type { TrainingComponents } from './core/training/index.ts';
import { ensureBackbone } from './ml/ensure-backbone.ts';
import { loadEmbeddingModel } from './ml/load-model.ts';
import { startWebChannel } from './web/index.ts';

/** Something started by `main` that must be stopped on shutdown (a channel, a scheduler). */
export interface Service {
  readonly name: string;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel });
  const choice = await ensureBackbone(config.model.path, logger);
  const effective: Config = { ...config, model: { ...config.model, path: choice.path } };
  const assistant = await Assistant.create({ config: effective, logger, loadModel: () => loadEmbeddingModel(effective, logger) });
  const model = await assistant.model();
  logger.info({ modelId: model.modelId, pretrained: model.pretrained, provider: model.provider, database: assistant.database.engine }, 'backbone loaded');
  await reindexIfNeeded(assistant, logger);
  const training = assistant.training;
  // Heads trained on another backbone cannot classify its features; retraining replaces them.
  await training.heads.invalidateForBackbone(model.modelId);
  const services = await startServices(assistant, effective, logger, training);
  installShutdown(assistant, services, logger);
  logger.info({ services: services.map((service) => service.name) }, 'ShopLens is ready');
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
  const stopRetention = assistant.unmetDemand.startRetention();
  services.push({ name: 'unmet-demand-retention', stop: () => Promise.resolve(stopRetention()) });
  // Instagram's webhook is served by the web server, so the channel exists before the server starts
  // and stops (answering deliveries in flight) before the server closes.
  const instagram = config.instagram ? await startInstagram(assistant, { ...config, instagram: config.instagram }, logger) : undefined;
  const web = await startWebChannel(assistant, config, logger, instagram ? {
    extraRoutes: (app) => app.route(instagram.path, instagram.channel.routes()),
    channelHealth: () => [instagram.channel.health()],
  } : {});
  services.push({ name: 'web', stop: () => web.stop() });
  if (instagram) services.push({ name: 'instagram', stop: () => instagram.channel.stop() });
  else logger.info('INSTAGRAM_* settings are not set: no Instagram channel (see README "Instagram Direct")');
  if (config.training.enabled) {
    training.retrainJob.start(config.training.cron);
    services.push({ name: 'retrain-job', stop: () => training.retrainJob.stop() });
  }
  if (config.telegram.token) {
    const { startTelegramChannel } = await import('./bot/index.ts');
    const channel = await startTelegramChannel(assistant, config, logger);
    services.push({ name: 'telegram', stop: () => channel.stop() });
  } else {
    logger.info('TELEGRAM_BOT_TOKEN is not set: no Telegram channel (see README "Telegram bot")');
  }
  return services;
}

async function startInstagram(assistant: Assistant, config: Config & { instagram: NonNullable<Config['instagram']> }, logger: Logger) {
  const { INSTAGRAM_WEBHOOK_PATH, startInstagramChannel } = await import('./instagram/index.ts');
  return { path: INSTAGRAM_WEBHOOK_PATH, channel: await startInstagramChannel(assistant, config, logger) };
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
