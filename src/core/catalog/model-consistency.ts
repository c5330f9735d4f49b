import type { CatalogStateRepository } from '../../db/repositories/catalog-state.ts';
import type { ImageRepository } from '../../db/repositories/images.ts';
import { catalogModelMismatch } from '../errors.ts';

/**
 * Guards against comparing vectors from different backbones. The check runs once per catalog
 * revision and uses the model_id index, so it stays cheap at any catalog size.
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

  /**
   * @returns the catalog revision that was checked (searches use it to know the catalog is unchanged).
   * @throws {ModelMismatchError} when any stored embedding came from another model.
   */
  async assertConsistent(): Promise<number> {
    const { revision } = await this.state.revision();
    if (revision === this.verifiedRevision) return revision;
    // The cheap existence check runs after every catalog change; the counts only for the error.
    if (await this.images.hasEmbeddingsOtherThan(this.activeModelId)) throw catalogModelMismatch(this.activeModelId, await this.foreignEmbeddings());
    this.verifiedRevision = revision;
    return revision;
  }
}
