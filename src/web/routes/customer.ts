/**
 * The customer API: `POST /api/search` (a photo as multipart field `image`, or JSON `{"text"}`)
 * and `POST /api/search/more` (the next page, or "more like #n"). Thin on purpose: the request
 * becomes an intent for the conversation core, whose typed answer becomes JSON and a status.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import {
  formatMegabytes, languageOf, MAX_TEXT_QUERY_LENGTH, translator,
  type Asker, type Conversation, type Language, type ProductCard, type SearchAnswer,
} from '../../core/conversation/index.ts';
import { clientAddress, sessionOf } from '../client.ts';
import { formBody, HttpProblem, isJson, isMultipart, jsonBody, tooLargeResponse } from '../http.ts';
import { mediaUrl } from './media.ts';

/** What the customer routes need from the conversation core (`assistant.conversation`). */
export type CustomerConversation = Pick<Conversation, 'searchByPhoto' | 'searchByText' | 'moreLike' | 'showMore'>;

/** A sliding-window limit per key (the core's `SearchLimiter`); here keyed by client address. */
export interface AddressLimiter {
  tryAcquire(key: string): { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };
}

export interface CustomerRouteDependencies {
  readonly conversation: CustomerConversation;
  readonly config: Config;
  /** Caps new searches per client address, above the per-session limit the core applies. */
  readonly addressLimiter: AddressLimiter;
}

/** Multipart framing and the text fields around the photo, on top of `IMAGE_MAX_BYTES`. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const textSearchSchema = z.object({
  text: z.string().trim().min(1, 'type what you are looking for').max(MAX_TEXT_QUERY_LENGTH, `at most ${MAX_TEXT_QUERY_LENGTH} characters`),
});
const moreSchema = z.union([
  z.object({ queryId: z.string().min(1).max(64), offset: z.number().int().min(1).max(1000) }).strict(),
  z.object({ moreLike: z.number().int().positive() }).strict(),
]);

/** One product of an answer, as JSON. */
export function resultRecord(card: ProductCard): Record<string, unknown> {
  return {
    number: card.number,
    sku: card.sku,
    name: card.name,
    category: card.category,
    price: card.price,
    currency: card.currency,
    stock: card.stock,
    score: card.score,
    imageUrl: card.image ? mediaUrl(card.image.filePath) : null,
    imageId: card.image?.id ?? null,
    url: card.url,
    priceText: card.priceText,
    stockText: card.stockText,
  };
}

/** The customer routes, mounted under `/api`. */
export function customerRoutes(deps: CustomerRouteDependencies): Hono {
  const app = new Hono();
  const { config, conversation } = deps;

  app.post(
    '/search',
    bodyLimit({
      maxSize: config.images.maxBytes + MULTIPART_OVERHEAD_BYTES,
      onError: (c) => {
        const t = translator(languageOfRequest(c));
        const declared = Number(c.req.header('content-length') ?? NaN);
        const size = Number.isFinite(declared) ? formatMegabytes(declared) : `> ${formatMegabytes(config.images.maxBytes)}`;
        return tooLargeResponse(c, t('too_large', { size, limit: formatMegabytes(config.images.maxBytes) }));
      },
    }),
    async (c) => {
      const startedAt = performance.now();
      const asker = askerOf(c);
      if (isMultipart(c)) {
        const picture = await uploadedPicture(c, asker.lang);
        enforceAddressCap(c, deps.addressLimiter, asker.lang);
        return answerResponse(c, await conversation.searchByPhoto(asker, picture, { startedAt }));
      }
      if (isJson(c)) {
        const { text } = await jsonBody(c, textSearchSchema);
        enforceAddressCap(c, deps.addressLimiter, asker.lang);
        return answerResponse(c, await conversation.searchByText(asker, text));
      }
      throw new HttpProblem(415, 'Send a photo as multipart/form-data (field "image") or JSON {"text": "…"}.');
    },
  );

  app.post('/search/more', async (c) => {
    const asker = askerOf(c);
    const request = await jsonBody(c, moreSchema);
    if ('moreLike' in request) {
      enforceAddressCap(c, deps.addressLimiter, asker.lang);
      return answerResponse(c, await conversation.moreLike(asker, request.moreLike));
    }
    return answerResponse(c, await conversation.showMore(asker, request.queryId, request.offset));
  });

  return app;
}

function askerOf(c: Context): Asker {
  return { channel: 'web', userRef: sessionOf(c), lang: languageOfRequest(c) };
}

/** The browser's preferred language (its first `Accept-Language` entry). */
export function languageOfRequest(c: Context): Language {
  return languageOf(c.req.header('accept-language')?.split(',')[0]?.split(';')[0]?.trim());
}

async function uploadedPicture(c: Context, lang: Language): Promise<Buffer> {
  const form = await formBody(c);
  const file = form.image;
  if (!(file instanceof File)) throw new HttpProblem(400, 'Attach the photo as the multipart field "image".');
  if (file.type !== '' && !file.type.startsWith('image/') && file.type !== 'application/octet-stream') {
    throw new HttpProblem(415, translator(lang)('bad_image'));
  }
  return Buffer.from(await file.arrayBuffer());
}

function enforceAddressCap(c: Context, limiter: AddressLimiter, lang: Language): void {
  const decision = limiter.tryAcquire(clientAddress(c));
  if (decision.allowed) return;
  const seconds = decision.retryAfterSeconds;
  throw new HttpProblem(429, translator(lang)('rate_limited', { seconds }), { 'Retry-After': String(seconds) });
}

/** Status code and JSON for each kind of answer. */
export function answerResponse(c: Context, answer: SearchAnswer): Response {
  switch (answer.kind) {
    case 'results':
      return c.json({
        kind: answer.kind, matched: true, results: answer.cards.map(resultRecord), queryId: answer.queryId,
        next: answer.next, latencyMs: round(answer.latencyMs), message: answer.text,
      });
    case 'no-match':
      return c.json({ kind: answer.kind, matched: false, results: [], queryId: null, next: null, latencyMs: round(answer.latencyMs), message: answer.text });
    case 'text-not-found':
    case 'no-more':
      return c.json({ kind: answer.kind, matched: false, results: [], queryId: null, next: null, latencyMs: null, message: answer.text });
    case 'rate-limited':
      return failure(c, answer.kind, 429, answer.text, { 'Retry-After': String(answer.retryAfterSeconds) });
    case 'too-large':
      return failure(c, answer.kind, 413, answer.text);
    case 'bad-image':
    case 'unsupported':
      return failure(c, answer.kind, 422, answer.text);
    case 'expired':
      return failure(c, answer.kind, 410, answer.text);
    case 'unavailable':
      return failure(c, answer.kind, 503, answer.text, { 'Retry-After': '60' });
    case 'catalog-updating':
      return failure(c, answer.kind, 503, answer.text, { 'Retry-After': '120' });
    case 'error':
      return failure(c, answer.kind, 500, answer.text);
  }
}

function failure(c: Context, kind: string, status: ContentfulStatusCode, message: string, headers: Record<string, string> = {}): Response {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json({ error: message, kind }, status);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
