/**
 * Retrying outgoing Bot API calls without ever answering twice, and without blocking a chat or a
 * shutdown for long. @grammyjs/auto-retry retries network errors without an attempt limit (back-off
 * up to an hour), retries every method on 5xx, and knows no deadline — three things this policy
 * exists to avoid.
 *
 * Which failures are retried (README "Failure behaviour"):
 * - 429 with `retry_after`: Telegram did not execute the call, so any method is retried once the
 *   wait is over — if the wait fits in the update's deadline.
 * - Network errors before the request reached Telegram (connection refused, DNS failure, host
 *   unreachable): any method, with exponential back-off.
 * - 5xx, timeouts and connections dropped mid-request are ambiguous: Telegram may have executed
 *   the call (a 502 after `sendMediaGroup` was delivered). Only idempotent methods
 *   ({@link IDEMPOTENT_METHODS}) are retried; sending methods are not, so a customer never gets the
 *   same album twice — the failure ends the answer with an apology instead.
 * - Other 4xx: never (the request itself is wrong).
 * - `getUpdates` is never retried here: the runner has its own back-off and must see 401/409.
 *
 * Every update's calls share one deadline ({@link ANSWER_BUDGET_MS} after the update arrived): no
 * retry starts that would end after it, so a customer's chat is blocked for at most that long
 * plus one last request. After {@link ApiRetryPolicy.beginShutdown} no retry starts at all, and
 * {@link ApiRetryPolicy.abortInFlight} cancels requests still running.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setMaxListeners } from 'node:events';
import { HttpError, type Transformer } from 'grammy';
import type { ApiResponse } from 'grammy/types';

/** Methods that may safely run twice: reads, settings, chat actions, edits to the same content. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'getMe', 'getFile', 'getChat', 'getWebhookInfo', 'setWebhook', 'deleteWebhook', 'setMyCommands', 'deleteMyCommands',
  'answerCallbackQuery', 'sendChatAction', 'editMessageText', 'editMessageCaption', 'editMessageReplyMarkup', 'deleteMessage',
]);

/** Time from an update's arrival after which no retry starts, in milliseconds. */
export const ANSWER_BUDGET_MS = 20_000;

/** Error codes of a connection that never carried the request, so Telegram cannot have executed it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

export interface RetryPolicyOptions {
  /** Attempts per call, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** First back-off after a 5xx or network error, doubled each time (ms). Default 1000. */
  readonly baseDelayMs?: number;
  /** Longest single back-off (ms). Default 8000. */
  readonly maxDelayMs?: number;
  /** See {@link ANSWER_BUDGET_MS}; tests use shorter budgets. */
  readonly answerBudgetMs?: number;
  /** Longest single request (ms). Default 20,000. */
  readonly requestTimeoutMs?: number;
  /** Shortest request timeout, also for calls made after the deadline (the apology). Default 5000. */
  readonly minRequestTimeoutMs?: number;
  /** Told before each retry (logging). */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Told when a call fails for good (logging). */
  readonly onGiveUp?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  readonly method: string;
  readonly attempt: number;
  /** `429`, `5xx`, `network` or `network-not-sent`. */
  readonly failure: string;
  readonly delayMs?: number;
  /** Why no retry follows (given up only). */
  readonly reason?: string;
}

interface Scope {
  readonly deadline: number;
  /** Failures are the caller's to report (a single final attempt). */
  readonly quiet?: boolean;
}

type ApiResult<R = unknown> = ApiResponse<R>;
/** grammY types signals with the `abort-controller` shim; only these members are used. */
type CallerSignal = NonNullable<Parameters<Transformer>[3]>;
interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A failure as the policy sees it. */
type Failure = { readonly kind: '429'; readonly retryAfterMs: number } | { readonly kind: '5xx' | 'network' | 'network-not-sent' | 'final' };

export class ApiRetryPolicy {
  private readonly scope = new AsyncLocalStorage<Scope>();
  private readonly abortAll = new AbortController();
  private stopping = false;
  private readonly waits = new Set<() => void>();
  private readonly options: Required<Omit<RetryPolicyOptions, 'onRetry' | 'onGiveUp'>> & Pick<RetryPolicyOptions, 'onRetry' | 'onGiveUp'>;

  constructor(options: RetryPolicyOptions = {}) {
    // Every request in flight listens here (and stops listening when it ends).
    setMaxListeners(0, this.abortAll.signal);
    this.options = {
      maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000, answerBudgetMs: ANSWER_BUDGET_MS,
      requestTimeoutMs: 20_000, minRequestTimeoutMs: 5000, ...options,
    };
  }

  /** Middleware giving every call made while handling an update one shared deadline. */
  readonly middleware = (_ctx: unknown, next: () => Promise<void>): Promise<void> =>
    this.scope.run({ deadline: Date.now() + this.options.answerBudgetMs }, next);

