/**
 * `npm start`'s side of the CLI acting through the running assistant, in three calls:
 *
 * ```ts
 * const commands = await createCommandChannel({ assistant, config, logger });
 * const web = await startWebChannel(assistant, config, logger, { extraRoutes: commands.mount });
 * await commands.advertise(lock, web.url);   // CLI commands now find this assistant
 * services.push({ name: 'cli-commands', stop: () => commands.stop() });   // before the database closes
 * ```
 */
import type { Hono } from 'hono';
import { loadOrCreateAdminToken } from '../../config/admin-token.ts';
import type { Config } from '../../config/index.ts';
import type { Assistant } from '../../core/assistant.ts';
import type { DataDirLock } from '../../core/data-dir.ts';
import type { Logger } from '../../core/logger.ts';
import { mountCommandRoute } from './route.ts';
import { CommandService } from './service.ts';

export { COMMANDS_PATH, mountCommandRoute } from './route.ts';
export { CommandService } from './service.ts';

export interface CommandChannel {
  /** Mounts `POST /api/admin/commands` (pass as the web server's `extraRoutes`). */
  readonly mount: (app: Hono) => void;
  /** Records where the server listens in the data directory's lock, for CLI commands to find it. */
  advertise(lock: DataDirLock, url: string): Promise<void>;
  /** Stops running commands after their current item and waits for them (before the database closes). */
  stop(): Promise<void>;
}

export function createCommandChannel(deps: { assistant: Assistant; config: Config; logger: Logger }): Promise<CommandChannel> {
  // Read at the first request, not now: the web channel generates (and shows once) a new token when it starts.
  let token: Promise<string> | undefined;
  const adminToken = () => (token ??= loadOrCreateAdminToken(deps.config.dataDir, deps.config.web.adminToken).then((loaded) => loaded.token));
  const service = new CommandService(deps);
  return Promise.resolve({
    mount: (app) => mountCommandRoute(app, service, { adminToken }),
    async advertise(lock, url) {
      await lock.advertise(url);
      deps.logger.info({ url }, 'CLI commands run in this assistant');
    },
    stop: () => service.stop(),
  });
}
