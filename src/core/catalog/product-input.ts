/**
 * Validation of product data from any channel (CSV row, chat caption, CLI flags), with messages
 * an owner can act on.
 */
import { createHash } from 'node:crypto';
import transliterate from '@sindresorhus/transliterate';
import { z } from 'zod';
import type { ProductInput } from '../../domain/catalog.ts';

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 64 characters. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Most units of one product the catalog accepts; larger numbers are typing mistakes (and overflow `integer`). */
export const MAX_STOCK = 1_000_000;

/** Highest price the catalog accepts (`numeric(12, 2)` holds ten integer digits). */
export const MAX_PRICE = '9999999999.99';

/**
 * Characters that must never reach a product name: C0/C1 controls, zero-width characters and the
 * bidirectional overrides that can make a name display reversed (`U+202E`) in a customer's chat.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/g;

/**
 * One line of owner text as it is stored: Unicode NFC, invisible and control characters removed,
 * runs of white space (tabs, newlines) collapsed to one space, trimmed.
 */
export function cleanLine(text: string): string {
  return text.normalize('NFC').replace(INVISIBLE_CHARACTERS, '').replace(/\s+/g, ' ').trim();
}

/** Like {@link cleanLine} but keeps line breaks (descriptions). */
export function cleanParagraphs(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE_CHARACTERS, '')
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A parsed owner number, or the sentence that explains why it is not one. */
export type ParsedNumber<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/**
 * Stock as owners type it in every channel: decimal digits only (no `1e3`, `0x10`, signs or
 * fractions), at most {@link MAX_STOCK}.
 */
export function parseQuantity(text: string): ParsedNumber<number> {
  const trimmed = text.trim();
  if (/^-\d+$/.test(trimmed)) return { ok: false, problem: `stock cannot be negative, got ${shorten(trimmed)}` };
  if (!/^\d+$/.test(trimmed)) return { ok: false, problem: `stock must be a whole number written with digits 0–9, got "${shorten(trimmed)}"` };
  const value = Number(trimmed);
  if (value > MAX_STOCK) return { ok: false, problem: `stock must be at most ${MAX_STOCK.toLocaleString('en-US')}, got ${shorten(trimmed)}` };
  return { ok: true, value };
}

/**
 * A price as owners type it: digits with an optional `.` or `,` and at most two decimals,
 * at most {@link MAX_PRICE}. Returns the canonical two-decimal string (`"49.9"` → `"49.90"`).
 */
export function parsePrice(text: string): ParsedNumber<string> {
  const trimmed = text.trim().replace(',', '.');
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(trimmed);
  if (!match) return { ok: false, problem: `price must be a non-negative number with at most 2 decimals, e.g. 19.99; got "${shorten(text.trim())}"` };
  const integer = match[1]!.replace(/^0+(?=\d)/, '');
  if (integer.length > 10) return { ok: false, problem: `price must be at most ${MAX_PRICE}, got ${shorten(trimmed)}` };
  return { ok: true, value: `${integer}.${(match[2] ?? '').padEnd(2, '0')}` };
}

/** Keeps echoed owner input short enough for any chat message. */
export function shorten(text: string, max = 40): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const priceSchema = z.string().transform((value, ctx) => {
  const parsed = parsePrice(value);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

const currencySchema = z
  .string()
  .trim()
  .transform((value) => value.toUpperCase())
  .refine((value) => KNOWN_CURRENCIES.has(value), {
    error: (issue) => `unknown currency "${String(issue.input)}" (use an ISO 4217 code such as USD, EUR, RUB)`,
  });

const stockSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = typeof value === 'number' ? quantityFromNumber(value) : parseQuantity(value);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

function quantityFromNumber(value: number): ParsedNumber<number> {
  return Number.isInteger(value) && value >= 0 ? parseQuantity(String(value)) : { ok: false, problem: `stock must be a whole number ≥ 0, got ${value}` };
}

export const productInputSchema = z.object({
  sku: z.string().trim().regex(SKU_PATTERN, 'sku must be 1–64 letters, digits, ".", "_" or "-"'),
  name: z.string().transform(cleanLine).pipe(z.string().min(1, 'name is empty').max(200, 'name is longer than 200 characters')),
  description: z.string().transform(cleanParagraphs).pipe(z.string().max(5000, 'description is longer than 5000 characters')).optional(),
  price: priceSchema,
  currency: currencySchema,
  category: z.string().transform(cleanLine).pipe(z.string().min(1, 'category is empty').max(100, 'category is longer than 100 characters')),
  stock: stockSchema,
  url: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .pipe(z.url({ protocol: /^https?$/, error: 'url must start with http:// or https://' }).optional()),
});

/** Raw, untrusted product fields as they arrive from a CSV row or a chat message. */
export type RawProductInput = { [K in keyof ProductInput]?: unknown };

export type ProductValidation = { ok: true; value: ProductInput } | { ok: false; problems: string[] };

/** Validates and normalises product fields; `problems` names every bad field in one pass. */
export function validateProductInput(raw: RawProductInput): ProductValidation {
  const parsed = productInputSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const field = issue.path.join('.');
      return issue.code === 'invalid_type' && issue.input === undefined ? `${field} is missing` : issue.message;
    }),
  };
}

/**
 * A SKU for a product added without one, derived from its name so that adding the same name
 * again adds a photo to the same product: transliterated to Latin (`Красное платье №5` →
 * `Krasnoe-plate-No5`); names with nothing transliterable (emoji, CJK) get `P-` and a hash of the name.
 */
export function skuFromName(name: string): string {
  const latin = transliterate(cleanLine(name))
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[-.]+$/g, '')
    .replace(/-{2,}/g, '-')
    .slice(0, 64)
    .replace(/[-.]+$/, '');
  return /[A-Za-z0-9]/.test(latin) ? latin : hashedSku(name);
}

/** `P-` and ten hex digits of the text's hash: stable, so the same text always maps to the same product. */
function hashedSku(text: string): string {
  return `P-${createHash('sha256').update(cleanLine(text)).digest('hex').slice(0, 10)}`;
}

/** Turns a file name into a SKU: `Red Dress (2).JPG` → `Red-Dress-2`. */
export function skuFromFileName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]+$/, '');
  const latin = transliterate(cleanLine(stem))
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .replace(/-{2,}/g, '-')
    .slice(0, 64)
    .replace(/[^A-Za-z0-9]+$/, '');
  return latin === '' ? hashedSku(stem) : latin;
}

/** Turns a file name into a display name: `red_dress-02.jpg` → `Red dress 02`. */
export function nameFromFileName(fileName: string): string {
  const words = fileName.replace(/\.[^.]+$/, '').replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
