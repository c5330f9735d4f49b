/**
 * The in-memory search index: the active model's catalog embeddings held in a worker thread, so a
 * photo search scans 10,000 products in about a millisecond without ever blocking the main thread
 * (see bench/vector-index.bench.ts for the designs compared). The database stays the store of
 * record: the index follows it by catalog revision — before every search it reads the revision
 * and, when it moved, applies only the rows changed since (migration 006), whoever made them.
 */
import { Worker } from 'node:worker_threads';
import type { Database } from '../../../db/database.ts';
import { EmbeddingFeedRepository, type CatalogChanges } from '../../../db/repositories/embedding-feed.ts';
import { workerEntrySource } from '../../../project-layout.ts';
import type { IndexReply, IndexRequest, IndexStats, IndexWorkerData } from './protocol.ts';
import type { CandidateFilter, Candidates } from './vector-store.ts';

/** Image embeddings fetched per query while loading: ≈2 MB of halfvecs, a few ms of database time. */
const LOAD_CHUNK = 500;

const BOOTSTRAP = workerEntrySource(import.meta.url, 'worker');

export interface EmbeddingIndexOptions {
  readonly db: Database;
  /** Only embeddings made by this backbone are indexed. */
  readonly modelId: string;
  /** Length of the model's embeddings (2048 for ResNet-50). */
  readonly dimension: number;
  /** Told about failures of background refreshes (a search then retries the refresh itself). */
  readonly warn?: (details: object, message: string) => void;
}

/**
 * What a completed sync did: loaded the whole catalog again, or applied the rows changed between
 * two revisions. Products and images listed were changed, hidden or deleted; nothing else moved.
 */
export type IndexUpdate =
  | { readonly kind: 'reloaded'; readonly revision: number }
  | { readonly kind: 'advanced'; readonly from: number; readonly to: number; readonly productIds: readonly number[]; readonly imageIds: readonly number[] };

export class EmbeddingIndex {
  private readonly feed: EmbeddingFeedRepository;
  /** Catalog revision the index reflects; undefined before the first load. */
  private revision: number | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private failure: Error | undefined;
  private readonly listeners = new Set<(update: IndexUpdate) => void>();

