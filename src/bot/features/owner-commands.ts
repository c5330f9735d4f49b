/**
 * The owner runs the shop from the chat: `/add` (photo caption), `/stock`, `/price`, `/remove`.
 * Only `ADMIN_IDS` may use them; anyone else is told so and nothing changes.
 */
import { Composer, type CommandContext } from 'grammy';
import { InvalidProductError, UnknownProductError } from '../../core/errors.ts';
import type { Product } from '../../domain/catalog.ts';
import type { BotContext, BotServices } from '../context.ts';
import { isImageRejection } from '../errors.ts';
import { formatMegabytes, formatPrice } from '../render/format.ts';
import { addArguments, parseAddCaption } from './add-caption.ts';
import { pictureOf } from './pictures.ts';

/** Replies "not allowed" to non-admins and reports whether the sender may continue. */
export async function allowedOwner(ctx: BotContext): Promise<boolean> {
  if (ctx.isAdmin) return true;
  await ctx.reply(ctx.t('not_allowed'));
  return false;
}

/** `/add`, `/stock`, `/price`, `/remove`. */
export function ownerCommandsFeature(services: BotServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  // Commands in captions are not matched by bot.command(), so /add on a photo is found here.
  feature.on(['message:photo', 'message:document'], async (ctx, next) => {
    const args = addArguments(ctx.message.caption);
    if (args === undefined) return next();
    if (await allowedOwner(ctx)) await addProduct(ctx, services, args);
  });
  feature.command('add', async (ctx) => {
    if (await allowedOwner(ctx)) await ctx.reply(addUsage(ctx, services));
  });
  feature.command('stock', (ctx) => ownerUpdate(ctx, 'stock_usage', (sku, value) => services.assistant.catalog.setStock(sku, parseStock(value)), 'stock_done'));
  feature.command('price', (ctx) => ownerUpdate(ctx, 'price_usage', (sku, value) => services.assistant.catalog.setPrice(sku, value), 'price_done'));
  feature.command('remove', async (ctx) => {
    if (!(await allowedOwner(ctx))) return;
    const [sku, ...rest] = words(ctx.match);
    if (sku === undefined || rest.length > 0) return void (await ctx.reply(ctx.t('remove_usage')));
    await reportChange(ctx, () => services.assistant.catalog.remove(sku), (product) => ctx.t('remove_done', { sku: product.sku }));
  });
  return feature;
}

function addUsage(ctx: BotContext, services: BotServices): string {
  return ctx.t('add_usage', { currency: services.config.shop.currency });
}

async function addProduct(ctx: BotContext, services: BotServices, args: string): Promise<void> {
  const parsed = parseAddCaption(args, services.config.shop.currency);
  if (!parsed.ok) return void (await ctx.reply(ctx.t('add_invalid', { problems: parsed.problems.join('; '), usage: addUsage(ctx, services) })));
  const picture = pictureOf(ctx.message);
  if (!picture) return void (await ctx.reply(ctx.t('bad_image')));
  const download = await services.files.download(ctx.api, picture.fileId, picture.fileSize);
  if (download.kind === 'too-large') {
    return void (await ctx.reply(ctx.t('too_large', { size: formatMegabytes(download.bytes), limit: formatMegabytes(download.limit) })));
  }
  try {
    const outcome = await services.assistant.catalog.addProductWithPhoto(parsed.input, download.data, `telegram:/add by ${ctx.from?.id ?? '?'}`);
    services.logger.info({ userId: ctx.from?.id, sku: outcome.product.sku, kind: outcome.kind }, 'product added from chat');
    await ctx.reply(`${ctx.t(`add_done_${outcome.kind}`, { name: outcome.product.name })}\n${productDetails(ctx, outcome.product, outcome.addedImages.length)}`);
  } catch (error) {
    if (error instanceof InvalidProductError) {
      return void (await ctx.reply(ctx.t('add_invalid', { problems: error.problems.join('; '), usage: addUsage(ctx, services) })));
    }
    if (isImageRejection(error)) return void (await ctx.reply(ctx.t('bad_image')));
    throw error;
  }
}

function productDetails(ctx: BotContext, product: Product, images: number): string {
  return ctx.t('add_details', {
    sku: product.sku,
    price: formatPrice(product.price, product.currency, ctx.lang),
    category: product.category,
    stock: product.stock,
    images,
  });
}

/** `/stock` and `/price`: `<sku> <value>`, applied, then confirmed or explained. */
async function ownerUpdate(
  ctx: CommandContext<BotContext>,
  usage: 'stock_usage' | 'price_usage',
  apply: (sku: string, value: string) => Promise<Product>,
  done: 'stock_done' | 'price_done',
): Promise<void> {
  if (!(await allowedOwner(ctx))) return;
  const [sku, value, ...rest] = words(ctx.match);
  if (sku === undefined || value === undefined || rest.length > 0) return void (await ctx.reply(ctx.t(usage)));
  await reportChange(ctx, () => apply(sku, value), (product) =>
    ctx.t(done, { sku: product.sku, stock: product.stock, price: formatPrice(product.price, product.currency, ctx.lang) }),
  );
}

/** Runs a catalog change and answers with its confirmation or the owner-fixable problem. */
async function reportChange(ctx: BotContext, change: () => Promise<Product>, confirm: (product: Product) => string): Promise<void> {
  try {
    await ctx.reply(confirm(await change()));
  } catch (error) {
    if (error instanceof UnknownProductError) return void (await ctx.reply(ctx.t('unknown_sku', { sku: error.sku })));
    if (error instanceof InvalidProductError) return void (await ctx.reply(ctx.t('invalid_value', { problems: error.problems.join('; ') })));
    throw error;
  }
}

/** `"12"` → 12; anything else → NaN, which the catalog rejects with a clear message. */
function parseStock(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : Number.NaN;
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}
