/**
 * The owner side of the chat channels: `/add` (a photo with a caption), `/stock`, `/price`,
 * `/remove`, `/stats` and `/train`, with the same parsing, validation and texts on every channel.
 * Only askers the channel authenticated as owners get past {@link OwnerDesk.allowed}.
 */
import type { Product } from '../../domain/catalog.ts';
import type { CatalogService } from '../catalog/catalog-service.ts';
import { parseQuantity, shorten } from '../catalog/product-input.ts';
import { InvalidProductError, UnknownProductError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { searchesChartPng } from '../stats/searches-chart.ts';
import { CHART_DAYS, type StatsService } from '../stats/stats-service.ts';
import type { StartTrainingOptions, TrainingResult } from '../training/training-service.ts';
import { TrainingAbortedError } from '../training/index.ts';
import { parseAddCaption } from './add-caption.ts';
import type { Asker, OwnerAnswer, PictureSource, ProductChange, TrainingEvents } from './answers.ts';
import { failureAnswer, imageRejectionIn } from './failures.ts';
import { formatMegabytes, formatPrice } from './format.ts';
import { translator, type Translate } from './i18n/translator.ts';
import { statsText } from './stats-text.ts';

/** What `/train` needs from the training service. */
export interface TrainingRunner {
  isRunning(): boolean;
  startTraining(options: StartTrainingOptions): Promise<TrainingResult>;
}

export interface OwnerDeskDependencies {
  readonly catalog: Pick<CatalogService, 'addProductWithPhoto' | 'setStock' | 'setPrice' | 'remove'>;
  readonly stats: Pick<StatsService, 'collect'>;
  readonly training: TrainingRunner;
  readonly logger: Logger;
  /** ISO 4217 code for prices typed without one (`SHOP_CURRENCY`). */
  readonly currency: string;
}

/** Longest SKU echoed back in a reply (SKUs are at most 64 characters; anything longer is a typo). */
const ECHO_SKU_LENGTH = 64;

export class OwnerDesk {
  private training: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;

  constructor(private readonly deps: OwnerDeskDependencies) {}

  /** How to add a product (the answer to a bare `/add`). */
  addUsage(asker: Asker): OwnerAnswer {
    return this.owned(asker, (t) => ({ kind: 'usage', text: this.usage(t) }));
  }

  /**
   * `/add`: `caption` is the text after the command; the product is stored with `picture`
   * (undefined when the message carried a file that is not an image).
   */
  addProduct(asker: Asker, caption: string, picture: PictureSource | undefined): Promise<OwnerAnswer> {
    return this.ownedAsync(asker, 'add product', async (t) => {
      const parsed = parseAddCaption(caption, this.deps.currency);
      if (!parsed.ok) return this.invalidAdd(t, parsed.problems);
      if (picture === undefined) return { kind: 'bad-image', text: t('bad_image'), reason: 'not-an-image' };
      const bytes = Buffer.isBuffer(picture) ? { kind: 'ok' as const, data: picture } : await picture();
      if (bytes.kind === 'too-large') {
        return { kind: 'too-large', text: t('too_large', { size: formatMegabytes(bytes.bytes), limit: formatMegabytes(bytes.limit) }), bytes: bytes.bytes, limit: bytes.limit };
      }
      if (bytes.kind === 'not-an-image') return { kind: 'bad-image', text: t('bad_image'), reason: 'not-an-image' };
      try {
        const saved = await this.deps.catalog.addProductWithPhoto(parsed.input, bytes.data, `${asker.channel}:/add by ${asker.userRef}`);
        this.deps.logger.info({ channel: asker.channel, userRef: asker.userRef, sku: saved.product.sku, kind: saved.kind }, 'product added from chat');
        return this.productAnswer(t, asker, { change: saved.kind, product: saved.product, addedImages: saved.addedImages.length });
      } catch (error) {
        if (error instanceof InvalidProductError) return this.invalidAdd(t, error.problems);
        const rejection = imageRejectionIn(error);
        if (rejection) return { kind: 'bad-image', text: t('bad_image'), reason: rejection.reason };
        throw error;
      }
    });
  }

  /** `/stock <sku> <quantity>`. */
  setStock(asker: Asker, args: string): Promise<OwnerAnswer> {
    return this.ownedAsync(asker, 'set stock', async (t) => {
      const [sku, value, ...rest] = words(args);
      if (sku === undefined || value === undefined || rest.length > 0) return { kind: 'usage', text: t('stock_usage') };
      const quantity = parseQuantity(value);
      if (!quantity.ok) return { kind: 'invalid', text: t('invalid_value', { problems: quantity.problem }), problems: [quantity.problem] };
      return this.change(t, asker, sku, 'stock', () => this.deps.catalog.setStock(sku, quantity.value));
    });
  }

  /** `/price <sku> <price>`. */
  setPrice(asker: Asker, args: string): Promise<OwnerAnswer> {
    return this.ownedAsync(asker, 'set price', async (t) => {
      const [sku, value, ...rest] = words(args);
      if (sku === undefined || value === undefined || rest.length > 0) return { kind: 'usage', text: t('price_usage') };
      return this.change(t, asker, sku, 'price', () => this.deps.catalog.setPrice(sku, value));
    });
  }

  /** `/remove <sku>`: hides the product from customers. */
  remove(asker: Asker, args: string): Promise<OwnerAnswer> {
    return this.ownedAsync(asker, 'remove product', async (t) => {
      const [sku, ...rest] = words(args);
      if (sku === undefined || rest.length > 0) return { kind: 'usage', text: t('remove_usage') };
      return this.change(t, asker, sku, 'removed', () => this.deps.catalog.remove(sku));
    });
  }

  /** `/stats`: the figures as text and a chart of searches per day. */
  stats(asker: Asker): Promise<OwnerAnswer> {
    return this.ownedAsync(asker, 'stats', async (t) => {
      const stats = await this.deps.stats.collect(new Date());
      const title = t('stats_chart', { days: CHART_DAYS });
      return { kind: 'stats', text: statsText(stats, t), stats, chart: { png: await searchesChartPng(stats.searchesPerDay, title), title } };
    });
  }

  /**
   * `/train`: starts a run in the background and answers at once, so the owner's chat stays
   * responsive; progress and the end arrive through `events`. A second `/train` while one runs
   * (from any channel or the schedule) is refused.
   */
  train(asker: Asker, events: TrainingEvents): OwnerAnswer {
    return this.owned(asker, (t) => {
      if (this.training || this.deps.training.isRunning()) return { kind: 'training-running', text: t('train_running') };
      const abort = new AbortController();
      const done = this.runTraining(asker, t, events, abort.signal).finally(() => {
        this.training = undefined;
      });
      this.training = { abort, done };
      return { kind: 'training-started', text: t('train_started') };
    });
  }

  /** True while a `/train` started here is running. */
  isTraining(): boolean {
    return this.training !== undefined;
  }

  /** Aborts a running `/train` (shutdown) and waits for it to wind down. */
  async close(): Promise<void> {
    const running = this.training;
    if (!running) return;
    running.abort.abort();
    await running.done;
  }

  private async runTraining(asker: Asker, t: Translate, events: TrainingEvents, signal: AbortSignal): Promise<void> {
    const finished = await this.trainingOutcome(asker, t, events, signal);
    try {
      await events.onFinished(finished);
    } catch (error) {
      this.deps.logger.warn({ channel: asker.channel, err: String(error) }, 'could not report the end of training');
    }
  }

  private async trainingOutcome(asker: Asker, t: Translate, events: TrainingEvents, signal: AbortSignal): Promise<OwnerAnswer> {
    try {
      const result = await this.deps.training.startTraining({
        trigger: 'chat',
        signal,
        onEpoch: (epoch) => events.onProgress(epoch.epoch / epoch.epochs),
      });
      this.deps.logger.info({ channel: asker.channel, status: result.status, runId: result.runId }, 'chat training finished');
      if (result.status !== 'success') return { kind: 'training-skipped', text: t('train_skipped', { reason: result.reason }) };
      const verdict = result.promoted ? t('train_promoted') : t('train_kept', { reason: result.promotionReason });
      const accuracy = `${(result.valAccuracy * 100).toFixed(1)}%`;
      const summary = t('train_summary', { recipe: result.recipe, categories: result.classes.length, accuracy, verdict });
      return { kind: 'training-finished', text: t('train_done', { summary }), charts: [result.files.curves, result.files.confusion] };
    } catch (error) {
      const reason = error instanceof TrainingAbortedError ? 'stopped because the shop is shutting down' : error instanceof Error ? error.message : String(error);
      this.deps.logger.error({ channel: asker.channel, err: String(error) }, 'chat training failed');
      return { kind: 'training-failed', text: t('train_failed', { reason }) };
    }
  }

  private async change(t: Translate, asker: Asker, sku: string, change: ProductChange['change'], apply: () => Promise<Product>): Promise<OwnerAnswer> {
    try {
      return this.productAnswer(t, asker, { change, product: await apply(), addedImages: 0 });
    } catch (error) {
      if (error instanceof UnknownProductError) return { kind: 'unknown-product', text: t('unknown_sku', { sku: shorten(sku, ECHO_SKU_LENGTH) }), sku };
      if (error instanceof InvalidProductError) return { kind: 'invalid', text: t('invalid_value', { problems: error.problems.join('; ') }), problems: error.problems };
      throw error;
    }
  }

  private productAnswer(t: Translate, asker: Asker, result: ProductChange): OwnerAnswer {
    const { product } = result;
    const price = formatPrice(product.price, product.currency, asker.lang);
    return { kind: 'product', text: productText(t, result, price), ...result };
  }

  private invalidAdd(t: Translate, problems: readonly string[]): OwnerAnswer {
    return { kind: 'invalid', text: t('add_invalid', { problems: problems.join('; '), usage: this.usage(t) }), problems };
  }

  private usage(t: Translate): string {
    return t('add_usage', { currency: this.deps.currency });
  }

  private owned(asker: Asker, work: (t: Translate) => OwnerAnswer): OwnerAnswer {
    const t = translator(asker.lang);
    return asker.isOwner ? work(t) : { kind: 'not-allowed', text: t('not_allowed') };
  }

  private async ownedAsync(asker: Asker, action: string, work: (t: Translate) => Promise<OwnerAnswer>): Promise<OwnerAnswer> {
    const t = translator(asker.lang);
    if (!asker.isOwner) return { kind: 'not-allowed', text: t('not_allowed') };
    try {
      return await work(t);
    } catch (error) {
      return failureAnswer(error, asker, t, this.deps.logger, action);
    }
  }
}

function productText(t: Translate, { change, product, addedImages }: ProductChange, price: string): string {
  switch (change) {
    case 'created':
    case 'updated':
    case 'unchanged': {
      const details = t('add_details', { sku: product.sku, price, category: product.category, stock: product.stock, images: addedImages });
      return `${t(`add_done_${change}`, { name: product.name })}\n${details}`;
    }
    case 'stock':
      return t('stock_done', { sku: product.sku, stock: product.stock });
    case 'price':
      return t('price_done', { sku: product.sku, price });
    case 'removed':
      return t('remove_done', { sku: product.sku });
  }
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}
