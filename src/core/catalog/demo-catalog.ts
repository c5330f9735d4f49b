/**
 * The one-click demo catalog for a first start: a dozen clearly labelled products ("Demo …",
 * SKUs `DEMO-…`) with generated pictures, so a newcomer sees a photo search work within a minute.
 * Demo products are recorded as such, so removing them never touches the owner's own products.
 */
import type { Database } from '../../db/database.ts';
import { DemoProductRepository } from '../../db/repositories/demo-products.ts';
import type { EmbeddingModel } from '../ports.ts';
import type { CatalogService } from './catalog-service.ts';
import { demoCustomerPhoto, demoPng, type DemoShape } from './demo-art.ts';
import type { ImageStore } from './image-store.ts';

interface DemoItem {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly shape: DemoShape;
  readonly colour: string;
  readonly accent: string;
  readonly price: string;
  readonly stock: number;
  /** Offered as a "try this photo" sample in the chat. */
  readonly sample?: boolean;
}

const ITEMS: readonly DemoItem[] = [
  { sku: 'DEMO-TSHIRT-RED', name: 'Demo red T-shirt', category: 'Demo T-shirts', shape: 'tshirt', colour: '#d7263d', accent: '#8c1727', price: '19.90', stock: 8, sample: true },
  { sku: 'DEMO-TSHIRT-BLUE', name: 'Demo blue T-shirt', category: 'Demo T-shirts', shape: 'tshirt', colour: '#1b6ac9', accent: '#0e3d75', price: '19.90', stock: 5 },
  { sku: 'DEMO-TSHIRT-GREEN', name: 'Demo green T-shirt', category: 'Demo T-shirts', shape: 'tshirt', colour: '#2e9e4f', accent: '#1a5e2e', price: '17.50', stock: 3 },
  { sku: 'DEMO-DRESS-YELLOW', name: 'Demo yellow dress', category: 'Demo dresses', shape: 'dress', colour: '#f2c230', accent: '#b58a10', price: '49.00', stock: 2, sample: true },
  { sku: 'DEMO-DRESS-PURPLE', name: 'Demo purple dress', category: 'Demo dresses', shape: 'dress', colour: '#7b3fb5', accent: '#4a2370', price: '54.00', stock: 4 },
  { sku: 'DEMO-CAP-BLACK', name: 'Demo black cap', category: 'Demo caps', shape: 'cap', colour: '#26262b', accent: '#6b6b75', price: '12.00', stock: 9, sample: true },
  { sku: 'DEMO-CAP-ORANGE', name: 'Demo orange cap', category: 'Demo caps', shape: 'cap', colour: '#f07a1a', accent: '#9e4a06', price: '12.00', stock: 6 },
  { sku: 'DEMO-SNEAKER-PINK', name: 'Demo pink sneakers', category: 'Demo sneakers', shape: 'sneaker', colour: '#f06fa5', accent: '#ffffff', price: '65.00', stock: 2, sample: true },
  { sku: 'DEMO-SNEAKER-NAVY', name: 'Demo navy sneakers', category: 'Demo sneakers', shape: 'sneaker', colour: '#1f2f5c', accent: '#e8e8e8', price: '69.00', stock: 3 },
  { sku: 'DEMO-BAG-BROWN', name: 'Demo brown bag', category: 'Demo bags', shape: 'bag', colour: '#8a5a34', accent: '#4d3019', price: '39.00', stock: 4 },
  { sku: 'DEMO-BAG-TEAL', name: 'Demo teal bag', category: 'Demo bags', shape: 'bag', colour: '#1a9c9c', accent: '#0d5656', price: '42.00', stock: 1 },
  { sku: 'DEMO-SCARF-STRIPED', name: 'Demo striped scarf', category: 'Demo scarves', shape: 'scarf', colour: '#e9e4d8', accent: '#c0392b', price: '15.00', stock: 7 },
];

/** A "try this photo" sample for the chat: a customer-like photo of a demo product. */
export interface DemoSample {
  /** Stable, URL-safe id. */
  readonly id: string;
  /** The product it shows (English; the chat shows it as alt text). */
  readonly label: string;
  /** JPEG bytes. */
  readonly jpeg: Buffer;
}

export interface DemoCatalogDependencies {
  readonly db: Database;
  readonly catalog: CatalogService;
  readonly store: ImageStore;
  readonly model: () => Promise<EmbeddingModel>;
  /** Currency of the demo prices (`SHOP_CURRENCY`). */
  readonly currency: string;
  /** Called after the demo products were deleted (the search index drops them at once). */
  readonly onChanged?: () => void;
}

export class DemoCatalog {
  private readonly demo: DemoProductRepository;
  private samplesPromise: Promise<DemoSample[]> | undefined;

  constructor(private readonly deps: DemoCatalogDependencies) {
    this.demo = new DemoProductRepository(deps.db);
  }

  /** How many demo products are in the catalog (0: not loaded). */
  async loaded(): Promise<number> {
    return this.demo.count();
  }

  /**
   * Adds the demo products (skipping any SKU the catalog already has) and returns how many were
   * added. Safe to call twice.
   */
  async load(): Promise<number> {
    const model = await this.deps.model();
    let added = 0;
    for (const item of ITEMS) {
      if (await this.deps.catalog.findProduct(item.sku)) continue;
      const png = await demoPng(item.shape, item.colour, item.accent);
      const source = `demo:${item.sku}`;
      const outcome = await this.deps.catalog.saveProduct(
        { sku: item.sku, name: item.name, description: 'Part of the ShopLens demo catalog.', price: item.price, currency: this.deps.currency, category: item.category, stock: item.stock },
        [{ source, original: png, embedded: await model.embed(png, source) }],
      );
      await this.demo.mark(outcome.product.id);
      added += 1;
    }
    return added;
  }

  /** Deletes every demo product, its images and their stored files; returns how many products. */
  async remove(): Promise<number> {
    const files = await this.demo.imageFiles();
    const removed = await this.deps.db.transaction((tx) => this.demo.within(tx).deleteAll());
    if (removed > 0) this.deps.onChanged?.();
    const kept = await this.demo.stillReferenced(files);
    await Promise.all(files.filter((file) => !kept.has(file)).map((file) => this.deps.store.remove(file)));
    return removed;
  }

  /** Customer-like photos of a few demo products (made once, then kept in memory). */
  samples(): Promise<DemoSample[]> {
    this.samplesPromise ??= Promise.all(
      ITEMS.filter((item) => item.sample).map(async (item) => ({
        id: item.sku.toLowerCase(),
        label: item.name,
        jpeg: await demoCustomerPhoto(item.shape, item.colour, item.accent),
      })),
    );
    return this.samplesPromise;
  }
}