  private constructor(
    private readonly options: EmbeddingIndexOptions,
    private readonly worker: Worker,
  ) {
    this.feed = new EmbeddingFeedRepository(options.db);
    worker.on('message', (reply: IndexReply) => this.settle(reply));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`search index worker exited with code ${code}`)));
    worker.unref();
  }

  /** Starts the worker and loads every embedding of `options.modelId`. */
  static async open(options: EmbeddingIndexOptions): Promise<EmbeddingIndex> {
    const workerData: IndexWorkerData = { dimension: options.dimension };
    const index = new EmbeddingIndex(options, new Worker(BOOTSTRAP, { eval: true, workerData }));
    try {
      await index.sync();
    } catch (error) {
      await index.close();
      throw error;
    }
    return index;
  }

  /** The catalog revision the index reflects (after the last completed sync). */
  get catalogRevision(): number | undefined {
    return this.revision;
  }

  /**
   * Brings the index up to the database's current catalog revision. Calls made while a sync runs
   * share one follow-up sync, which starts after the running one and so sees the caller's changes.
   */
  sync(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.catchUp().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.then(
      () => this.syncAfterQueue(),
      () => this.syncAfterQueue(),
    );
    return this.queued;
  }

  /** Resolves when no sync is running (without starting one); never rejects. */
  async settled(): Promise<void> {
    while (this.running !== undefined || this.queued !== undefined) await (this.queued ?? this.running)!.catch(() => undefined);
  }

  /**
   * Tells `listener` about every sync that moves the index to another revision, as it completes
   * (before any search sees the new revision).
   * @returns a function that stops the telling.
   */
  onUpdate(listener: (update: IndexUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a sync in the background, for callers that just changed the catalog. Never throws. */
  syncSoon(): void {
    this.sync().catch((error: unknown) => this.options.warn?.({ err: String(error) }, 'search index refresh failed; the next search retries'));
  }

  /**
   * The `wanted` products whose images are closest to the query, closest first, ranked exactly
   * (see VectorStore.nearestProducts): searchable (active, in stock as of the last sync) products
   * only, one per product, filtered as asked.
   * @param margin extra products the fast scan proposes for the exact ranking.
   */
  async nearest(near: { embedding: Float32Array } | { imageId: number }, wanted: number, margin: number, filter: CandidateFilter = {}): Promise<Candidates> {
    return (await this.request({ type: 'nearest', near, wanted, margin, filter })) as Candidates;
  }

  async stats(): Promise<IndexStats> {
    return (await this.request({ type: 'stats' })) as IndexStats;
  }

  /** Stops the worker. Safe to call twice. */
  async close(): Promise<void> {
    this.failure ??= new Error('search index is closed');
    await this.worker.terminate();
  }

  private syncAfterQueue(): Promise<void> {
    this.queued = undefined;
    return this.sync();
  }

  private async catchUp(): Promise<void> {
    const revision = await this.feed.revision();
    if (revision === this.revision) return;
    // A revision that went backwards means another database (a restored backup): start over.
    if (this.revision === undefined || revision < this.revision) {
      await this.reload();
      return;
    }
    await this.apply(await this.feed.changesSince(this.revision, this.options.modelId));
  }

  private async reload(): Promise<void> {
    const snapshot = await this.feed.snapshot(this.options.modelId);
    await this.request({ type: 'clear' });
    await this.request({ type: 'setProducts', products: snapshot.products });
    await this.loadEmbeddings(snapshot.imageIds);
    this.revision = snapshot.revision;
    this.announce({ kind: 'reloaded', revision: snapshot.revision });
  }

  private async apply(changes: CatalogChanges): Promise<void> {
    const stale = changes.images.filter((image) => !image.current).map((image) => image.id);
    const removed = [...changes.deletedImageIds, ...stale];
    if (removed.length > 0) await this.request({ type: 'removeImages', ids: removed });
    if (changes.deletedProductIds.length > 0) await this.request({ type: 'removeProducts', ids: changes.deletedProductIds });
    if (changes.products.length > 0) await this.request({ type: 'setProducts', products: changes.products });
    await this.loadEmbeddings(changes.images.filter((image) => image.current).map((image) => image.id));
    const from = this.revision!;
    this.revision = changes.revision;
    this.announce({
      kind: 'advanced',
      from,
      to: changes.revision,
      productIds: [...changes.products.map((product) => product.id), ...changes.deletedProductIds],
      imageIds: [...changes.images.map((image) => image.id), ...changes.deletedImageIds],
    });
  }

  private announce(update: IndexUpdate): void {
    for (const listener of this.listeners) listener(update);
  }

  /** Fetches and sends embeddings in chunks, so no single database call holds the main thread long. */
  private async loadEmbeddings(imageIds: readonly number[]): Promise<void> {
    for (let start = 0; start < imageIds.length; start += LOAD_CHUNK) {
      const rows = await this.feed.embeddings(imageIds.slice(start, start + LOAD_CHUNK), this.options.modelId);
      if (rows.count === 0) continue;
      if (rows.dimension !== this.options.dimension) {
        throw new Error(`stored embeddings have ${rows.dimension} dimensions, the model ${this.options.dimension}`);
      }
      const { imageIds: ids, productIds, halves } = rows;
      await this.request({ type: 'upsertImages', imageIds: ids, productIds, halves }, [ids.buffer, productIds.buffer, halves.buffer] as ArrayBuffer[]);
    }
  }

  private request(request: IndexRequest, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    const reply = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, request }, transfer);
    return reply;
  }

  private settle(reply: IndexReply): void {
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(new Error(`search index: ${reply.message}`));
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
