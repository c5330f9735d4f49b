/** Locale-aware formatting of prices, sizes and durations for every channel's texts. */
import type { Language } from './i18n/translator.ts';

const LOCALES: Readonly<Record<Language, string>> = { en: 'en-US', ru: 'ru-RU' };

/** `"1299.00"` + `"RUB"` → `1 299,00 ₽` (ru) or `RUB 1,299.00` (en). Prices stay strings until display. */
export function formatPrice(price: string, currency: string, lang: Language): string {
  try {
    return priceFormat(lang, currency).format(Number(price));
  } catch {
    return `${price} ${currency}`;
  }
}

/** Building an Intl.NumberFormat costs more than formatting with it, and every answer shows five prices. */
const priceFormats = new Map<string, Intl.NumberFormat>();

function priceFormat(lang: Language, currency: string): Intl.NumberFormat {
  const key = `${lang}/${currency}`;
  let format = priceFormats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(LOCALES[lang], { style: 'currency', currency });
    priceFormats.set(key, format);
  }
  return format;
}

/** Bytes as `12.3 MB`. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Milliseconds as `85 ms`, or the "none" text for null. */
export function formatMs(ms: number | null, none: string): string {
  return ms === null ? none : `${Math.round(ms)} ms`;
}

/** A ratio as a percentage with one decimal, e.g. `12.5%`. */
export function formatPercent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(1)}%`;
}
