/**
 * The Instagram Direct channel: verified webhook deliveries in, the conversation core's answers
 * out. Each customer's events are handled in order, different customers' concurrently, so a slow
 * answer or a Graph API retry for one customer never holds up another. Every message id is
 * answered once (the core's inbound ledger), nothing is sent outside Meta's 24-hour messaging
 * window, and the first reply to a customer (and the first after a day's silence) says it comes
 * from an automatic assistant.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { InstagramConfig } from '../config/index.ts';
import type { Conversation, InboundLedger, Language, SearchAnswer } from '../core/conversation/index.ts';
import { describeError, translator, type Asker } from '../core/conversation/index.ts';
import type { Logger } from '../core/logger.ts';
import { downloadAttachment } from './attachments.ts';
import type { IncomingEvent, ParsedDelivery } from './events.ts';
import { GraphApiError, type GraphClient, type OutgoingMessage } from './graph-client.ts';
import { mediaUrl, renderAnswer, withDisclosure } from './render.ts';
import { webhookRoutes } from './webhook.ts';
import type { Hono } from 'hono';

/** Meta's standard messaging window: replies only within 24 hours of the customer's last message. */
export const MESSAGING_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Silence after which the assistant introduces itself again ("after a significant lapse of time"). */
export const DISCLOSURE_LAPSE_MS = 24 * 60 * 60 * 1000;
/** Graph's "outside of allowed window" refusal: code 10, subcode 2018278. */
const OUTSIDE_WINDOW = { code: 10, subcode: 2018278 } as const;

export interface InstagramChannelDependencies {
  readonly conversation: Pick<Conversation, 'searchByPhoto' | 'searchByText' | 'moreLike' | 'showMore'>;
  readonly inbound: Pick<InboundLedger, 'firstDelivery'>;
  readonly graph: Pick<GraphClient, 'sendMessage'>;
  readonly config: InstagramConfig;
  /** `IMAGE_MAX_BYTES`. */
  readonly maxImageBytes: number;
  readonly logger: Logger;
  /** Milliseconds since the epoch (tests move time). */
  readonly now?: () => number;
  /** How long `stop()` lets answers in flight finish before abandoning them (default 10 s). */
  readonly stopTimeoutMs?: number;
  /** Events waiting or in progress beyond which new ones are dropped (default 1,000). */
  readonly maxPending?: number;
  /** Customers remembered for the window, language and disclosure (default 10,000). */
  readonly maxContacts?: number;
}

/** The channel's state for the owner's dashboard. Times are ISO 8601 strings. */
export interface InstagramHealth {
  readonly channel: 'instagram';
  /** Last signed delivery from Meta. */
  readonly lastWebhookAt: string | null;
  /** Last message Meta accepted from us. */
  readonly lastSentAt: string | null;
  readonly lastError: { readonly at: string; readonly message: string } | null;
  readonly sent: number;
  readonly failed: number;
  /** Answers not sent because the 24-hour window had closed. */
  readonly outsideWindow: number;
  /** Redeliveries of messages already answered. */
  readonly duplicates: number;
  /** Events being answered right now. */
  readonly pending: number;
}

interface Contact {
  /** Last time the customer wrote or tapped, in ms. */
  lastInboundAt: number;
  lastRepliedAt: number | undefined;
  lang: Language;
}

export class InstagramChannel {
  private readonly now: () => number;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  private readonly contacts = new Map<string, Contact>();
  private readonly abort = new AbortController();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private counters = { sent: 0, failed: 0, outsideWindow: 0, duplicates: 0 };
  private lastWebhookAt: number | undefined;
  private lastSentAt: number | undefined;
  private lastError: { at: number; message: string } | undefined;

  constructor(private readonly deps: InstagramChannelDependencies) {
    this.now = deps.now ?? Date.now;
  }