  /** Runs `work` so that its calls get one attempt each (an apology after a failure). */
  finalAttempt<T>(work: () => Promise<T>): Promise<T> {
    return this.scope.run({ deadline: 0, quiet: true }, work);
  }

  /** No retry starts from now on; calls waiting to retry fail at once. */
  beginShutdown(): void {
    this.stopping = true;
    for (const wake of [...this.waits]) wake();
  }

  /** Cancels every request still running (the end of a bounded shutdown). */
  abortInFlight(): void {
    this.beginShutdown();
    this.abortAll.abort();
  }

  /** The grammY API transformer. */
  readonly transformer: Transformer = (prev, method, payload, signal) => this.call(method, signal, (merged) => prev(method, payload, merged));

  private async call<R>(method: string, signal: SignalLike | undefined, send: (signal: CallerSignal) => Promise<ApiResult<R>>): Promise<ApiResult<R>> {
    const scope = this.scope.getStore();
    const deadline = scope?.deadline ?? Date.now() + this.options.answerBudgetMs;
    if (method === 'getUpdates') return this.request(signal, undefined, send);
    for (let attempt = 1; ; attempt++) {
      const timeoutMs = Math.min(this.options.requestTimeoutMs, Math.max(this.options.minRequestTimeoutMs, deadline - Date.now()));
      let failure: Failure;
      let outcome: { result: ApiResult<R> } | { error: unknown };
      try {
        const result = await this.request(signal, timeoutMs, send);
        if (result.ok) return result;
        outcome = { result };
        failure = classifyResult(result);
      } catch (error) {
        if (signal?.aborted) throw error;
        outcome = { error };
        failure = classifyThrown(error);
      }
      const delayMs = this.retryDelay(method, failure, attempt, deadline);
      if (typeof delayMs === 'string') {
        if (failure.kind !== 'final' && !scope?.quiet) this.options.onGiveUp?.({ method, attempt, failure: failure.kind, reason: delayMs });
        if ('error' in outcome) throw outcome.error;
        return outcome.result;
      }
      this.options.onRetry?.({ method, attempt, failure: failure.kind, delayMs });
      await this.pause(delayMs, signal);
    }
  }

  /** Milliseconds to wait before the next attempt, or why there is none. */
  private retryDelay(method: string, failure: Failure, attempt: number, deadline: number): number | string {
    if (failure.kind === 'final') return 'not retryable';
    if (this.stopping) return 'shutting down';
    if (attempt >= this.options.maxAttempts) return `gave up after ${attempt} attempts`;
    if ((failure.kind === '5xx' || failure.kind === 'network') && !IDEMPOTENT_METHODS.has(method)) {
      return 'Telegram may have executed it; not repeated to avoid a duplicate';
    }
    const delay = failure.kind === '429' ? failure.retryAfterMs : Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempt - 1));
    if (Date.now() + delay > deadline) return 'the answer deadline would pass';
    return delay;
  }

  /**
   * One request under the caller's signal, our shutdown signal and (for ordinary calls) a timeout,
   * merged by hand: `AbortSignal.any` on a long-lived signal keeps every dependant alive on Node 20.
   */
  private async request<R>(caller: SignalLike | undefined, timeoutMs: number | undefined, call: (signal: CallerSignal) => Promise<ApiResult<R>>): Promise<ApiResult<R>> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    const sources = [caller, this.abortAll.signal].filter((source): source is SignalLike => source !== undefined);
    if (sources.some((source) => source.aborted)) abort();
    for (const source of sources) source.addEventListener('abort', abort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(abort, timeoutMs);
    try {
      return await call(controller.signal as unknown as CallerSignal);
    } finally {
      clearTimeout(timer);
      for (const source of sources) source.removeEventListener('abort', abort);
    }
  }

  private pause(ms: number, caller: SignalLike | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.waits.delete(wake);
        caller?.removeEventListener('abort', wake);
        if (error) reject(error);
        else resolve();
      };
      const wake = () => done(new Error('retry cancelled: shutting down'));
      const timer = setTimeout(() => done(), ms);
      this.waits.add(wake);
      caller?.addEventListener('abort', wake, { once: true });
    });
  }
}

function classifyResult(result: ApiResult): Failure {
  if (!result.ok && result.error_code === 429) {
    const retryAfter = result.parameters?.retry_after;
    return typeof retryAfter === 'number' ? { kind: '429', retryAfterMs: retryAfter * 1000 } : { kind: 'final' };
  }
  if (!result.ok && result.error_code >= 500) return { kind: '5xx' };
  return { kind: 'final' };
}

function classifyThrown(error: unknown): Failure {
  if (!(error instanceof HttpError)) return { kind: 'final' };
  return NOT_SENT_CODES.has(errorCode(error.error)) ? { kind: 'network-not-sent' } : { kind: 'network' };
}

function errorCode(error: unknown): string {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}
