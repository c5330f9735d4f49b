/**
 * A small client for the two Graph API calls the channel makes: sending a message and refreshing
 * the access token. ky does the retrying: 429 and 5xx are retried with exponential backoff and
 * jitter, honouring `Retry-After`; Graph's own throttling errors (HTTP 400/403 with codes 4, 17,
 * 32, 613, 80002, 80006, or `is_transient`) are retried too, after the time Meta's
 * `X-Business-Use-Case-Usage` header says access comes back, when that is short enough to wait.
 * Every call carries the caller's AbortSignal, so a stopping channel never waits out a backoff.
 */
import ky, { ForceRetryError, HTTPError, TimeoutError, type KyInstance } from 'ky';
import { z } from 'zod';

/** Graph error codes that mean "too many calls, try later" (app, user, page, custom and business-use-case limits). */
const THROTTLING_CODES = new Set([4, 17, 32, 613, 80002, 80006]);
/** Graph's code for an invalid or expired access token. */
export const INVALID_TOKEN_CODE = 190;

/** Graph's error body: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id", "is_transient"}}`. */
const graphErrorBody = z.object({
  error: z.object({
    message: z.string().optional(),
    type: z.string().optional(),
    code: z.number().optional(),
    error_subcode: z.number().optional(),
    fbtrace_id: z.string().optional(),
    is_transient: z.boolean().optional(),
  }),
});

type GraphErrorFields = z.infer<typeof graphErrorBody>['error'];

/** Meta refused a call (after any retries). The message is one line without the token or the URL. */
export class GraphApiError extends Error {
  readonly status: number;
  readonly code: number | undefined;
  readonly subcode: number | undefined;
  readonly fbtraceId: string | undefined;

  constructor(operation: string, status: number, fields: GraphErrorFields | undefined) {
    super(describeGraphError(operation, status, fields));
    this.name = 'GraphApiError';
    this.status = status;
    this.code = fields?.code;
    this.subcode = fields?.error_subcode;
    this.fbtraceId = fields?.fbtrace_id;
  }

  /** The token was rejected: nothing works until the owner sets a new one. */
  get tokenInvalid(): boolean {
    return this.code === INVALID_TOKEN_CODE;
  }
}

/** The Graph API could not be reached (DNS, connection, timeout) even after retries. */
export class GraphUnreachableError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`${operation}: the Instagram Graph API could not be reached (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'GraphUnreachableError';
  }
}

function describeGraphError(operation: string, status: number, fields: GraphErrorFields | undefined): string {
  if (fields?.code === INVALID_TOKEN_CODE) {
    return `${operation}: Instagram rejected the access token (code 190${fields.message ? `: ${fields.message}` : ''}); ` +
      'create a new long-lived token and set INSTAGRAM_ACCESS_TOKEN (README "Instagram")';
  }
  const code = fields?.code === undefined ? '' : `, code ${fields.code}${fields.error_subcode === undefined ? '' : `/${fields.error_subcode}`}`;
  return `${operation}: Instagram answered HTTP ${status}${code}${fields?.message ? `: ${fields.message}` : ''}`;
}

/** The message part of a Send API call: text with optional quick replies, or a template attachment. */
export type OutgoingMessage =
  | { readonly text: string; readonly quick_replies?: readonly QuickReply[] }
  | { readonly attachment: { readonly type: 'template'; readonly payload: GenericTemplate } };

export interface QuickReply {
  readonly content_type: 'text';
  /** ≤ 20 characters (longer titles are truncated by Instagram). */
  readonly title: string;
  readonly payload: string;
}

export interface GenericTemplate {
  readonly template_type: 'generic';
  /** ≤ 10 elements. */
  readonly elements: readonly TemplateElement[];
}

export interface TemplateElement {
  /** ≤ 80 characters. */
  readonly title: string;
  /** ≤ 80 characters. */
  readonly subtitle?: string;
  readonly image_url?: string;
  /** ≤ 3 buttons. */
  readonly buttons?: readonly TemplateButton[];
}

export type TemplateButton =
  | { readonly type: 'postback'; readonly title: string; readonly payload: string }
  | { readonly type: 'web_url'; readonly title: string; readonly url: string };

export interface GraphClientOptions {
  /** Graph host without a trailing slash, e.g. `https://graph.instagram.com`. */
  readonly apiRoot: string;
  /** e.g. `v25.0`. */
  readonly apiVersion: string;
  /** Instagram professional account id, or `me`. */
  readonly accountId: string;
  /** The access token; read on every call, so a refreshed token takes effect at once. */
  readonly token: () => string;
  /** Retries after the first attempt (default 3). */
  readonly retries?: number;
  /** First backoff delay in milliseconds, doubled per retry (default 500). */
  readonly backoffMs?: number;
  /** Longest wait for a retry hint; longer hints are not waited for (default 30 s). */
  readonly maxRetryAfterMs?: number;
  /** Per-attempt timeout in milliseconds (default 20 s). */
  readonly timeoutMs?: number;
}

/** A refreshed long-lived token and its lifetime in seconds. */
export interface RefreshedToken {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
}

const refreshResponse = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

export class GraphClient {
  private readonly http: KyInstance;