  /** The webhook's Hono routes; the web server mounts them at `/webhooks/instagram`. */
  routes(): Hono {
    return webhookRoutes({
      verifyToken: this.deps.config.verifyToken,
      appSecret: this.deps.config.appSecret,
      logger: this.deps.logger,
      accepting: () => !this.stopping,
      accept: (delivery) => this.accept(delivery),
    });
  }

  /** Queues the events of a verified delivery; returns at once. */
  accept(delivery: ParsedDelivery): void {
    this.lastWebhookAt = this.now();
    if (delivery.malformed > 0) this.deps.logger.warn({ malformed: delivery.malformed }, 'Instagram delivery items without the documented shape: skipped');
    if (delivery.object !== 'instagram') {
      this.deps.logger.debug({ object: delivery.object }, 'webhook delivery for another object: ignored');
      return;
    }
    for (const event of delivery.events) this.enqueue(event, performance.now());
  }

  /** For the dashboard: last webhook, last send, last error and counters. */
  health(): InstagramHealth {
    const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
    return {
      channel: 'instagram',
      lastWebhookAt: iso(this.lastWebhookAt),
      lastSentAt: iso(this.lastSentAt),
      lastError: this.lastError ? { at: iso(this.lastError.at)!, message: this.lastError.message } : null,
      ...this.counters,
      pending: this.running.size,
    };
  }

  /** Resolves when every event accepted so far has been answered (or given up on). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Takes no new deliveries (the webhook answers 503, so Meta redelivers them later), lets answers
   * in flight finish for up to `stopTimeoutMs`, then abandons the rest (their downloads and Graph
   * calls are aborted). Safe to call twice.
   */
  stop(): Promise<void> {
    this.stopped ??= this.stopNow();
    return this.stopped;
  }

