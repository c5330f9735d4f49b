import type { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import type { ImageRepository } from '../../db/repositories/images.ts';
import { catalogModelMismatch } from '../errors.ts';

/**
 * Guards against comparing vectors from different backbones. The check is a GROUP BY over the
 * images table, so its result is remembered per catalog revision.
 */
export class ModelConsistency {
  private verifiedRevision: number | undefined;

  constructor(
    private readonly images: ImageRepository,
    private readonly state: CatalogStateRepository,
    private readonly activeModelId: string,
  ) {}

  /** Images embedded by another model than the active one, per model id (empty when consistent). */
  async foreignEmbeddings(): Promise<Map<string, number>> {
    const counts = await this.images.countByModel();
    counts.delete(this.activeModelId);
    return counts;
  }

  /** @throws {ModelMismatchError} when any stored embedding came from another model. */
  async assertConsistent(): Promise<void> {
    const { revision } = await this.state.revision();
    if (revision === this.verifiedRevision) return;
    const foreign = await this.foreignEmbeddings();
    if (foreign.size > 0) throw catalogModelMismatch(this.activeModelId, foreign);
    this.verifiedRevision = revision;
  }
}
