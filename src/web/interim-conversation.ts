/**
 * TEMPORARY: a stand-in for `assistant.conversation` (the conversation core being written on main)
 * so the web channel can be built and tested meanwhile. Deleted when the core lands; the routes
 * only depend on the {@link CustomerConversation} contract.
 */
import type { Assistant } from '../core/assistant.ts';
import type { Asker, PictureSource, ProductCard, SearchAnswer } from '../core/conversation/answers.ts';
import { translator, type Translate } from '../core/conversation/i18n/translator.ts';
import type { Product, ProductImage } from '../domain/catalog.ts';
import type { AddressLimiter, CustomerConversation } from './routes/customer.ts';

type Remembered = { kind: 'photo'; data: Buffer } | { kind: 'similar'; imageId: number } | { kind: 'text'; text: string };

/** Sliding 60-second window per key. */
export class InterimLimiter implements AddressLimiter {
  private readonly recent = new Map<string, number[]>();
  constructor(private readonly perMinute: number) {}
  tryAcquire(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = Date.now();
    const times = (this.recent.get(key) ?? []).filter((time) => now - time < 60_000);
    if (times.length >= this.perMinute) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + 60_000 - now) / 1000)) };
    times.push(now);
    this.recent.set(key, times);
    return { allowed: true };
  }
}

export class InterimConversation implements CustomerConversation {
  private readonly limiter: InterimLimiter;
  private readonly memory = new Map<string, Remembered>();
  private counter = 0;

  constructor(private readonly assistant: Assistant) {
    this.limiter = new InterimLimiter(assistant.config.search.rateLimitPerMinute);
  }

  async searchByPhoto(asker: Asker, picture: PictureSource, options: { startedAt?: number } = {}): Promise<SearchAnswer> {
    const t = translator(asker.lang);
    const refusal = this.limited(asker, t);
    if (refusal) return refusal;
    const bytes = Buffer.isBuffer(picture) ? picture : await picture().then((result) => (result.kind === 'ok' ? result.data : Buffer.alloc(0)));
    return this.photoPage(asker, t, bytes, 0, options.startedAt);
  }

  async searchByText(asker: Asker, text: string): Promise<SearchAnswer> {
    const t = translator(asker.lang);
    return this.limited(asker, t) ?? this.textPage(asker, t, text, 0);
  }

  async moreLike(asker: Asker, imageId: number): Promise<SearchAnswer> {
    const t = translator(asker.lang);
    return this.limited(asker, t) ?? this.similarPage(asker, t, imageId, 0);
  }

  async showMore(asker: Asker, queryId: string, offset: number): Promise<SearchAnswer> {
    const t = translator(asker.lang);
    const query = this.memory.get(`${asker.userRef}:${queryId}`);
    if (!query) return { kind: 'expired', text: t('expired') };
    if (query.kind === 'photo') return this.photoPage(asker, t, query.data, offset, undefined, queryId);
    if (query.kind === 'similar') return this.similarPage(asker, t, query.imageId, offset, queryId);
    return this.textPage(asker, t, query.text, offset, queryId);
  }

  private limited(asker: Asker, t: Translate): SearchAnswer | undefined {
    const decision = this.limiter.tryAcquire(`web:${asker.userRef}`);
    return decision.allowed ? undefined : { kind: 'rate-limited', text: t('rate_limited', { seconds: decision.retryAfterSeconds }), retryAfterSeconds: decision.retryAfterSeconds };
  }

  private async photoPage(asker: Asker, t: Translate, data: Buffer, offset: number, startedAt?: number, queryId?: string): Promise<SearchAnswer> {
    const page = { limit: this.assistant.config.search.topK, offset };
    try {
      const result = await this.assistant.search.searchByImage(data, 'web upload', page, { channel: 'web', userRef: asker.userRef }, startedAt);
      if (!result.matched && offset === 0) {
        void this.assistant.unmetDemand.record('web', data).catch(() => undefined);
        return { kind: 'no-match', text: t('no_match'), latencyMs: result.latencyMs };
      }
      return this.results(asker, t, result.hits, offset, { kind: 'photo', data }, queryId, result.latencyMs);
    } catch (error) {
      if (error instanceof Error && typeof (error as { reason?: unknown }).reason === 'string') return { kind: 'bad-image', text: t('bad_image'), reason: String((error as { reason?: unknown }).reason) };
      return { kind: 'error', text: t('apology') };
    }
  }

  private async similarPage(asker: Asker, t: Translate, imageId: number, offset: number, queryId?: string): Promise<SearchAnswer> {
    const result = await this.assistant.search.searchSimilarToImage(imageId, { limit: this.assistant.config.search.topK, offset }, { channel: 'web', userRef: asker.userRef });
    return this.results(asker, t, result.hits, offset, { kind: 'similar', imageId }, queryId, result.latencyMs);
  }

  private async textPage(asker: Asker, t: Translate, text: string, offset: number, queryId?: string): Promise<SearchAnswer> {
    const { products, latencyMs } = await this.assistant.search.searchByText(text, { limit: this.assistant.config.search.topK, offset }, { channel: 'web', userRef: asker.userRef });
    if (products.length === 0 && offset === 0) return { kind: 'text-not-found', text: t('text_no_results', { query: text }), query: text };
    const hits = await Promise.all(products.map(async (product) => ({ product, image: (await this.assistant.catalog.list({ limit: 1, search: product.sku, status: 'all' })).items[0]?.image, score: null })));
    return this.results(asker, t, hits, offset, { kind: 'text', text }, queryId, latencyMs);
  }

  private results(
    asker: Asker, t: Translate,
    hits: readonly { product: Product; image?: Pick<ProductImage, 'id' | 'filePath'> | null | undefined; score: number | null }[],
    offset: number, query: Remembered, queryId: string | undefined, latencyMs: number,
  ): SearchAnswer {
    if (hits.length === 0) return { kind: 'no-more', text: t('no_more') };
    const id = queryId ?? (++this.counter).toString(36);
    this.memory.set(`${asker.userRef}:${id}`, query);
    const cards: ProductCard[] = hits.map((hit, index) => {
      const priceText = new Intl.NumberFormat(asker.lang === 'ru' ? 'ru-RU' : 'en-US', { style: 'currency', currency: hit.product.currency }).format(Number(hit.product.price));
      const stockText = t('in_stock', { count: hit.product.stock });
      return {
        number: offset + index + 1, productId: hit.product.id, sku: hit.product.sku, name: hit.product.name, description: hit.product.description,
        category: hit.product.category, price: hit.product.price, currency: hit.product.currency, stock: hit.product.stock, url: hit.product.url,
        score: hit.score, image: hit.image ? { id: hit.image.id, filePath: hit.image.filePath } : null, priceText, stockText,
        caption: `#${offset + index + 1} ${hit.product.name}`,
      };
    });
    const full = hits.length >= this.assistant.config.search.topK;
    return { kind: 'results', cards, text: t('results'), queryId: id, next: full ? { queryId: id, offset: offset + hits.length } : null, latencyMs };
  }
}
