/**
 * The Telegram channel: customers search the shop by photo or text, owners run it from the chat.
 * `src/main.ts` calls {@link startTelegramChannel} when `TELEGRAM_BOT_TOKEN` is set.
 */
import type { Config } from '../config/index.ts';
import type { Assistant } from '../core/assistant.ts';
import type { Logger } from '../core/logger.ts';
import { registerCommands } from './commands.ts';
import { createBot, type CreateBotOptions } from './create-bot.ts';
import { startPolling, startWebhook, type RunningBot } from './run.ts';

export type { BotContext, BotDependencies } from './context.ts';
export { createBot, type CreateBotOptions, type ShopBot } from './create-bot.ts';
export { startPolling, startWebhook, type RunningBot, type WebhookOptions } from './run.ts';

export interface TelegramChannelOptions extends CreateBotOptions {
  /** Webhook listen address (default all interfaces). */
  readonly webhookHost?: string;
}

/**
 * Starts the bot: long polling, or a webhook when `TELEGRAM_WEBHOOK_URL` is set. Registers the
 * command menus. The returned `stop()` stops taking updates and waits for in-flight ones; the
 * caller then closes the assistant (and so the database).
 * @throws {Error} when `TELEGRAM_BOT_TOKEN` is missing, or Telegram rejects the token at start.
 */
export async function startTelegramChannel(assistant: Assistant, config: Config, logger: Logger, options: TelegramChannelOptions = {}): Promise<RunningBot> {
  const botLogger = logger.child({ channel: 'telegram' });
  const shop = createBot({ assistant, config, logger: botLogger }, options);
  await shop.bot.init();
  await registerCommands(shop.bot.api, config.telegram.adminIds, botLogger);
  const { webhookUrl, webhookSecret, webhookPort } = config.telegram;
  if (webhookUrl === undefined) return startPolling(shop, botLogger);
  return startWebhook(shop, { url: webhookUrl, secret: webhookSecret, port: webhookPort, ...(options.webhookHost ? { host: options.webhookHost } : {}) }, botLogger);
}
