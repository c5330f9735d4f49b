/**
 * Parsing the owner's `/add` caption: `Name | price | category | stock [| sku]`. The price may
 * carry an ISO currency code (`49.90 EUR` or `EUR 49.90`); without one the shop currency is used.
 * Without a SKU one is derived from the name (transliterated), so `/add` with the same name adds
 * another photo. Values are checked later by the catalog's one validator (`product-input.ts`).
 */
import { skuFromName, type RawProductInput } from '../catalog/product-input.ts';

/** The parsed caption, or the problems that make it unusable (nothing is stored then). */
export type AddCaption = { readonly ok: true; readonly input: RawProductInput } | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Strips `/add` (or `/add@<botUsername>`) from the start of a caption; undefined when it is not an
 * /add caption for this bot. `/add@other_bot` is addressed to another bot in the same group and ignored.
 */
export function addArguments(caption: string | undefined, botUsername?: string): string | undefined {
  const match = /^\/add(?:@(\w+))?(?:\s+([\s\S]*))?$/i.exec(caption?.trim() ?? '');
  if (!match) return undefined;
  const addressee = match[1];
  if (addressee !== undefined && botUsername !== undefined && addressee.toLowerCase() !== botUsername.toLowerCase()) return undefined;
  return (match[2] ?? '').trim();
}

/** Parses the text after `/add`. */
export function parseAddCaption(text: string, defaultCurrency: string): AddCaption {
  const fields = text.split('|').map((field) => field.trim());
  if (text.trim() === '' || fields.length < 4 || fields.length > 5) {
    return { ok: false, problems: [`expected 4 or 5 fields separated by "|", got ${text.trim() === '' ? 0 : fields.length}`] };
  }
  const [name, priceField, category, stock, sku] = fields as [string, string, string, string, string | undefined];
  const { price, currency } = splitPrice(priceField, defaultCurrency);
  const derivedSku = sku === undefined || sku === '' ? skuFromName(name) : sku;
  return { ok: true, input: { name, price, currency, category, stock, sku: derivedSku } };
}

function splitPrice(field: string, defaultCurrency: string): { price: string; currency: string } {
  const trailing = /^(.+?)\s*([A-Za-z]{3})$/.exec(field);
  if (trailing) return { price: trailing[1]!, currency: trailing[2]! };
  const leading = /^([A-Za-z]{3})\s*(.+)$/.exec(field);
  if (leading) return { price: leading[2]!, currency: leading[1]! };
  return { price: field, currency: defaultCurrency };
}