  private async stopNow(): Promise<void> {
    this.stopping = true;
    const timer = new AbortController();
    const finished = await Promise.race([
      this.drain().then(() => true),
      delay(this.deps.stopTimeoutMs ?? 10_000, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    if (!finished) {
      this.deps.logger.warn({ pending: this.running.size }, 'Instagram answers still in flight at shutdown: abandoned');
      this.abort.abort(new Error('the Instagram channel is stopping'));
      await Promise.race([this.drain(), delay(2_000)]);
    }
    this.deps.logger.info('Instagram channel stopped');
  }

  private enqueue(event: IncomingEvent, receivedAt: number): void {
    if (this.running.size >= (this.deps.maxPending ?? 1_000)) {
      this.recordProblem(new Error(`too many Instagram messages waiting (${this.running.size}): one from ${event.senderId} was dropped`));
      return;
    }
    // One chain per customer keeps their answers in order; customers do not wait for each other.
    const previous = this.chains.get(event.senderId) ?? Promise.resolve();
    const run: Promise<void> = previous
      .then(() => this.handle(event, receivedAt))
      .catch((error: unknown) => this.recordProblem(error, event))
      .finally(() => {
        this.running.delete(run);
        if (this.chains.get(event.senderId) === run) this.chains.delete(event.senderId);
      });
    this.chains.set(event.senderId, run);
    this.running.add(run);
  }

  private async handle(event: IncomingEvent, receivedAt: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    if (!(await this.deps.inbound.firstDelivery('instagram', event.mid))) {
      this.counters.duplicates += 1;
      this.deps.logger.debug({ mid: event.mid }, 'Instagram message delivered again: already answered');
      return;
    }
    const contact = this.contactOf(event);
    if (!this.windowOpen(contact, event)) return;
    const asker: Asker = { channel: 'instagram', userRef: event.senderId, lang: contact.lang };
    const t = translator(asker.lang);
    const answer = await this.answer(event, asker, receivedAt);
    let messages = renderAnswer(answer, { t, mediaUrl: (filePath) => mediaUrl(this.deps.config.publicBaseUrl, filePath) });
    const lastReply = contact.lastRepliedAt;
    if (lastReply === undefined || this.now() - lastReply > DISCLOSURE_LAPSE_MS) messages = withDisclosure(messages, t('bot_disclosure'));
    await this.send(event, contact, messages);
  }

  private answer(event: IncomingEvent, asker: Asker, startedAt: number): Promise<SearchAnswer> {
    const { conversation } = this.deps;
    switch (event.kind) {
      case 'photo':
        return conversation.searchByPhoto(asker, () => downloadAttachment(event.url, { maxBytes: this.deps.maxImageBytes }, this.abort.signal), { startedAt });
      case 'text':
        return conversation.searchByText(asker, event.text);
      case 'more-like':
        return conversation.moreLike(asker, event.imageId);
      case 'show-more':
        return conversation.showMore(asker, event.queryId, event.offset);
      case 'unsupported':
        return Promise.resolve({ kind: 'unsupported', text: translator(asker.lang)('unsupported') });
    }
  }

  /** Sends `messages` in order; stops at the first failure (a carousel without its text is still an answer). */
  private async send(event: IncomingEvent, contact: Contact, messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) {
      if (!this.windowOpen(contact, event)) return;
      try {
        await this.deps.graph.sendMessage(event.senderId, message, this.abort.signal);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        if (error instanceof GraphApiError && error.code === OUTSIDE_WINDOW.code && error.subcode === OUTSIDE_WINDOW.subcode) {
          this.counters.outsideWindow += 1;
          this.deps.logger.warn({ userRef: event.senderId }, 'Instagram refused the answer: outside the 24-hour messaging window');
          return;
        }
        this.counters.failed += 1;
        this.recordProblem(error, event);
        return;
      }
      this.counters.sent += 1;
      this.lastSentAt = this.now();
      contact.lastRepliedAt = this.lastSentAt;
    }
  }

  /** Meta allows replies only within 24 hours of the customer's last message; later ones are logged, not sent. */
  private windowOpen(contact: Contact, event: IncomingEvent): boolean {
    const age = this.now() - contact.lastInboundAt;
    if (age <= MESSAGING_WINDOW_MS) return true;
    this.counters.outsideWindow += 1;
    this.deps.logger.warn({ userRef: event.senderId, mid: event.mid, ageHours: Math.round(age / 3_600_000) }, 'outside the 24-hour messaging window: no answer sent');
    return false;
  }

  /** The customer's record, updated with this event (bounded: the least recently active are forgotten). */
  private contactOf(event: IncomingEvent): Contact {
    const known = this.contacts.get(event.senderId);
    const contact: Contact = known ?? { lastInboundAt: event.timestamp, lastRepliedAt: undefined, lang: 'en' };
    contact.lastInboundAt = Math.max(contact.lastInboundAt, event.timestamp);
    if (event.kind === 'text') contact.lang = languageOfText(event.text) ?? contact.lang;
    // Re-inserting moves the customer to the end of the map's order (most recent).
    this.contacts.delete(event.senderId);
    this.contacts.set(event.senderId, contact);
    if (this.contacts.size > (this.deps.maxContacts ?? 10_000)) this.contacts.delete(this.contacts.keys().next().value!);
    return contact;
  }

  /** Remembers a failure for {@link health} and logs it (token problems as errors: nothing works until they are fixed). */
  recordProblem(error: unknown, event?: IncomingEvent): void {
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = { at: this.now(), message };
    const fields = { userRef: event?.senderId, mid: event?.mid, err: describeError(error) };
    if (error instanceof GraphApiError && error.tokenInvalid) this.deps.logger.error(fields, message);
    else this.deps.logger.warn(fields, 'Instagram answer failed');
  }
}

/**
 * Instagram tells nothing about a customer's language, so it is guessed from what they type:
 * Cyrillic → Russian, Latin letters → English; anything else keeps the previous guess.
 */
export function languageOfText(text: string): Language | undefined {
  if (/[\u0400-\u04FF]/.test(text)) return 'ru';
  if (/[A-Za-z]/.test(text)) return 'en';
  return undefined;
}
