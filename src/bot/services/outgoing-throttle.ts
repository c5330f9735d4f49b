/**
 * Keeps outgoing Bot API calls within Telegram's limits: about one message a second per private
 * chat (bursts of a few are tolerated), 20 a minute per group, and `TELEGRAM_MESSAGES_PER_SECOND`
 * over all chats. Only calls addressed to a chat count; chat actions ("sending photo…") are not
 * messages and never wait.
 *
 * Built on p-throttle rather than grammY's transformer-throttler: the latter queues every call
 * through Bottleneck, which costs about 10 ms per call even when no limit is near (measured p50
 * 9.5–10 ms per call on this project's machines) — a sixth of a photo answer. p-throttle runs a
 * call at once unless a limit is reached.
 */
import type { Transformer } from 'grammy';
import pThrottle from 'p-throttle';

/** Runs `task` when the throttle allows it; resolves like `task`. */
type Gate = <T>(task: () => Promise<T>) => Promise<T>;

/** A gate and how many calls wait in it. */
interface Throttle {
  readonly gate: Gate;
  readonly queued: () => number;
}

interface ChatGate extends Throttle {
  /** When the chat last sent, in ms since the epoch; idle gates are dropped. */
  lastUsed: number;
}

/** A private chat may burst this many messages (an answer is an album plus a message of buttons)… */
const PRIVATE_BURST = 5;
/** …within this window, which keeps the average at Telegram's "about one message a second". */
const PRIVATE_WINDOW_MS = 5_000;
/** Groups: Telegram allows 20 messages a minute, and at most one a second. */
const GROUP_PER_MINUTE = 20;
/** Gates idle this long (with nothing queued) are forgotten; no limit of theirs can still apply. */
const IDLE_MS = 60_000;

export class OutgoingThrottle {
  private readonly global: Gate;
  private readonly chats = new Map<string, ChatGate>();
  private lastSweep = Date.now();

  /** @param messagesPerSecond messages over all chats per second (`TELEGRAM_MESSAGES_PER_SECOND`). */
  constructor(messagesPerSecond: number) {
    this.global = gate({ limit: messagesPerSecond, interval: 1_000 }).gate;
  }

  /** The grammY API transformer: chat-addressed calls wait for their chat's gate, then the global one. */
  readonly transformer: Transformer = (prev, method, payload, signal) => {
    if (method === 'sendChatAction' || !payload || !('chat_id' in payload)) return prev(method, payload, signal);
    const chat = this.chatGate(String(payload.chat_id));
    return chat.gate(() => this.global(() => prev(method, payload, signal)));
  };

  /** Chats with a gate right now (for tests of the clean-up). */
  get trackedChats(): number {
    return this.chats.size;
  }

  private chatGate(chatId: string): ChatGate {
    const now = Date.now();
    this.sweep(now);
    let chat = this.chats.get(chatId);
    if (chat === undefined) {
      const throttle = chatId.startsWith('-') ? groupGate() : gate({ limit: PRIVATE_BURST, interval: PRIVATE_WINDOW_MS, strict: true });
      chat = { ...throttle, lastUsed: now };
      this.chats.set(chatId, chat);
    }
    chat.lastUsed = now;
    return chat;
  }

  /** Forgets gates of chats idle for a minute, at most once a minute, so a busy shop's map stays small. */
  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_MS) return;
    this.lastSweep = now;
    for (const [chatId, chat] of this.chats) {
      if (now - chat.lastUsed >= IDLE_MS && chat.queued() === 0) this.chats.delete(chatId);
    }
  }
}

function gate(options: { limit: number; interval: number; strict?: boolean }): Throttle {
  const throttled = pThrottle(options)((task: () => Promise<unknown>) => task());
  return { gate: throttled as Gate, queued: () => throttled.queueSize };
}

/** One a second and 20 a minute: the second gate is entered only after the first let the call through. */
function groupGate(): Throttle {
  const perSecond = gate({ limit: 1, interval: 1_000, strict: true });
  const perMinute = gate({ limit: GROUP_PER_MINUTE, interval: 60_000, strict: true });
  return {
    gate: (task) => perMinute.gate(() => perSecond.gate(task)),
    queued: () => perSecond.queued() + perMinute.queued(),
  };
}
