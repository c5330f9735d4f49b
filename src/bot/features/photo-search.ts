/** A single photo or image file from a customer → the most similar products in stock. */
import { Composer } from 'grammy';
import type { BotContext, BotServices } from '../context.ts';
import { pictureOf, searchByPicture } from './pictures.ts';

/** Photo search for pictures outside albums (albums are handled by the album feature). */
export function photoSearchFeature(services: BotServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.on(['message:photo', 'message:document'], async (ctx, next) => {
    const picture = pictureOf(ctx.message);
    if (!picture || ctx.message.media_group_id !== undefined) return next();
    await searchByPicture(ctx, services, picture, performance.now());
  });
  return feature;
}