  constructor(private readonly options: GraphClientOptions) {
    const backoffMs = options.backoffMs ?? 500;
    const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.http = ky.create({
      prefixUrl: options.apiRoot,
      timeout: options.timeoutMs ?? 20_000,
      retry: {
        limit: options.retries ?? 3,
        // Sending is a POST; a 429/5xx means Meta did not take the message, so repeating it is safe.
        methods: ['get', 'post'],
        statusCodes: [429, 500, 502, 503, 504],
        afterStatusCodes: [429, 503],
        maxRetryAfter: maxRetryAfterMs,
        delay: (attempt) => backoffMs * 2 ** (attempt - 1),
        backoffLimit: maxRetryAfterMs,
        // Many customers' answers failing at once must not retry in lockstep.
        jitter: (delay) => delay * (0.5 + Math.random() / 2),
      },
      hooks: { afterResponse: [(_request, _options, response) => retryGraphThrottling(response, maxRetryAfterMs)] },
    });
  }

  /**
   * Sends `message` to the Instagram-scoped user id `recipientId`.
   * @returns Meta's id of the sent message.
   * @throws {GraphApiError} when Meta refuses it; {@link GraphUnreachableError} when Meta cannot be reached.
   */
  async sendMessage(recipientId: string, message: OutgoingMessage, signal?: AbortSignal): Promise<string | undefined> {
    const { apiVersion, accountId } = this.options;
    const body = await this.call('send message', signal, () =>
      this.http.post(`${apiVersion}/${accountId}/messages`, {
        json: { recipient: { id: recipientId }, message },
        headers: { authorization: `Bearer ${this.options.token()}` },
        ...(signal ? { signal } : {}),
      }).json<{ message_id?: unknown }>(),
    );
    return typeof body.message_id === 'string' ? body.message_id : undefined;
  }

  /**
   * Exchanges the current long-lived token (at least 24 hours old, not expired) for one valid
   * 60 days from now (`GET /refresh_access_token?grant_type=ig_refresh_token`).
   */
  async refreshToken(signal?: AbortSignal): Promise<RefreshedToken> {
    const body = await this.call('refresh access token', signal, () =>
      this.http.get('refresh_access_token', {
        searchParams: { grant_type: 'ig_refresh_token', access_token: this.options.token() },
        ...(signal ? { signal } : {}),
      }).json<unknown>(),
    );
    const parsed = refreshResponse.safeParse(body);
    if (!parsed.success) throw new GraphApiError('refresh access token', 200, { message: 'the answer had no access_token/expires_in' });
    return { accessToken: parsed.data.access_token, expiresInSeconds: parsed.data.expires_in };
  }

  /** Runs a request and turns ky's errors (whose messages contain the URL, and so maybe the token) into ours. */
  private async call<T>(operation: string, signal: AbortSignal | undefined, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (error instanceof HTTPError) throw new GraphApiError(operation, error.response.status, await errorFields(error.response));
      // Graph throttling that was retried until the limit, or whose hint was too long to wait for.
      const throttled = error instanceof ForceRetryError ? error.cause : error;
      if (throttled instanceof GraphThrottled) throw new GraphApiError(operation, throttled.status, throttled.fields);
      if (error instanceof TimeoutError) throw new GraphUnreachableError(operation, new Error('timed out'));
      throw new GraphUnreachableError(operation, error);
    }
  }
}

/** Graph said "throttled" (the cause of ky's forced retry, or thrown when its hint is too long to wait for). */
class GraphThrottled extends Error {
  constructor(
    readonly status: number,
    readonly fields: GraphErrorFields,
  ) {
    super(`Graph throttling, code ${fields.code ?? 'unknown'}`);
    this.name = 'GraphThrottled';
  }
}

/**
 * ky's `afterResponse` hook: Graph signals throttling with 400/403 and an error code rather than
 * 429, so such answers are retried here, after Meta's hint when it gives one.
 */
async function retryGraphThrottling(response: Response, maxRetryAfterMs: number): Promise<Response | ReturnType<typeof ky.retry>> {
  if (response.ok || (response.status !== 400 && response.status !== 403)) return response;
  const fields = await errorFields(response);
  if (!fields || !(THROTTLING_CODES.has(fields.code ?? -1) || fields.is_transient === true)) return response;
  const hintMs = regainAccessMs(response.headers);
  const throttled = new GraphThrottled(response.status, fields);
  if (hintMs !== undefined && hintMs > maxRetryAfterMs) throw throttled;
  return ky.retry({ ...(hintMs === undefined ? {} : { delay: hintMs }), code: 'GRAPH_THROTTLED', cause: throttled });
}

async function errorFields(response: Response): Promise<GraphErrorFields | undefined> {
  try {
    const parsed = graphErrorBody.safeParse(await response.clone().json());
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Longest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`
 * (`{"<id>": [{"type": …, "estimated_time_to_regain_access": 2}]}`), in milliseconds.
 */
export function regainAccessMs(headers: Headers): number | undefined {
  const raw = headers.get('x-business-use-case-usage');
  if (!raw) return undefined;
  try {
    const usage = JSON.parse(raw) as Record<string, { estimated_time_to_regain_access?: unknown }[]>;
    const minutes = Object.values(usage)
      .flat()
      .map((entry) => entry.estimated_time_to_regain_access)
      .filter((value): value is number => typeof value === 'number' && value >= 0);
    return minutes.length === 0 ? undefined : Math.max(...minutes) * 60_000;
  } catch {
    return undefined;
  }
}
