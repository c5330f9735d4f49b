/**
 * `model list | promote <id> | rollback` and backbone invalidation: managing which trained head
 * is active.
 */
import type { Database } from '../../db/database.ts';
import { ClassifierModelRepository, type StoredHead } from '../../db/repositories/classifier-models.ts';
import { OperationalError } from '../../domain/errors.ts';

/** A head id that does not exist, or cannot serve the loaded backbone. */
export class HeadNotUsableError extends OperationalError {
  constructor(message: string) {
    super(message);
    this.name = 'HeadNotUsableError';
  }
}

export class HeadRegistry {
  private readonly heads: ClassifierModelRepository;

  constructor(private readonly deps: { readonly db: Database; readonly onActiveHeadChanged?: () => void }) {
    this.heads = new ClassifierModelRepository(deps.db);
  }

  /** Every stored head, newest first. */
  list(): Promise<StoredHead[]> {
    return this.heads.list();
  }

  active(): Promise<StoredHead | undefined> {
    return this.heads.active();
  }

  /**
   * Makes `id` the active head.
   * @throws {HeadNotUsableError} for an unknown id or a head trained on another backbone.
   */
  async promote(id: string, backboneModelId: string): Promise<StoredHead> {
    const head = await this.heads.find(id);
    if (!head) throw new HeadNotUsableError(`No trained head with id "${id}". See \`npx shoplens model list\`.`);
    if (head.backboneModelId !== backboneModelId) {
      throw new HeadNotUsableError(`Head ${id} was trained on backbone ${head.backboneModelId}, but ${backboneModelId} is loaded; train a new head.`);
    }
    await this.deps.db.transaction((tx) => this.heads.within(tx).activate(id));
    this.deps.onActiveHeadChanged?.();
    return (await this.heads.find(id))!;
  }

  /**
   * Re-activates the head that was active before the current one (same backbone).
   * @throws {HeadNotUsableError} when there is none.
   */
  async rollback(backboneModelId: string): Promise<StoredHead> {
    const previous = await this.heads.previous(backboneModelId);
    if (!previous) throw new HeadNotUsableError('There is no previously active head to roll back to.');
    return this.promote(previous.id, backboneModelId);
  }

  /**
   * Deactivates a head trained on another backbone than the loaded one (its predictions would be
   * meaningless). Returns true when one was deactivated, i.e. a retrain is due.
   */
  async invalidateForBackbone(backboneModelId: string): Promise<boolean> {
    const changed = (await this.heads.deactivateOtherBackbones(backboneModelId)) > 0;
    if (changed) this.deps.onActiveHeadChanged?.();
    return changed;
  }
}
