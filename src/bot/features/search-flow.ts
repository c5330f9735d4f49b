/**
 * The search flows shared by photo, album, text and button handlers: check the rate limit, show
 * a chat action, ask the core, and answer with a media group plus a message of buttons.
 */
import type { BotContext, BotServices } from '../context.ts';
import { isImageRejection } from '../errors.ts';
import { formatMegabytes } from '../render/format.ts';
import { photosOf, resultsKeyboard, textOnlyLines, type ResultItem } from '../render/results.ts';
import type { RememberedQuery } from '../services/query-memory.ts';

/** A customer's picture: a photo size or an image document. */
export interface IncomingPicture {
  readonly fileId: string;
  readonly fileSize?: number;
}

const CHANNEL = 'telegram';

/** Who is asking, for the search log: the Telegram user id only. */
function requester(ctx: BotContext): { channel: string; userRef: string | null } {
  return { channel: CHANNEL, userRef: ctx.from ? String(ctx.from.id) : null };
}

/** Applies the per-user limit; replies and returns false when the user must wait. */
export async function withinRateLimit(ctx: BotContext, services: BotServices): Promise<boolean> {
  const userId = ctx.from?.id;
  if (userId === undefined) return true;
  const decision = services.limiter.tryAcquire(userId);
  if (decision.allowed) return true;
  await ctx.reply(ctx.t('rate_limited', { seconds: decision.retryAfterSeconds }));
  return false;
}

/** Shows "sending photo…" without delaying the answer; a failed chat action is not worth an error. */
function showWorking(ctx: BotContext, services: BotServices): void {
  void ctx.replyWithChatAction('upload_photo').catch((error: unknown) => {
    services.logger.debug({ err: String(error) }, 'chat action failed');
  });
}

/**
 * Downloads `picture` and searches by it, answering the customer in every case.
 * @param startedAt `performance.now()` when the update arrived, so logged latency covers the download.
 */
export async function searchByPicture(ctx: BotContext, services: BotServices, picture: IncomingPicture, offset = 0, startedAt = performance.now()): Promise<void> {
  if (offset === 0 && !(await withinRateLimit(ctx, services))) return;
  showWorking(ctx, services);
  const download = await services.files.download(ctx.api, picture.fileId, picture.fileSize);
  if (download.kind === 'too-large') {
    await ctx.reply(ctx.t('too_large', { size: formatMegabytes(download.bytes), limit: formatMegabytes(download.limit) }));
    return;
  }
  const { config, assistant } = services;
  let answer;
  try {
    answer = await assistant.search.searchByImage(download.data, 'telegram photo', { limit: config.search.topK, offset }, requester(ctx), startedAt);
  } catch (error) {
    if (!isImageRejection(error)) throw error;
    services.logger.info({ userId: ctx.from?.id, reason: error.reason }, 'customer image rejected');
    await ctx.reply(ctx.t('bad_image'));
    return;
  }
  await answerHits(ctx, services, answer, { kind: 'photo', fileId: picture.fileId }, offset);
}

/** "More like #n": products that look like product image `imageId`. */
export async function searchSimilar(ctx: BotContext, services: BotServices, imageId: number, offset = 0): Promise<void> {
  if (offset === 0 && !(await withinRateLimit(ctx, services))) return;
  showWorking(ctx, services);
  const page = { limit: services.config.search.topK, offset };
  const answer = await services.assistant.search.searchSimilarToImage(imageId, page, requester(ctx));
  await answerHits(ctx, services, answer, { kind: 'similar', imageId }, offset);
}

/** Name/category search; points to photo search when nothing matches. */
export async function searchText(ctx: BotContext, services: BotServices, text: string, offset = 0): Promise<void> {
  if (offset === 0 && !(await withinRateLimit(ctx, services))) return;
  const page = { limit: services.config.search.topK, offset };
  const hits = await services.textSearch.find(text, page, requester(ctx));
  if (hits.length === 0) {
    await ctx.reply(offset === 0 ? ctx.t('text_no_results', { query: text.slice(0, 100) }) : ctx.t('no_more'));
    return;
  }
  await sendResults(ctx, services, numbered(hits, offset), { kind: 'text', text }, offset);
}

async function answerHits(
  ctx: BotContext,
  services: BotServices,
  answer: { hits: readonly { product: ResultItem['product']; image: NonNullable<ResultItem['image']> }[]; matched: boolean },
  query: RememberedQuery,
  offset: number,
): Promise<void> {
  if (answer.hits.length === 0 && offset > 0) {
    await ctx.reply(ctx.t('no_more'));
    return;
  }
  if (!answer.matched) {
    services.logger.info({ userId: ctx.from?.id, kind: query.kind }, 'search without a good match');
    await ctx.reply(ctx.t('no_match'));
    return;
  }
  await sendResults(ctx, services, numbered(answer.hits, offset), query, offset);
}

function numbered(hits: readonly { product: ResultItem['product']; image: ResultItem['image'] }[], offset: number): ResultItem[] {
  return hits.map((hit, index) => ({ number: offset + index + 1, product: hit.product, image: hit.image }));
}

/** The media group of product photos, then one message with the buttons. */
async function sendResults(ctx: BotContext, services: BotServices, items: readonly ResultItem[], query: RememberedQuery, offset: number): Promise<void> {
  await services.media.send(ctx, photosOf(items, ctx.t, ctx.lang));
  const pageFull = items.length >= services.config.search.topK;
  const next = pageFull ? { queryId: services.queries.remember(query), offset: offset + items.length } : undefined;
  const extra = textOnlyLines(items, ctx.t, ctx.lang);
  const text = extra.length > 0 ? `${ctx.t('results')}\n\n${ctx.t('results_text_only', { list: extra.join('\n') })}` : ctx.t('results');
  await ctx.reply(text, { reply_markup: resultsKeyboard(items, ctx.t, next) });
}
