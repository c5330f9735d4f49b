/**
 * Search answers: one caption per product photo and the message of buttons under them.
 */
import { InlineKeyboard } from 'grammy';
import type { Product, ProductImage } from '../../domain/catalog.ts';
import type { Language, Translate } from '../../core/conversation/i18n/translator.ts';
import type { OutgoingPhoto } from '../services/media-sender.ts';
import { formatPrice } from './format.ts';

/** Telegram's caption limit in characters. */
const CAPTION_MAX = 1024;

/** One product of an answer, numbered from 1 across pages. */
export interface ResultItem {
  readonly number: number;
  readonly product: Product;
  readonly image: ProductImage | undefined;
}

/** Callback data prefixes: `like:<imageId>` and `more:<queryId>:<offset>` (≤ 64 bytes). */
export const CALLBACK = { moreLike: 'like', showMore: 'more' } as const;

/** Caption: `#n Name`, price with currency, stock, and the product link when there is one. */
export function caption(item: ResultItem, t: Translate, lang: Language): string {
  const { product } = item;
  const text = t('caption', {
    n: item.number,
    name: product.name,
    price: formatPrice(product.price, product.currency, lang),
    stock: t('in_stock', { count: product.stock }),
  });
  const withLink = product.url ? `${text}\n${product.url}` : text;
  return withLink.length > CAPTION_MAX ? `${withLink.slice(0, CAPTION_MAX - 1)}…` : withLink;
}

/** Photos for the media group: the items that have an image. */
export function photosOf(items: readonly ResultItem[], t: Translate, lang: Language): OutgoingPhoto[] {
  return items.flatMap((item) => (item.image ? [{ image: item.image, caption: caption(item, t, lang) }] : []));
}

/** Text lines for items without an image (text search may find some). */
export function textOnlyLines(items: readonly ResultItem[], t: Translate, lang: Language): string[] {
  return items.filter((item) => !item.image).map((item) => caption(item, t, lang).replace(/\n/g, ' · '));
}

/**
 * "More like #n" for each item with an image (three per row), then "Show more" when the page was
 * full (a short page means the results ended). `queryId` undefined: no "Show more".
 */
export function resultsKeyboard(items: readonly ResultItem[], t: Translate, next: { queryId: string; offset: number } | undefined): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  items
    .filter((item) => item.image)
    .forEach((item, index) => {
      if (index > 0 && index % 3 === 0) keyboard.row();
      keyboard.text(t('btn_more_like', { n: item.number }), `${CALLBACK.moreLike}:${item.image!.id}`);
    });
  if (next) keyboard.row().text(t('btn_show_more'), `${CALLBACK.showMore}:${next.queryId}:${next.offset}`);
  return keyboard;
}
