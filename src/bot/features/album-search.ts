/** Albums of photos: buffered by `media_group_id` and answered once, searching by the first picture. */
import { Composer } from 'grammy';
import { AlbumCollector } from '../../core/conversation/index.ts';
import type { BotContext, BotServices } from '../context.ts';
import { handleFailure } from '../errors.ts';
import { pictureOf, searchByPicture, type IncomingPicture } from './pictures.ts';

/** How long to wait for the rest of an album after its first part; Telegram delivers them together. */
export const ALBUM_WINDOW_MS = 600;

interface AlbumPart {
  readonly ctx: BotContext;
  readonly picture: IncomingPicture;
  readonly startedAt: number;
}

/** The album feature and its collector (the collector must be drained on shutdown). */
export function albumSearchFeature(services: BotServices, windowMs = ALBUM_WINDOW_MS): { feature: Composer<BotContext>; albums: AlbumCollector<AlbumPart> } {
  // One search per album, by its first picture: one question from the customer is one search in
  // the log, which keeps /stats honest.
  const albums = new AlbumCollector<AlbumPart>(
    windowMs,
    async ([first]) => {
      if (first) await searchByPicture(first.ctx, services, first.picture, first.startedAt);
    },
    (error, parts) => handleFailure(error, parts[0]?.ctx, services.logger),
  );
  const feature = new Composer<BotContext>();
  feature.on(['message:photo', 'message:document'], async (ctx, next) => {
    const picture = pictureOf(ctx.message);
    const groupId = ctx.message.media_group_id;
    if (!picture || groupId === undefined) return next();
    albums.add(`${ctx.chat.id}:${groupId}`, ctx.message.message_id, { ctx, picture, startedAt: performance.now() });
  });
  return { feature, albums };
}
