/**
 * The web channel as `npm start` runs it: loads (or generates) the owner token, builds the app,
 * listens, and prints where the chat and the dashboard are.
 */
import { loadOrCreateAdminToken } from '../config/admin-token.ts';
import type { Config } from '../config/index.ts';
import type { Assistant } from '../core/assistant.ts';
import type { Logger } from '../core/logger.ts';
import { createWebApp, startWebServer, type WebAppDependencies } from './server.ts';

export { createWebApp, startWebServer, type RunningWebServer, type WebApp, type WebAppDependencies } from './server.ts';

export interface WebChannel {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the web server; `extraRoutes` lets other features mount theirs (see {@link WebAppDependencies}). */
export async function startWebChannel(
  assistant: Assistant,
  config: Config,
  logger: Logger,
  options: Pick<WebAppDependencies, 'extraRoutes' | 'conversation' | 'channelHealth'> = {},
): Promise<WebChannel> {
  const token = await loadOrCreateAdminToken(config.dataDir, config.web.adminToken);
  const { app, training } = createWebApp({ assistant, config, logger, adminToken: token.token, ...options });
  const server = await startWebServer(app, config);
  logger.info({ chat: `${server.url}/`, dashboard: `${server.url}/admin` }, 'web chat and owner dashboard are listening');
  if (token.source === 'generated') {
    // Printed once, on the terminal only (not in the JSON log): the owner needs it to log in.
    process.stdout.write(
      `\n  Customer chat:    ${server.url}/\n  Owner dashboard:  ${server.url}/admin\n` +
        `  Admin token:      ${token.token}\n  (shown once; it is kept in ${config.dataDir}/admin-token, readable only by you)\n\n`,
    );
  }
  return {
    url: server.url,
    async stop() {
      // A run started from the dashboard must not outlive the database it writes to.
      await training.stop();
      await server.stop();
    },
  };
}
