/**
 * The Instagram webhook, as Hono routes the web server mounts at `/webhooks/instagram`:
 * - `GET` answers Meta's verification handshake (`hub.mode=subscribe`, `hub.verify_token`,
 *   `hub.challenge`), 403 on a wrong token;
 * - `POST` reads the raw body (at most {@link MAX_WEBHOOK_BYTES}), checks `X-Hub-Signature-256`
 *   (HMAC-SHA256 of those bytes with the app secret, compared in constant time) before parsing
 *   anything, answers 403 when it is missing or wrong, and otherwise hands the delivery over and
 *   answers 200 at once: the answers to customers are sent in the background.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { tokensMatch } from '../config/admin-token.ts';
import type { Logger } from '../core/logger.ts';
import { parseDelivery, type ParsedDelivery } from './events.ts';

/** Largest delivery accepted, in bytes. Meta batches events, but a message event is ~1 KB. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface WebhookReceiver {
  readonly verifyToken: string;
  readonly appSecret: string;
  readonly logger: Logger;
  /** False once the channel stops: deliveries then get 503, and Meta delivers them again later. */
  accepting(): boolean;
  /** Takes a verified delivery; must return at once (the work runs in the background). */
  accept(delivery: ParsedDelivery): void;
}

/** The webhook's routes, relative to where they are mounted. */
export function webhookRoutes(receiver: WebhookReceiver): Hono {
  const routes = new Hono();
  routes.get('/', (c) => {
    const mode = c.req.query('hub.mode');
    const token = c.req.query('hub.verify_token') ?? '';
    const challenge = c.req.query('hub.challenge') ?? '';
    if (mode !== 'subscribe' || !tokensMatch(token, receiver.verifyToken)) {
      receiver.logger.warn({ mode }, 'Instagram webhook verification refused: wrong hub.verify_token (check INSTAGRAM_VERIFY_TOKEN)');
      return c.text('Forbidden', 403);
    }
    receiver.logger.info('Instagram webhook verified by Meta');
    return c.text(challenge, 200);
  });
  routes.post(
    '/',
    bodyLimit({ maxSize: MAX_WEBHOOK_BYTES, onError: (c) => c.text('Payload too large', 413) }),
    async (c) => {
      if (!receiver.accepting()) return c.text('Shutting down', 503, { 'Retry-After': '60' });
      const raw = Buffer.from(await c.req.arrayBuffer());
      if (!signatureMatches(raw, c.req.header('x-hub-signature-256'), receiver.appSecret)) {
        receiver.logger.warn({ bytes: raw.length }, 'Instagram webhook refused: X-Hub-Signature-256 missing or wrong (check INSTAGRAM_APP_SECRET)');
        return c.text('Forbidden', 403);
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return c.text('Bad request: the body is not JSON', 400);
      }
      const delivery = parseDelivery(body);
      // Signed by Meta but not understood: acknowledge, or Meta keeps redelivering it.
      if (!delivery) receiver.logger.warn('Instagram webhook delivery without object/entry: ignored');
      else receiver.accept(delivery);
      return c.text('EVENT_RECEIVED', 200);
    },
  );
  return routes;
}

/** True when `header` is `sha256=<hex>` of HMAC-SHA256(`rawBody`, `appSecret`); compared in constant time. */
export function signatureMatches(rawBody: Uint8Array, header: string | undefined, appSecret: string): boolean {
  const presented = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? '')?.[1];
  if (presented === undefined) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(presented, 'hex'), expected);
}
