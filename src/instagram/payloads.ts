/**
 * What the "More like #n" buttons and the "Show more" quick reply carry back: `like:<imageId>`
 * and `more:<queryId>:<offset>` (the same shapes as the Telegram buttons' callback data).
 */

/** A button's payload, decoded. */
export type ButtonPayload =
  | { readonly kind: 'more-like'; readonly imageId: number }
  | { readonly kind: 'show-more'; readonly queryId: string; readonly offset: number };

/** Payload of a "More like #n" button for product image `imageId`. */
export function moreLikePayload(imageId: number): string {
  return `like:${imageId}`;
}

/** Payload of the "Show more" quick reply. */
export function showMorePayload(queryId: string, offset: number): string {
  return `more:${queryId}:${offset}`;
}

/** Decodes a payload we sent; undefined for anything else (ice breakers, old or forged payloads). */
export function decodePayload(payload: string | undefined): ButtonPayload | undefined {
  const like = /^like:(\d{1,9})$/.exec(payload ?? '');
  if (like) return { kind: 'more-like', imageId: Number(like[1]) };
  const more = /^more:([0-9a-z]{1,16}):(\d{1,6})$/.exec(payload ?? '');
  if (more) return { kind: 'show-more', queryId: more[1]!, offset: Number(more[2]) };
  return undefined;
}
