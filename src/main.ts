/**
 * `npm start`: the assistant as a long-running service. Reads the configuration, makes sure a
 * backbone is available and starts loading it in its worker thread at once, then imports and runs
 * the rest (src/run-assistant.ts): opening the backbone (~1.2 s alone on 2 cores, ~2 s while the
 * rest starts beside it) and loading the database, web server and channel modules (~1 s) overlap
 * instead of adding up.
 */
import { ConfigError, loadConfig, type Config } from './config/index.ts';
import { createLogger } from './core/logger.ts';
import { OperationalError } from './domain/errors.ts';
import { ensureBackbone } from './ml/ensure-backbone.ts';
import { loadEmbeddingModel } from './ml/load-model.ts';

async function main(): Promise<void> {
  const phases = new PhaseTimer();
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel });
  const choice = await phases.time('model file', () => ensureBackbone(config.model.path, logger));
  const effective: Config = { ...config, model: { ...config.model, path: choice.path } };
  const modelReady = phases.time('backbone', () => loadEmbeddingModel(effective, logger));
  // A failed load is reported by whoever awaits it; this keeps it from being "unhandled" meanwhile.
  modelReady.catch(() => undefined);
  try {
    const { runAssistant } = await phases.time('modules', () => import('./run-assistant.ts'));
    await runAssistant({ config: effective, logger, phases, modelReady });
  } catch (error) {
    await (await modelReady.catch(() => undefined))?.close().catch(() => undefined);
    throw error;
  }
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

  /** Milliseconds per phase, plus `total` since the process started (including Node, and the compile when src/ changed since the last start). */
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

main().catch((error: unknown) => {
  process.stderr.write(`ShopLens failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof OperationalError ? error.exitCode : 1);
});
