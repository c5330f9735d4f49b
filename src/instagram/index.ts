/**
 * The Instagram Direct channel: customers of the shop's Instagram professional account search by
 * photo or text in their DMs. `src/main.ts` starts it when `config.instagram` is set and the web
 * server mounts {@link RunningInstagramChannel.routes} at `/webhooks/instagram`.
 */
import type { Hono } from 'hono';
import type { Config, InstagramConfig } from '../config/index.ts';
import type { Assistant } from '../core/assistant.ts';
import type { Logger } from '../core/logger.ts';
import { InstagramChannel, type InstagramChannelDependencies, type InstagramHealth } from './channel.ts';
import { GraphClient, type GraphClientOptions } from './graph-client.ts';
import { TokenKeeper } from './token.ts';

export { InstagramChannel, languageOfText, type InstagramChannelDependencies, type InstagramHealth } from './channel.ts';
export { GraphApiError, GraphClient, GraphUnreachableError, type GraphClientOptions, type OutgoingMessage } from './graph-client.ts';
export { parseDelivery, type IncomingEvent, type ParsedDelivery } from './events.ts';
export { mediaUrl, renderAnswer } from './render.ts';
export { signatureMatches, MAX_WEBHOOK_BYTES } from './webhook.ts';
export { TokenKeeper } from './token.ts';

/** Where the web server mounts {@link RunningInstagramChannel.routes}. */
export const INSTAGRAM_WEBHOOK_PATH = '/webhooks/instagram';

/** A started channel. */
export interface RunningInstagramChannel {
  /** The webhook's routes, to mount at {@link INSTAGRAM_WEBHOOK_PATH}. */
  routes(): Hono;
  /** Last webhook, last send, last error, counters: for the dashboard. */
  health(): InstagramHealth;
  /** Stops taking deliveries, lets answers in flight finish (bounded), stops the token refresh. Safe to call twice. */
  stop(): Promise<void>;
}

export interface InstagramChannelOptions {
  /** Graph client tuning (tests use short backoffs). */
  readonly graph?: Pick<GraphClientOptions, 'retries' | 'backoffMs' | 'maxRetryAfterMs' | 'timeoutMs'>;
  /** Channel tuning (tests use a clock and short stop timeouts). */
  readonly channel?: Pick<InstagramChannelDependencies, 'now' | 'stopTimeoutMs' | 'maxPending' | 'maxContacts'>;
  /** Refresh the long-lived token daily (default true). */
  readonly refreshToken?: boolean;
}

/**
 * Builds the channel on the assistant's conversation core and starts the daily token refresh.
 * Nothing listens here: the web server serves the routes.
 */
export async function startInstagramChannel(
  assistant: Pick<Assistant, 'conversation' | 'inbound'>,
  config: Pick<Config, 'dataDir' | 'images'> & { readonly instagram: InstagramConfig },
  logger: Logger,
  options: InstagramChannelOptions = {},
): Promise<RunningInstagramChannel & { readonly channel: InstagramChannel; readonly token: TokenKeeper }> {
  const channelLogger = logger.child({ channel: 'instagram' });
  const settings = config.instagram;
  // The keeper refreshes through the client, and the client sends with the keeper's token.
  const late: { graph?: GraphClient; channel?: InstagramChannel } = {};
  const token = await TokenKeeper.load({
    configured: settings.accessToken,
    dataDir: config.dataDir,
    refresh: (signal) => late.graph!.refreshToken(signal),
    logger: channelLogger,
    onError: (error) => late.channel?.recordProblem(error),
  });
  const graph = (late.graph = new GraphClient({ apiRoot: settings.apiRoot, apiVersion: settings.apiVersion, accountId: settings.accountId, token: () => token.current(), ...options.graph }));
  const channel = (late.channel = new InstagramChannel({
    conversation: assistant.conversation,
    inbound: assistant.inbound,
    graph,
    config: settings,
    maxImageBytes: config.images.maxBytes,
    logger: channelLogger,
    ...options.channel,
  }));
  if (options.refreshToken !== false) token.start();
  channelLogger.info({ account: settings.accountId, apiRoot: settings.apiRoot, webhook: `${settings.publicBaseUrl}${INSTAGRAM_WEBHOOK_PATH}` }, 'Instagram channel ready');
  return {
    channel,
    token,
    routes: () => channel.routes(),
    health: () => channel.health(),
    stop: async () => {
      await token.stop();
      await channel.stop();
    },
  };
}
