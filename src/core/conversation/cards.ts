/** Turning search hits into the product cards every channel shows. */
import type { Product, ProductImage } from '../../domain/catalog.ts';
import type { ProductCard } from './answers.ts';
import { formatPrice } from './format.ts';
import type { Language, Translate } from './i18n/translator.ts';

/** A product found by a search, with the image to show (its best match, or its first photo). */
export interface FoundProduct {
  readonly product: Product;
  readonly image: ProductImage | undefined;
  /** Cosine similarity for photo searches; absent for text searches. */
  readonly score?: number;
}

/**
 * Numbers `found` from `offset + 1` (numbers run on across pages, so "#6" stays #6) and adds
 * the localized display texts.
 */
export function productCards(found: readonly FoundProduct[], offset: number, t: Translate, lang: Language): ProductCard[] {
  return found.map((item, index) => productCard(item, offset + index + 1, t, lang));
}

function productCard({ product, image, score }: FoundProduct, number: number, t: Translate, lang: Language): ProductCard {
  const priceText = formatPrice(product.price, product.currency, lang);
  const stockText = t('in_stock', { count: product.stock });
  const caption = t('caption', { n: number, name: product.name, price: priceText, stock: stockText });
  return {
    number,
    productId: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    price: product.price,
    currency: product.currency,
    stock: product.stock,
    url: product.url,
    score: score ?? null,
    image: image ? { id: image.id, filePath: image.filePath } : null,
    priceText,
    stockText,
    caption: product.url ? `${caption}\n${product.url}` : caption,
  };
}
