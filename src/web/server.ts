/**
 * The web channel's HTTP server: one Hono app serving the customer chat (`/`), the owner
 * dashboard (`/admin`), the customer API (`/api/search…`), the owner API (`/api/admin/…`) and
 * product photos (`/media/…`). This file assembles it: security headers on every response, the
 * owner check on everything under `/api/admin/`, the mapping of failures to `{"error": "…"}`, and
 * the hook through which other features mount their own routes.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { AddressInfo } from 'node:net';
import { tokensMatch } from '../config/admin-token.ts';
import type { Config } from '../config/index.ts';
import type { Assistant } from '../core/assistant.ts';
import { failureKind, imageRejectionIn } from '../core/conversation/index.ts';
import { SearchLimiter } from '../core/conversation/rate-limiter.ts';
import { InvalidProductError, ProductExistsError, UnknownProductError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { HeadNotUsableError, InvalidHyperparametersError, TrainingDataError } from '../core/training/index.ts';
import { OperationalError } from '../domain/errors.ts';
import { HttpProblem, errorResponse } from './http.ts';
import { adminTrainingRoutes } from './routes/admin-training.ts';
import { adminRoutes } from './routes/admin.ts';
import { customerRoutes, type CustomerConversation } from './routes/customer.ts';
import { mediaRoutes } from './routes/media.ts';
import { pageRoutes } from './routes/pages.ts';
import { shopRoutes } from './routes/shop.ts';
import { TrainingRelay } from './training-relay.ts';

/**
 * New searches one client address may start per minute, as a multiple of the per-session
 * `SEARCH_RATE_LIMIT_PER_MINUTE`: a cap that clearing cookies cannot lift, loose enough for a few
 * customers sharing one Wi-Fi.
 */
export const ADDRESS_LIMIT_FACTOR = 3;

export interface WebAppDependencies {
  readonly assistant: Assistant;
  readonly config: Config;
  readonly logger: Logger;
  /** The owner's token (`loadOrCreateAdminToken`); every `/api/admin/*` request must bear it. */
  readonly adminToken: string;
  /** The conversation core that answers customers; default: the assistant's. */
  readonly conversation?: CustomerConversation;
  /**
   * Mounts another feature's routes on the app, e.g. `(app) => app.route('/webhooks/instagram', instagram)`
   * or `(app) => app.post('/api/admin/cli', handler)`. Called after security headers, error mapping
   * and owner authentication are installed and before the pages, so:
   * - anything mounted under `/api/admin/` requires `Authorization: Bearer <ADMIN_TOKEN>` with no
   *   further code (a missing or wrong token gets 401 before the handler runs);
   * - anything else is public and must authenticate itself (a webhook checks its signature);
   * - thrown {@link HttpProblem}s become `{"error": "…"}` with their status, anything unexpected a 500
   *   without internals; bodies are not size-limited for you: use `bodyLimit` from `hono/body-limit`.
   */
  readonly extraRoutes?: (app: Hono) => void;
  /**
   * The state of channels that run beside the web server (Instagram's last webhook, last send, last
   * error, counters), shown on the dashboard and returned by `GET /api/admin/channels`.
   */
  readonly channelHealth?: () => readonly object[];
}

/** The assembled app, and the relay that owns background training started from the dashboard. */
export interface WebApp {
  readonly app: Hono;
  readonly training: TrainingRelay;
}

const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  // Thumbnails arrive as data: URLs, charts and uploads' previews as blob: URLs.
  imgSrc: ["'self'", 'data:', 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Builds the web app; nothing listens until {@link startWebServer}. */
export function createWebApp(deps: WebAppDependencies): WebApp {
  const { assistant, config, logger } = deps;
  const app = new Hono();
  const training = new TrainingRelay({ training: assistant.training.service, logger });

  app.use('*', secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    referrerPolicy: 'same-origin',
    xFrameOptions: 'DENY',
    crossOriginResourcePolicy: 'same-origin',
    // HSTS belongs to the TLS proxy in front (see README "Web channel"), not to plain-HTTP localhost.
    strictTransportSecurity: false,
  }));
  app.onError((error, c) => failureResponse(error, c, logger));
  app.notFound((c) => errorResponse(c, 404, 'Not found.'));
  app.use('/api/admin/*', requireOwner(deps.adminToken));

  const conversation = deps.conversation ?? assistant.conversation;
  const addressLimiter = new SearchLimiter(config.search.rateLimitPerMinute * ADDRESS_LIMIT_FACTOR);
  app.route('/api', customerRoutes({ conversation, config, addressLimiter }));
  app.route('/api/admin/training', adminTrainingRoutes({ assistant, relay: training }));
  app.route('/api/admin', adminRoutes({ assistant, config, channelHealth: deps.channelHealth ?? (() => []) }));
  app.route('/media', mediaRoutes({ store: assistant.store }));
  app.route('/', shopRoutes({ assistant, config }));
  deps.extraRoutes?.(app);
  app.route('/', pageRoutes());
  return { app, training };
}

