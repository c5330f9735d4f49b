/**
 * Turning a verified webhook delivery into the few things a customer can ask for: a photo, a
 * text, "more like #n", "show more", or something the assistant cannot search by. Parsing is
 * lenient on purpose: fields Meta adds later are ignored, and one malformed item does not drop
 * the other customers' messages in the same delivery.
 */
import { z } from 'zod';
import { decodePayload } from './payloads.ts';

const attachmentSchema = z.object({
  type: z.string(),
  payload: z.object({ url: z.string().optional() }).nullish(),
});

const messageSchema = z.object({
  mid: z.string().min(1).max(512),
  text: z.string().optional(),
  is_echo: z.boolean().optional(),
  is_deleted: z.boolean().optional(),
  is_unsupported: z.boolean().optional(),
  quick_reply: z.object({ payload: z.string() }).optional(),
  attachments: z.array(attachmentSchema).optional(),
});

const postbackSchema = z.object({
  mid: z.string().min(1).max(512).optional(),
  title: z.string().optional(),
  payload: z.string().optional(),
});

const messagingSchema = z.object({
  sender: z.object({ id: z.string().min(1).max(64) }),
  recipient: z.object({ id: z.string().min(1).max(64) }),
  /** Milliseconds since the epoch when the customer acted. */
  timestamp: z.number().int().nonnegative(),
  message: messageSchema.optional(),
  postback: postbackSchema.optional(),
});

const deliverySchema = z.object({
  object: z.string(),
  entry: z.array(z.object({ id: z.string(), time: z.number().optional(), messaging: z.array(z.unknown()).optional() })),
});

/** What every event carries. */
interface EventBase {
  /** Meta's message id (postbacks without one get a synthetic id); the deduplication key. */
  readonly mid: string;
  /** Instagram-scoped id of the customer. */
  readonly senderId: string;
  /** When the customer acted, in milliseconds since the epoch (the 24-hour window starts here). */
  readonly timestamp: number;
}

/** One thing a customer asked for. */
export type IncomingEvent = EventBase &
  (
    | { readonly kind: 'photo'; readonly url: string }
    | { readonly kind: 'text'; readonly text: string }
    | { readonly kind: 'more-like'; readonly imageId: number }
    | { readonly kind: 'show-more'; readonly queryId: string; readonly offset: number }
    /** A video, a voice note, a shared post, a sticker…: answered with "send a photo". */
    | { readonly kind: 'unsupported' }
  );

export interface ParsedDelivery {
  /** `instagram` for Instagram deliveries. */
  readonly object: string;
  readonly events: IncomingEvent[];
  /** Items that did not have the documented shape (logged, not answered). */
  readonly malformed: number;
}

/** Parses a delivery body; undefined when it is not a webhook delivery at all. */
export function parseDelivery(body: unknown): ParsedDelivery | undefined {
  const parsed = deliverySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const events: IncomingEvent[] = [];
  let malformed = 0;
  for (const entry of parsed.data.entry) {
    for (const raw of entry.messaging ?? []) {
      const item = messagingSchema.safeParse(raw);
      if (!item.success) {
        malformed += 1;
        continue;
      }
      // Our own sends come back as echoes (and carry our account as sender).
      if (item.data.message?.is_echo || item.data.sender.id === entry.id) continue;
      const event = toEvent(item.data);
      if (event) events.push(event);
    }
  }
  return { object: parsed.data.object, events, malformed };
}

function toEvent(item: z.infer<typeof messagingSchema>): IncomingEvent | undefined {
  const base = { senderId: item.sender.id, timestamp: item.timestamp };
  if (item.message) return messageEvent(item.message, base);
  if (item.postback) {
    const mid = item.postback.mid ?? `postback:${item.sender.id}:${item.timestamp}`;
    const button = decodePayload(item.postback.payload);
    return button ? { ...base, mid, ...button } : { ...base, mid, kind: 'unsupported' };
  }
  // Reads, reactions, referrals and the like need no answer.
  return undefined;
}

function messageEvent(message: z.infer<typeof messageSchema>, base: Omit<EventBase, 'mid'>): IncomingEvent | undefined {
  const withId = { ...base, mid: message.mid };
  if (message.is_deleted) return undefined;
  const button = decodePayload(message.quick_reply?.payload);
  if (button) return { ...withId, ...button };
  const attachments = message.attachments ?? [];
  // Several photos in one message are one question: search by the first, as for Telegram albums.
  const image = attachments.find((item) => item.type === 'image' && item.payload?.url);
  if (image) return { ...withId, kind: 'photo', url: image.payload!.url! };
  if (attachments.length > 0 || message.is_unsupported) return { ...withId, kind: 'unsupported' };
  const text = message.text?.trim() ?? '';
  if (text !== '') return { ...withId, kind: 'text', text };
  return undefined;
}
