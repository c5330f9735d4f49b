/**
 * The active category head, loaded from the database for the loaded backbone. Search asks it for
 * the query's category; it answers `undefined` when there is no usable head.
 */
import type { Database } from '../../db/database.ts';
import { ClassifierModelRepository } from '../../db/repositories/classifier-models.ts';
import { deserializeHead, predictCategory, type CategoryPrediction, type ClassifierHead, type SerializedHead } from '../../../training/head.ts';

export type { CategoryPrediction } from '../../../training/head.ts';

/** How long a loaded head is trusted before the database is asked again, in ms. */
const HEAD_CACHE_MS = 30_000;

/** Predicts categories with the active head; reloads after {@link CategoryClassifier.invalidate}. */
export class CategoryClassifier {
  private loaded: Promise<{ id: string; head: ClassifierHead } | undefined> | undefined;
  private loadedAt = 0;

  constructor(private readonly deps: { readonly db: Database; readonly backboneModelId: () => Promise<string> }) {}

  /**
   * Category, confidence (softmax probability, 0–1) and top-3 for raw pooled backbone features
   * (length = backbone dimension, not normalized); undefined when no head is active for this backbone.
   */
  async predict(features: Float32Array): Promise<CategoryPrediction | undefined> {
    const active = await this.active();
    return active ? predictCategory(active.head, features) : undefined;
  }

  /** Id of the head in use, if any. */
  async activeId(): Promise<string | undefined> {
    return (await this.active())?.id;
  }

  /** Forget the cached head (after training, promote or rollback). */
  invalidate(): void {
    this.loaded = undefined;
  }

  private active(): Promise<{ id: string; head: ClassifierHead } | undefined> {
    // Another process (`npx shoplens train`, `model promote`) may change the active head; a
    // bounded cache age lets a running bot pick that up without a restart.
    if (Date.now() - this.loadedAt > HEAD_CACHE_MS) this.loaded = undefined;
    if (!this.loaded) this.loadedAt = Date.now();
    this.loaded ??= this.load().catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  private async load(): Promise<{ id: string; head: ClassifierHead } | undefined> {
    const repository = new ClassifierModelRepository(this.deps.db);
    const stored = await repository.active();
    if (!stored || stored.backboneModelId !== (await this.deps.backboneModelId())) return undefined;
    const parameters = (await repository.parameters(stored.id)) as SerializedHead;
    return { id: stored.id, head: deserializeHead(parameters) };
  }
}