/** Rejects requests without the owner's bearer token (401), comparing in constant time. */
function requireOwner(token: string) {
  return async (c: Context, next: () => Promise<void>): Promise<Response | void> => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (presented === undefined || !tokensMatch(presented, token)) {
      return errorResponse(c, 401, 'Owner only: send the admin token as "Authorization: Bearer <token>" (see DATA_DIR/admin-token).', {
        'WWW-Authenticate': 'Bearer realm="ShopLens"',
      });
    }
    await next();
  };
}

/** Expected failures become their status and one line; anything else is logged and answered with a plain 500. */
function failureResponse(error: Error, c: Context, logger: Logger): Response {
  if (error instanceof HttpProblem) return errorResponse(c, error.status, error.message, error.headers);
  if (error instanceof HTTPException) return errorResponse(c, error.status, error.message || 'Bad request.');
  if (error instanceof InvalidProductError) return c.json({ error: `Nothing was stored: ${error.problems.join('; ')}`, problems: error.problems }, 422);
  if (error instanceof UnknownProductError) return errorResponse(c, 404, error.message);
  if (error instanceof ProductExistsError) return errorResponse(c, 409, error.message);
  if (error instanceof HeadNotUsableError) return errorResponse(c, 409, error.message);
  if (error instanceof TrainingDataError || error instanceof InvalidHyperparametersError) return errorResponse(c, 422, error.message);
  const rejection = imageRejectionIn(error);
  if (rejection) return errorResponse(c, 422, rejection.message);
  const kind = failureKind(error);
  if (kind === 'unavailable') {
    logger.warn({ err: error.message, path: c.req.path }, 'database unavailable');
    return errorResponse(c, 503, 'The shop database is unavailable right now; try again in a minute.', { 'Retry-After': '60' });
  }
  if (kind === 'catalog-updating' || error instanceof OperationalError) {
    logger.warn({ err: error.message, path: c.req.path }, 'request refused');
    return errorResponse(c, 503, error.message);
  }
  logger.error({ err: error, method: c.req.method, path: c.req.path }, 'request failed');
  return errorResponse(c, 500, 'Something went wrong on the server; the shop log has the details.');
}

/** A listening server. */
export interface RunningWebServer {
  /** `http://host:port` as bound (the real port when `PORT=0`). */
  readonly url: string;
  /** Stops accepting connections and closes open ones (event streams included). */
  stop(): Promise<void>;
}

/**
 * Listens on `config.web.host:config.web.port`.
 * @throws {OperationalError} when the address is taken or not available.
 */
export async function startWebServer(app: Hono, config: Config): Promise<RunningWebServer> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const candidate = serve({ fetch: app.fetch, port: config.web.port, hostname: config.web.host }, () => resolve(candidate));
    candidate.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, config)));
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams and keep-alive sockets would hold close() forever.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

function listenError(error: NodeJS.ErrnoException, config: Config): Error {
  const where = `${config.web.host}:${config.web.port}`;
  if (error.code === 'EADDRINUSE') return new OperationalError(`Port ${where} is already in use (is ShopLens already running?); set PORT to a free port.`, { cause: error });
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') return new OperationalError(`HOST ${config.web.host} is not an address of this machine; use 127.0.0.1 (default) or 0.0.0.0.`, { cause: error });
  if (error.code === 'EACCES') return new OperationalError(`Not allowed to listen on ${where}; use a PORT above 1023.`, { cause: error });
  return error;
}
