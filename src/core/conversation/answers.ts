/**
 * The conversation core's vocabulary: who is asking, and the typed answers every channel renders.
 * Answers carry their localized text, so a channel never decides *what* to say — only *how* to
 * show it (a Telegram media group, a web card list, an Instagram carousel).
 */
import type { Product } from '../../domain/catalog.ts';
import type { ShopStats } from '../stats/stats-service.ts';
import type { Language } from './i18n/translator.ts';

/** The channels that talk to customers and owners. */
export type ChannelName = 'telegram' | 'web' | 'instagram' | 'cli';

/** Who is asking: the channel and its own id for the person, never a name or phone number. */
export interface Asker {
  readonly channel: ChannelName;
  /** Channel-specific person id (Telegram user id, web session id, Instagram-scoped id). */
  readonly userRef: string;
  /** Language of every text in the answer. */
  readonly lang: Language;
  /** True when the channel authenticated the shop owner (Telegram `ADMIN_IDS`, web admin token). */
  readonly isOwner?: boolean;
}

/** One product of a search answer, with everything a channel needs to show it. */
export interface ProductCard {
  /** 1-based position across pages ("#6" is the first card of the second page of five). */
  readonly number: number;
  readonly productId: number;
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  /** Exact decimal string with two fraction digits, e.g. `"49.90"`. */
  readonly price: string;
  /** ISO 4217 code. */
  readonly currency: string;
  /** Units on hand (always > 0 in answers: only in-stock products are shown). */
  readonly stock: number;
  readonly url: string | null;
  /** Cosine similarity in [-1, 1] for photo searches; null for text searches. */
  readonly score: number | null;
  /** The product photo that matched (its best image), or null when the product has none. */
  readonly image: { readonly id: number; readonly filePath: string } | null;
  /** Localized display texts. */
  readonly priceText: string;
  readonly stockText: string;
  /** `#n Name`, price · stock, and the link when there is one (what a chat shows under the photo). */
  readonly caption: string;
}

/** The query behind an answer, so "Show more" can fetch the page after it. */
export interface NextPage {
  readonly queryId: string;
  readonly offset: number;
}

/** What a customer's photo, text, "more like #n" or "show more" gets back. */
export type SearchAnswer =
  | {
      readonly kind: 'results';
      /** Best first. */
      readonly cards: readonly ProductCard[];
      /** The line shown with the cards. */
      readonly text: string;
      /** Id of this query in the query memory (for "show more"), also when the page is the last. */
      readonly queryId: string;
      /** Set when the page was full, so more results may follow. */
      readonly next: NextPage | null;
      /** From receiving the query to having the answer, in milliseconds. */
      readonly latencyMs: number;
    }
  | { readonly kind: 'no-match'; readonly text: string; readonly latencyMs: number }
  | { readonly kind: 'no-more'; readonly text: string }
  | { readonly kind: 'text-not-found'; readonly text: string; readonly query: string }
  | { readonly kind: 'rate-limited'; readonly text: string; readonly retryAfterSeconds: number }
  | { readonly kind: 'too-large'; readonly text: string; readonly bytes: number; readonly limit: number }
  | { readonly kind: 'bad-image'; readonly text: string; readonly reason: string }
  | { readonly kind: 'expired'; readonly text: string }
  /** Not something the assistant can search by (a long text, an empty message). */
  | { readonly kind: 'unsupported'; readonly text: string }
  | FailureAnswer;

/** Something went wrong on the shop's side; the text apologizes in the asker's language. */
export type FailureAnswer = {
  /** `unavailable`: database unreachable; `catalog-updating`: re-embedding in progress; `error`: anything else. */
  readonly kind: 'unavailable' | 'catalog-updating' | 'error';
  readonly text: string;
};

/** A product as an owner action reports it. */
export interface ProductChange {
  /** What happened to it. */
  readonly change: 'created' | 'updated' | 'unchanged' | 'stock' | 'price' | 'removed';
  readonly product: Product;
  /** Photos stored by this action (for `/add`). */
  readonly addedImages: number;
}

/** What an owner action (add, stock, price, remove, stats, train) gets back. */
export type OwnerAnswer =
  | { readonly kind: 'not-allowed'; readonly text: string }
  /** The arguments did not have the command's shape; `text` shows the usage. */
  | { readonly kind: 'usage'; readonly text: string }
  /** Values were wrong; nothing was stored. */
  | { readonly kind: 'invalid'; readonly text: string; readonly problems: readonly string[] }
  | ({ readonly kind: 'product'; readonly text: string } & ProductChange)
  | { readonly kind: 'unknown-product'; readonly text: string; readonly sku: string }
  | { readonly kind: 'too-large'; readonly text: string; readonly bytes: number; readonly limit: number }
  | { readonly kind: 'bad-image'; readonly text: string; readonly reason: string }
  | { readonly kind: 'stats'; readonly text: string; readonly stats: ShopStats; readonly chart: { readonly png: Buffer; readonly title: string } }
  /** A run started in the background; its end arrives through {@link TrainingEvents.onFinished}. */
  | { readonly kind: 'training-started'; readonly text: string }
  | { readonly kind: 'training-running'; readonly text: string }
  /** The end of a background run: `charts` are PNG paths (curves, confusion matrix) of a finished run. */
  | { readonly kind: 'training-finished'; readonly text: string; readonly charts: readonly string[] }
  | { readonly kind: 'training-skipped' | 'training-failed'; readonly text: string }
  | FailureAnswer;

/** Progress and the end of a background training run, for the channel that started it. */
export interface TrainingEvents {
  /** Fraction done, 0–1, once per epoch. */
  onProgress(fraction: number): void;
  /** Called exactly once, with `training-finished`, `training-skipped` or `training-failed`. */
  onFinished(answer: OwnerAnswer): void | Promise<void>;
}

/** Bytes of a customer's picture, or why there are none (the channel's download limit, or a link that served no image). */
export type PictureBytes =
  | { readonly kind: 'ok'; readonly data: Buffer }
  | { readonly kind: 'too-large'; readonly bytes: number; readonly limit: number }
  /** The channel could tell before downloading it all (e.g. from `Content-Type`) that this is no picture. */
  | { readonly kind: 'not-an-image'; readonly contentType: string };

/**
 * A picture as a channel hands it over: bytes already in memory (web upload), or a download the
 * core starts only after the rate limit passed (Telegram `getFile`, an Instagram CDN URL).
 */
export type PictureSource = Buffer | (() => Promise<PictureBytes>);
