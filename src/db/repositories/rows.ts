/** Column lists and row mappers shared by the repositories. */
import type { Product, ProductImage } from '../../domain/catalog.ts';

export const PRODUCT_COLUMNS = `p.id, p.sku, p.name, p.description, p.price::text AS price, p.currency,
  p.category, p.stock, p.url, p.active, p.created_at, p.updated_at`;

export const IMAGE_COLUMNS = `pi.id AS image_id, pi.product_id, pi.source, pi.file_path, pi.sha256,
  pi.width, pi.height, pi.model_id`;

export interface ProductRow {
  id: number;
  sku: string;
  name: string;
  description: string;
  price: string;
  currency: string;
  category: string;
  stock: number;
  url: string | null;
  active: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

export interface ImageRow {
  image_id: number;
  product_id: number;
  source: string;
  file_path: string;
  sha256: string;
  width: number;
  height: number;
  model_id: string;
}

export function toProduct(row: ProductRow): Product {
  return {
    id: Number(row.id),
    sku: row.sku,
    name: row.name,
    description: row.description,
    price: row.price,
    currency: row.currency,
    category: row.category,
    stock: Number(row.stock),
    url: row.url,
    active: row.active,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toImage(row: ImageRow): ProductImage {
  return {
    id: Number(row.image_id),
    productId: Number(row.product_id),
    source: row.source,
    filePath: row.file_path,
    sha256: row.sha256,
    width: Number(row.width),
    height: Number(row.height),
    modelId: row.model_id,
  };
}
