/**
 * The HTTP route through which the CLI runs commands in the running assistant:
 * `POST /api/admin/commands` with `{"command", "request", "json", "verbose"}`, answered with
 * NDJSON output events (see `events.ts`), the last one `{"type":"exit","code"}`. It lives under
 * `/api/admin/`, so the web server's owner check (the admin token) guards it; mounted on loopback
 * by default (`HOST`). Closing the connection (Ctrl-C in the CLI) stops the command after its
 * current item.
 */
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { stream } from 'hono/streaming';
import { tokensMatch } from '../../config/admin-token.ts';
import type { CommandService } from './service.ts';

/** Where the route is mounted. */
export const COMMANDS_PATH = '/api/admin/commands';

/** A command call is a few paths and flags; a search over thousands of files still fits. */
const MAX_CALL_BYTES = 4 * 1024 * 1024;

/**
 * Mounts the route. It checks the owner's bearer token itself too, so it stays owner-only on an
 * app without the web server's `/api/admin/*` guard. `adminToken` may be a getter, read at the
 * first request (the web channel creates the token when it starts).
 */
export function mountCommandRoute(app: Hono, service: CommandService, options: { adminToken: string | (() => Promise<string>) }): void {
  const expected = typeof options.adminToken === 'string' ? () => Promise.resolve(options.adminToken as string) : options.adminToken;
  app.post(COMMANDS_PATH, bodyLimit({ maxSize: MAX_CALL_BYTES }), async (c) => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (presented === undefined || !tokensMatch(presented, await expected())) {
      return c.json({ error: 'Owner only: send the admin token as "Authorization: Bearer <token>" (see DATA_DIR/admin-token).' }, 401);
    }
    const body: unknown = await c.req.json().catch(() => undefined);
    c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
    c.header('Cache-Control', 'no-store');
    return stream(c, async (out) => {
      const clientGone = new AbortController();
      out.onAbort(() => clientGone.abort());
      // Events are written in order; a write to a closed connection is dropped, the command goes on to its next check.
      let writes = Promise.resolve();
      await service.run(
        body,
        (event) => {
          writes = writes.then(() => out.write(`${JSON.stringify(event)}\n`)).then(() => undefined, () => undefined);
        },
        clientGone.signal,
      );
      await writes;
    });
  });
}
