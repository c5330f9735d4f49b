/**
 * Catalog changes from any channel: add a product with its photos, change stock or price,
 * remove. Each product is written in one transaction, so a failure never leaves half a product.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { ImageRepository } from '../../db/repositories/images.ts';
import { ProductRepository, type ProductListItem, type ProductListQuery } from '../../db/repositories/products.ts';
import type { Product, ProductImage, ProductInput } from '../../domain/catalog.ts';
import { InvalidProductError, ProductExistsError, UnknownProductError } from '../errors.ts';
import { ImageRejectedError } from '../../ml/image-errors.ts';
import type { EmbeddingModel, ImageEmbedding } from '../ports.ts';
import type { ImageStore } from './image-store.ts';
import type { ModelConsistency } from './model-consistency.ts';
import { validateProductInput, type RawProductInput } from './product-input.ts';

export { PRODUCT_SORTS, type ProductListItem, type ProductListQuery, type ProductSort } from '../../db/repositories/products.ts';

/** Fields an owner may change on an existing product; omitted ones keep their value. */
export interface ProductChanges {
  readonly name?: unknown;
  readonly description?: unknown;
  readonly price?: unknown;
  readonly currency?: unknown;
  readonly category?: unknown;
  readonly stock?: unknown;
  readonly url?: unknown;
}

/** A photo uploaded with a new product. */
export interface UploadedPhoto {
  readonly data: Buffer;
  /** How to name it in messages (the upload's file name). */
  readonly source: string;
}

/** An image ready to store: its original bytes or path, and its embedding. */
export interface EmbeddedImage {
  readonly source: string;
  /** Original bytes, or a path to read them from, for the stored display copy. */
  readonly original: Buffer | string;
  readonly embedded: ImageEmbedding;
}

export type SaveOutcome = {
  readonly kind: 'created' | 'updated' | 'unchanged';
  readonly product: Product;
  readonly addedImages: readonly ProductImage[];
};

export class CatalogService {
  private readonly products: ProductRepository;
  private readonly images: ImageRepository;

  constructor(
    private readonly deps: {
      readonly db: Database;
      readonly store: ImageStore;
      readonly model: () => Promise<EmbeddingModel>;
      readonly consistency: () => Promise<ModelConsistency>;
      /** Called after every committed catalog change (the in-memory search index catches up). */
      readonly onChanged?: () => void;
    },
  ) {
    this.products = new ProductRepository(deps.db);
    this.images = new ImageRepository(deps.db);
  }

  /**
   * Creates or updates the product `input.sku` and attaches `images` (already embedded by the
   * active model) in one transaction. Images this product already has (same SHA-256) are skipped.
   */
  async saveProduct(input: ProductInput, images: readonly EmbeddedImage[]): Promise<SaveOutcome> {
    const model = await this.deps.model();
    await (await this.deps.consistency()).assertConsistent();
    const stored = await Promise.all(
      images.map(async (image) => ({ image, filePath: await this.deps.store.save(image.original, image.embedded.sha256) })),
    );
    const before = await this.products.findBySku(input.sku);
    const outcome = await this.deps.db.transaction(async (tx): Promise<SaveOutcome> => {
      const { product, created } = await this.products.within(tx).upsert(input);
      const addedImages: ProductImage[] = [];
      for (const { image, filePath } of stored) {
        const added = await this.images.within(tx).add({
          productId: product.id,
          source: image.source,
          filePath,
          sha256: image.embedded.sha256,
          width: image.embedded.width,
          height: image.embedded.height,
          modelId: model.modelId,
          embedding: image.embedded.embedding,
        });
        if (added) addedImages.push(added);
      }
      const kind = created ? 'created' : addedImages.length > 0 || !sameProduct(before, product) ? 'updated' : 'unchanged';
      return { kind, product, addedImages };
    });
    if (outcome.kind !== 'unchanged') this.deps.onChanged?.();
    return outcome;
  }

  /**
   * Validates owner-supplied fields and a photo, embeds it and saves the product: the path
   * behind chat `/add`. Invalid fields throw {@link InvalidProductError} before anything is stored.
   */
  async addProductWithPhoto(raw: RawProductInput, photo: Buffer, source: string): Promise<SaveOutcome> {
    const validation = validateProductInput(raw);
    if (!validation.ok) throw new InvalidProductError(source, validation.problems);
    const model = await this.deps.model();
    const embedded = await model.embed(photo, source);
    return this.saveProduct(validation.value, [{ source, original: photo, embedded }]);
  }

