/**
 * The customer side of every channel: a photo, a text, "more like #n" or "show more" in, a typed
 * answer with its texts out. Rate limits, paging, the no-match rule and the query memory live
 * here once, so Telegram, the web chat and Instagram behave identically; channels only translate
 * their transport into these calls and render the answers.
 */
import type { Logger } from '../logger.ts';
import type { ImageQuery, ImageSearchOptions, PageRequest, Requester, SearchResult, SearchService } from '../search/search-service.ts';
import type { TextHit, TextSearch } from '../search/text-search.ts';
import type { Asker, PictureBytes, PictureSource, SearchAnswer } from './answers.ts';
import { productCards, type FoundProduct } from './cards.ts';
import { failureAnswer, imageRejectionIn } from './failures.ts';
import { formatMegabytes } from './format.ts';
import { translator, type Translate } from './i18n/translator.ts';
import { QueryMemory, type RememberedQuery } from './query-memory.ts';
import { SearchLimiter } from './rate-limiter.ts';

/** Texts longer than this are not product names; they get the "send a photo" hint. */
export const MAX_TEXT_QUERY_LENGTH = 100;
/** Deepest "show more" offset served; beyond it the results are "no more" (bounds the work per click). */
export const MAX_OFFSET = 500;

/** Records a customer photo that found nothing (the owner's unmet-demand gallery). */
export interface UnmetDemandRecorder {
  record(channel: string, picture: Buffer): Promise<void>;
}

export interface ConversationDependencies {
  readonly search: Pick<SearchService, 'searchByImage' | 'searchByQuery' | 'searchSimilarToImage' | 'checkCatalog'>;
  readonly textSearch: Pick<TextSearch, 'find'>;
  readonly logger: Logger;
  /** Products per answer (`SEARCH_TOP_K`). */
  readonly pageSize: number;
  /** New searches per person per minute (`SEARCH_RATE_LIMIT_PER_MINUTE`); "show more" is free. */
  readonly searchesPerMinute: number;
  readonly unmetDemand?: UnmetDemandRecorder;
}

export interface PhotoOptions {
  /** `performance.now()` when the channel received the photo, so logged latency covers the download. */
  readonly startedAt?: number;
  /** Called once the rate limit let the search through (a channel shows "working…" then). */
  readonly onAccepted?: () => void;
}

export class Conversation {
  private readonly limiter: SearchLimiter;
  private readonly queries = new QueryMemory();

  constructor(private readonly deps: ConversationDependencies) {
    this.limiter = new SearchLimiter(deps.searchesPerMinute);
  }

  /** Products that look like the customer's picture; the picture is fetched only after the rate limit. */
  searchByPhoto(asker: Asker, picture: PictureSource, options: PhotoOptions = {}): Promise<SearchAnswer> {
    const startedAt = options.startedAt ?? performance.now();
    return this.answering(asker, 'photo search', async (t) => {
      const refusal = this.rateLimited(asker, t);
      if (refusal) return refusal;
      options.onAccepted?.();
      // The catalog check is a database round trip: it runs while the picture downloads.
      const catalogCheck = this.deps.search.checkCatalog();
      // Reported by the search below; a picture that never gets there has no use for the outcome.
      catalogCheck.catch(() => undefined);
      const bytes = await readPicture(picture);
      if (bytes.kind === 'too-large') return tooLarge(bytes, t);
      if (bytes.kind === 'not-an-image') {
        this.deps.logger.info({ channel: asker.channel, userRef: asker.userRef, contentType: bytes.contentType }, 'customer sent no picture');
        return { kind: 'bad-image', text: t('bad_image'), reason: 'not-an-image' };
      }
      const found = await this.embedAndSearch(asker, t, bytes.data, { startedAt, catalogCheck });
      if ('kind' in found) return found;
      const queryId = this.queries.remember(personKey(asker), { kind: 'photo', query: found.query });
      if (!found.matched) this.recordUnmetDemand(asker, bytes.data);
      return this.imageAnswer(asker, t, found, queryId, 0);
    });
  }

  /** Products whose name or category matches `text`, small typos forgiven. */
  searchByText(asker: Asker, text: string): Promise<SearchAnswer> {
    return this.answering(asker, 'text search', async (t) => {
      const query = text.trim();
      if (query === '' || query.length > MAX_TEXT_QUERY_LENGTH) return { kind: 'unsupported', text: t('unsupported') };
      const refusal = this.rateLimited(asker, t);
      if (refusal) return refusal;
      const queryId = this.queries.remember(personKey(asker), { kind: 'text', text: query });
      return this.textPage(asker, t, query, queryId, 0);
    });
  }

  /** "More like #n": products that look like product image `imageId`, without that product. */
  moreLike(asker: Asker, imageId: number, options: Pick<PhotoOptions, 'onAccepted'> = {}): Promise<SearchAnswer> {
    return this.answering(asker, 'more like this', async (t) => {
      const refusal = this.rateLimited(asker, t);
      if (refusal) return refusal;
      options.onAccepted?.();
      const queryId = this.queries.remember(personKey(asker), { kind: 'similar', imageId });
      return this.similarPage(asker, t, imageId, queryId, 0);
    });
  }

  /** The page starting at `offset` of the asker's earlier query `queryId`; not rate limited. */
  showMore(asker: Asker, queryId: string, offset: number): Promise<SearchAnswer> {
    return this.answering(asker, 'show more', async (t) => {
      const query = this.queries.recall(personKey(asker), queryId);
      if (!query) return { kind: 'expired', text: t('expired') };
      if (!Number.isSafeInteger(offset) || offset < 1 || offset > MAX_OFFSET) return { kind: 'no-more', text: t('no_more') };
      return this.page(asker, t, query, queryId, offset);
    });
  }

