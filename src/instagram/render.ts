/**
 * Rendering the core's answers in Instagram Direct. Product cards become a generic-template
 * carousel (photo, name, price and stock, "More like #n" and the product link), followed by a
 * text listing the same products, because Instagram on desktop shows neither templates nor quick
 * replies. "Show more" rides on that text as a quick reply. Every other answer is its text.
 */
import type { ProductCard, SearchAnswer, Translate } from '../core/conversation/index.ts';
import type { OutgoingMessage, TemplateButton, TemplateElement } from './graph-client.ts';
import { moreLikePayload, showMorePayload } from './payloads.ts';

/** Send API limits (Meta's documentation): text in UTF-8 bytes, the rest in characters. */
export const INSTAGRAM_LIMITS = { textBytes: 1000, carouselElements: 10, title: 80, subtitle: 80, buttonTitle: 20, quickReplyTitle: 20 } as const;

export interface RenderOptions {
  /** Texts in the customer's language. */
  readonly t: Translate;
  /** Public URL of a stored product photo (path relative to `DATA_DIR`), fetched by Meta. */
  readonly mediaUrl: (filePath: string) => string;
}

/** The messages that show `answer`, in sending order. */
export function renderAnswer(answer: SearchAnswer, options: RenderOptions): OutgoingMessage[] {
  if (answer.kind !== 'results') return [{ text: fitBytes(answer.text, INSTAGRAM_LIMITS.textBytes) }];
  const carousel: OutgoingMessage = {
    attachment: {
      type: 'template',
      payload: { template_type: 'generic', elements: answer.cards.slice(0, INSTAGRAM_LIMITS.carouselElements).map((card) => element(card, options)) },
    },
  };
  const fallback = fallbackText(answer.text, answer.cards);
  const quickReplies = answer.next
    ? [{ content_type: 'text' as const, title: fitChars(options.t('btn_show_more'), INSTAGRAM_LIMITS.quickReplyTitle), payload: showMorePayload(answer.next.queryId, answer.next.offset) }]
    : [];
  return [carousel, quickReplies.length > 0 ? { text: fallback, quick_replies: quickReplies } : { text: fallback }];
}

/** Puts the bot disclosure `line` at the start of the reply: into its first text, or as a text of its own before a carousel. */
export function withDisclosure(messages: readonly OutgoingMessage[], line: string): OutgoingMessage[] {
  const [first, ...rest] = messages;
  if (first && 'text' in first) return [{ ...first, text: fitBytes(`${line}\n\n${first.text}`, INSTAGRAM_LIMITS.textBytes) }, ...rest];
  return [{ text: fitBytes(line, INSTAGRAM_LIMITS.textBytes) }, ...messages];
}

/**
 * `PUBLIC_BASE_URL/media/<path>`: where the web server serves the stored photo
 * `images/ab/<sha256>.jpg` (each segment URL-encoded).
 */
export function mediaUrl(publicBaseUrl: string, filePath: string): string {
  const segments = filePath.split(/[\\/]/).filter((segment) => segment !== '').map(encodeURIComponent);
  return `${publicBaseUrl}/media/${segments.join('/')}`;
}

function element(card: ProductCard, { t, mediaUrl: urlOf }: RenderOptions): TemplateElement {
  const buttons: TemplateButton[] = [];
  if (card.image) buttons.push({ type: 'postback', title: fitChars(t('btn_more_like', { n: card.number }), INSTAGRAM_LIMITS.buttonTitle), payload: moreLikePayload(card.image.id) });
  if (card.url && /^https?:\/\//i.test(card.url)) buttons.push({ type: 'web_url', title: fitChars(t('btn_view_product'), INSTAGRAM_LIMITS.buttonTitle), url: card.url });
  return {
    title: fitChars(`#${card.number} ${card.name}`, INSTAGRAM_LIMITS.title),
    subtitle: fitChars(`${card.priceText} · ${card.stockText}`, INSTAGRAM_LIMITS.subtitle),
    ...(card.image ? { image_url: urlOf(card.image.filePath) } : {}),
    ...(buttons.length > 0 ? { buttons } : {}),
  };
}

/** The answer's line and one line per product, as many as fit in one message. */
function fallbackText(intro: string, cards: readonly ProductCard[]): string {
  let text = fitBytes(intro, INSTAGRAM_LIMITS.textBytes);
  for (const [index, card] of cards.entries()) {
    const next = `${text}${index === 0 ? '\n\n' : '\n'}${card.caption.replace(/\n/g, ' · ')}`;
    if (byteLength(next) > INSTAGRAM_LIMITS.textBytes) break;
    text = next;
  }
  return text;
}

/** `text` cut to at most `maxBytes` UTF-8 bytes with an ellipsis, never splitting a character. */
export function fitBytes(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  const budget = maxBytes - byteLength('…');
  let used = 0;
  let cut = '';
  for (const char of text) {
    used += byteLength(char);
    if (used > budget) break;
    cut += char;
  }
  return `${cut}…`;
}

/** `text` cut to at most `max` characters (code points) with an ellipsis. */
export function fitChars(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
