/**
 * Validation of product data from any channel (CSV row, chat caption, CLI flags), with messages
 * an owner can act on.
 */
import { z } from 'zod';
import type { ProductInput } from '../../domain/catalog.ts';

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 64 characters. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const priceSchema = z
  .string()
  .trim()
  .transform((value) => value.replace(',', '.'))
  .refine((value) => /^\d{1,10}(\.\d{1,2})?$/.test(value), {
    error: (issue) => `price must be a non-negative number with at most 2 decimals, e.g. 19.99; got "${String(issue.input)}"`,
  })
  .transform((value) => Number(value).toFixed(2));

const currencySchema = z
  .string()
  .trim()
  .transform((value) => value.toUpperCase())
  .refine((value) => KNOWN_CURRENCIES.has(value), {
    error: (issue) => `unknown currency "${String(issue.input)}" (use an ISO 4217 code such as USD, EUR, RUB)`,
  });

const stockSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const stock = typeof value === 'number' ? value : value.trim() === '' ? NaN : Number(value.trim());
  if (!Number.isInteger(stock)) {
    ctx.addIssue({ code: 'custom', message: `stock must be a whole number, got "${String(value)}"` });
    return z.NEVER;
  }
  if (stock < 0) {
    ctx.addIssue({ code: 'custom', message: `stock cannot be negative, got ${stock}` });
    return z.NEVER;
  }
  return stock;
});

export const productInputSchema = z.object({
  sku: z.string().trim().regex(SKU_PATTERN, 'sku must be 1–64 letters, digits, ".", "_" or "-"'),
  name: z.string().trim().min(1, 'name is empty').max(200, 'name is longer than 200 characters'),
  description: z.string().trim().max(5000, 'description is longer than 5000 characters').optional(),
  price: priceSchema,
  currency: currencySchema,
  category: z.string().trim().min(1, 'category is empty').max(100, 'category is longer than 100 characters'),
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

/** Turns a file name into a SKU: `Red Dress (2).JPG` → `Red-Dress-2`. */
export function skuFromFileName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]+$/, '');
  return stem
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .replace(/-{2,}/g, '-')
    .slice(0, 64);
}

/** Turns a file name into a display name: `red_dress-02.jpg` → `Red dress 02`. */
export function nameFromFileName(fileName: string): string {
  const words = fileName.replace(/\.[^.]+$/, '').replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