  /**
   * Creates a new product with one or more photos (the dashboard's "add product"). Every field and
   * every photo is checked before anything is stored; all problems are reported at once.
   * @throws {InvalidProductError} bad fields or unreadable photos. @throws {ProductExistsError} the SKU is taken.
   */
  async createProduct(raw: RawProductInput, photos: readonly UploadedPhoto[]): Promise<SaveOutcome> {
    const validation = validateProductInput(raw);
    const problems = validation.ok ? [] : [...validation.problems];
    if (photos.length === 0) problems.push('at least one photo is needed (customers search by photo)');
    const model = await this.deps.model();
    const embedded: EmbeddedImage[] = [];
    for (const photo of photos) {
      try {
        embedded.push({ source: photo.source, original: photo.data, embedded: await model.embed(photo.data, photo.source) });
      } catch (error) {
        if (!(error instanceof ImageRejectedError)) throw error;
        problems.push(error.message);
      }
    }
    if (!validation.ok || problems.length > 0) throw new InvalidProductError(typeof raw.sku === 'string' && raw.sku !== '' ? raw.sku : 'new product', problems);
    if (await this.products.findBySku(validation.value.sku)) throw new ProductExistsError(validation.value.sku);
    return this.saveProduct(validation.value, embedded);
  }

  /** A page of the catalog for the owner, with filters, sorting and the total count. */
  async list(query: ProductListQuery): Promise<{ items: ProductListItem[]; total: number }> {
    return this.products.list(query);
  }

  /** Categories of active products, with how many products each holds. */
  async categories(): Promise<{ category: string; products: number }[]> {
    return this.products.categories();
  }

  /**
   * Changes some fields of a product, validated exactly like a new product.
   * @throws {UnknownProductError} @throws {InvalidProductError} (nothing is changed then)
   */
  async update(sku: string, changes: ProductChanges): Promise<Product> {
    const product = await this.products.findBySku(sku);
    if (!product) throw new UnknownProductError(sku);
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const validation = validateProductInput({ ...product, url: product.url ?? undefined, ...defined });
    if (!validation.ok) throw new InvalidProductError(sku, validation.problems);
    return this.changed(orUnknown(sku, await this.products.update(validation.value)));
  }

  /** Shows a removed product to customers again. @throws {UnknownProductError} */
  async restore(sku: string): Promise<Product> {
    return this.changed(orUnknown(sku, await this.products.reactivate(sku)));
  }

  /** True when this product already has an image with these exact bytes (re-import check). */
  async hasImage(sku: string, sha256: string): Promise<boolean> {
    const matches = await this.images.findBySha256(sha256);
    if (matches.length === 0) return false;
    const product = await this.products.findBySku(sku);
    return product !== undefined && matches.some((image) => image.productId === product.id);
  }

  async findProduct(sku: string): Promise<Product | undefined> {
    return this.products.findBySku(sku);
  }

  /** @throws {UnknownProductError} */
  async setStock(sku: string, stock: number): Promise<Product> {
    if (!Number.isInteger(stock) || stock < 0) throw new InvalidProductError(sku, [`stock must be a whole number ≥ 0, got ${stock}`]);
    return this.changed(orUnknown(sku, await this.products.setStock(sku, stock)));
  }

  /** @param price decimal string, e.g. "19.99". @throws {UnknownProductError} */
  async setPrice(sku: string, price: string): Promise<Product> {
    const product = await this.products.findBySku(sku);
    if (!product) throw new UnknownProductError(sku);
    const validation = validateProductInput({ ...product, url: product.url ?? undefined, price });
    if (!validation.ok) throw new InvalidProductError(sku, validation.problems);
    return this.changed(orUnknown(sku, await this.products.setPrice(sku, validation.value.price)));
  }

  /** Hides the product from customers; its data and search history stay. @throws {UnknownProductError} */
  async remove(sku: string): Promise<Product> {
    return this.changed(orUnknown(sku, await this.products.deactivate(sku)));
  }

  private changed(product: Product): Product {
    this.deps.onChanged?.();
    return product;
  }
}

function orUnknown(sku: string, product: Product | undefined): Product {
  if (!product) throw new UnknownProductError(sku);
  return product;
}

function sameProduct(before: Product | undefined, after: Product): boolean {
  if (!before) return false;
  const fields = ['name', 'description', 'price', 'currency', 'category', 'stock', 'url', 'active'] as const;
  return fields.every((field) => before[field] === after[field]);
}

/** Lower-case hex SHA-256 of `data`. */
export function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
