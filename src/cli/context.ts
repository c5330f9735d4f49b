/**
 * What every CLI command gets: validated config, a logger, the output channel, and the
 * assistant core opened on first use and closed when the command ends.
 */
import { Assistant } from '../core/assistant.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { loadEmbeddingModel } from '../ml/load-model.ts';
import { createOutput, type Output } from './output.ts';

export interface CliContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly output: Output;
  /** The assistant, opened once; its model loads lazily. */
  assistant(): Promise<Assistant>;
  close(): Promise<void>;
}

export function createCliContext(options: { json: boolean }): CliContext {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const output = createOutput({ json: options.json });
  let assistant: Promise<Assistant> | undefined;
  return {
    config,
    logger,
    output,
    assistant() {
      assistant ??= Assistant.create({ config, logger, loadModel: () => loadEmbeddingModel(config, logger) });
      return assistant;
    },
    async close() {
      if (assistant) await (await assistant).close();
    },
  };
}