  private page(asker: Asker, t: Translate, query: RememberedQuery, queryId: string, offset: number): Promise<SearchAnswer> {
    switch (query.kind) {
      case 'photo':
        return this.photoPage(asker, t, query.query, queryId, offset);
      case 'similar':
        return this.similarPage(asker, t, query.imageId, queryId, offset);
      case 'text':
        return this.textPage(asker, t, query.text, queryId, offset);
    }
  }

  private async embedAndSearch(asker: Asker, t: Translate, data: Buffer, options: ImageSearchOptions): Promise<(SearchResult & { query: ImageQuery }) | SearchAnswer> {
    try {
      return await this.deps.search.searchByImage(data, `${asker.channel} photo`, this.pageAt(0), requester(asker), options);
    } catch (error) {
      const rejection = imageRejectionIn(error);
      if (!rejection) throw error;
      this.deps.logger.info({ channel: asker.channel, userRef: asker.userRef, reason: rejection.reason }, 'customer image rejected');
      return { kind: 'bad-image', text: t('bad_image'), reason: rejection.reason };
    }
  }

  private async photoPage(asker: Asker, t: Translate, query: ImageQuery, queryId: string, offset: number): Promise<SearchAnswer> {
    const result = await this.deps.search.searchByQuery(query, this.pageAt(offset), requester(asker));
    return this.imageAnswer(asker, t, result, queryId, offset);
  }

  private async similarPage(asker: Asker, t: Translate, imageId: number, queryId: string, offset: number): Promise<SearchAnswer> {
    const result = await this.deps.search.searchSimilarToImage(imageId, this.pageAt(offset), requester(asker));
    return this.imageAnswer(asker, t, result, queryId, offset);
  }

  private async textPage(asker: Asker, t: Translate, text: string, queryId: string, offset: number): Promise<SearchAnswer> {
    const startedAt = performance.now();
    const hits = await this.deps.textSearch.find(text, this.pageAt(offset), requester(asker));
    if (hits.length === 0) {
      return offset === 0 ? { kind: 'text-not-found', text: t('text_no_results', { query: text.slice(0, MAX_TEXT_QUERY_LENGTH) }), query: text } : { kind: 'no-more', text: t('no_more') };
    }
    return this.results(asker, t, hits.map(textFound), queryId, offset, performance.now() - startedAt);
  }

  /** The no-match rule: a first page whose best score is under `SEARCH_MIN_SCORE` (decided by the search service). */
  private imageAnswer(asker: Asker, t: Translate, result: SearchResult, queryId: string, offset: number): SearchAnswer {
    if (result.hits.length === 0 && offset > 0) return { kind: 'no-more', text: t('no_more') };
    if (!result.matched) {
      this.deps.logger.info({ channel: asker.channel, userRef: asker.userRef }, 'search without a good match');
      return { kind: 'no-match', text: t('no_match'), latencyMs: result.latencyMs };
    }
    return this.results(asker, t, result.hits, queryId, offset, result.latencyMs);
  }

  private results(asker: Asker, t: Translate, found: readonly FoundProduct[], queryId: string, offset: number, latencyMs: number): SearchAnswer {
    const cards = productCards(found, offset, t, asker.lang);
    const next = cards.length >= this.deps.pageSize && offset + cards.length <= MAX_OFFSET ? { queryId, offset: offset + cards.length } : null;
    return { kind: 'results', cards, text: t('results'), queryId, next, latencyMs };
  }

  private rateLimited(asker: Asker, t: Translate): SearchAnswer | undefined {
    const decision = this.limiter.tryAcquire(personKey(asker));
    if (decision.allowed) return undefined;
    return { kind: 'rate-limited', text: t('rate_limited', { seconds: decision.retryAfterSeconds }), retryAfterSeconds: decision.retryAfterSeconds };
  }

  private recordUnmetDemand(asker: Asker, picture: Buffer): void {
    const recorder = this.deps.unmetDemand;
    if (!recorder) return;
    // The customer's answer must not wait for a thumbnail.
    void recorder.record(asker.channel, picture).catch((error: unknown) => {
      this.deps.logger.warn({ channel: asker.channel, err: String(error) }, 'could not record an unmatched photo');
    });
  }

  private pageAt(offset: number): PageRequest {
    return { limit: this.deps.pageSize, offset };
  }

  /** Runs one customer request; unexpected failures become the apology instead of an exception. */
  private async answering(asker: Asker, action: string, work: (t: Translate) => Promise<SearchAnswer>): Promise<SearchAnswer> {
    const t = translator(asker.lang);
    try {
      return await work(t);
    } catch (error) {
      return failureAnswer(error, asker, t, this.deps.logger, action);
    }
  }
}

/** Rate limits and remembered queries belong to one person on one channel. */
export function personKey(asker: Asker): string {
  return `${asker.channel}:${asker.userRef}`;
}

function requester(asker: Asker): Requester {
  return { channel: asker.channel, userRef: asker.userRef };
}

async function readPicture(picture: PictureSource): Promise<PictureBytes> {
  return Buffer.isBuffer(picture) ? { kind: 'ok', data: picture } : picture();
}

function tooLarge(bytes: Extract<PictureBytes, { kind: 'too-large' }>, t: Translate): SearchAnswer {
  return { kind: 'too-large', text: t('too_large', { size: formatMegabytes(bytes.bytes), limit: formatMegabytes(bytes.limit) }), bytes: bytes.bytes, limit: bytes.limit };
}

function textFound(hit: TextHit): FoundProduct {
  return { product: hit.product, image: hit.image };
}
