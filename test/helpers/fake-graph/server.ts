/**
 * A fake Instagram Graph API on 127.0.0.1 for the Instagram channel's tests. It serves
 * `POST /{version}/{account}/messages` (bearer token checked, the documented limits enforced with
 * Graph-style 400 errors) and `GET /refresh_access_token`, records every attempt and every accepted
 * send, and can answer the next calls with injected failures (429 with `Retry-After`, 500, Graph
 * throttling codes), optionally only for one recipient.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../loopback-server.ts';

/** A send Meta accepted. `message` is the Send API's `message` object as posted. */
export interface RecordedSend {
  readonly accountId: string;
  readonly recipientId: string;
  readonly message: SentMessage;
  readonly token: string;
  /** `performance.now()` when it arrived. */
  readonly at: number;
}

/** The shapes the channel sends (loosely typed: tests inspect them). */
export interface SentMessage {
  readonly text?: string;
  readonly quick_replies?: readonly { content_type: string; title: string; payload: string }[];
  readonly attachment?: {
    readonly type: string;
    readonly payload: {
      readonly template_type: string;
      readonly elements: readonly {
        title: string;
        subtitle?: string;
        image_url?: string;
        buttons?: readonly { type: string; title: string; payload?: string; url?: string }[];
      }[];
    };
  };
}

/** An injected answer for the next matching send. */
export interface Failure {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Graph error fields (`{"error": …}`); default a generic one. */
  readonly error?: Record<string, unknown>;
  /** Only sends to this recipient fail. */
  readonly recipientId?: string;
}

export class FakeGraph {
  readonly version = 'v25.0';
  readonly accountId = 'me';
  /** Tokens the fake accepts; a refresh adds the new one. */
  readonly validTokens = new Set<string>(['IGAA-test-access-token-0123456789']);
  readonly sends: RecordedSend[] = [];
  /** Every POST to /messages, failed ones included. */
  attempts = 0;
  refreshes = 0;
  private readonly server: Server;
  private readonly failures: Failure[] = [];
  private readonly waiters = new Set<() => void>();
  private port = 0;

  constructor() {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { error: { message: String(error), code: 1 } });
      });
    });
  }

  /** The token the channel is configured with. */
  get token(): string {
    return [...this.validTokens][0]!;
  }

  /** `INSTAGRAM_API_ROOT` for the channel. */
  get root(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  /** The next send (to `failure.recipientId`, if given) is answered with `failure`. */
  failNext(failure: Failure): void {
    this.failures.push(failure);
  }

  /** Accepted sends to `recipientId`, in order. */
  sendsTo(recipientId: string): RecordedSend[] {
    return this.sends.filter((send) => send.recipientId === recipientId);
  }

  /** Resolves once `count` sends were accepted in total; rejects after `timeoutMs`. */
  async waitForSends(count: number, timeoutMs = 10_000): Promise<RecordedSend[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.sends.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} sends, got ${this.sends.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.sends.slice(0, count);
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.root);
    const send = new RegExp(`^/${this.version.replace('.', '\\.')}/([^/]+)/messages$`).exec(url.pathname);
    if (request.method === 'POST' && send) return this.message(send[1]!, request, response);
    if (request.method === 'GET' && url.pathname === '/refresh_access_token') return this.refresh(url, response);
    json(response, 404, { error: { message: `Unknown path ${url.pathname}`, code: 803 } });
  }

  private async message(accountId: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.attempts += 1;
    const body = JSON.parse(await readBody(request)) as { recipient?: { id?: string }; message?: SentMessage };
    const recipientId = body.recipient?.id ?? '';
    const failure = this.takeFailure(recipientId);
    if (failure) return json(response, failure.status, { error: failure.error ?? { message: 'Injected failure', code: 2, is_transient: false } }, failure.headers);
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!this.validTokens.has(token)) return json(response, 400, { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 } });
    const problem = body.message ? limitProblem(body.message) : 'message is required';
    if (!recipientId || problem) return json(response, 400, { error: { message: problem ?? 'recipient.id is required', type: 'OAuthException', code: 100 } });
    this.sends.push({ accountId, recipientId, message: body.message!, token, at: performance.now() });
    for (const wake of this.waiters) wake();
    this.waiters.clear();
    json(response, 200, { recipient_id: recipientId, message_id: `m_${this.sends.length}` });
  }

  private refresh(url: URL, response: ServerResponse): void {
    const token = url.searchParams.get('access_token') ?? '';
    if (url.searchParams.get('grant_type') !== 'ig_refresh_token' || !this.validTokens.has(token)) {
      return json(response, 400, { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 } });
    }
    this.refreshes += 1;
    const fresh = `IGAA-refreshed-token-${this.refreshes}-0123456789`;
    this.validTokens.add(fresh);
    json(response, 200, { access_token: fresh, token_type: 'bearer', expires_in: 5_184_000 });
  }

  private takeFailure(recipientId: string): Failure | undefined {
    const index = this.failures.findIndex((failure) => failure.recipientId === undefined || failure.recipientId === recipientId);
    return index < 0 ? undefined : this.failures.splice(index, 1)[0];
  }
}

/** The Send API limits the channel must respect; a violation is what Meta would refuse. */
function limitProblem(message: SentMessage): string | undefined {
  if (message.text !== undefined && Buffer.byteLength(message.text, 'utf8') > 1000) return 'text is longer than 1000 bytes';
  if ((message.quick_replies?.length ?? 0) > 13) return 'more than 13 quick replies';
  if (message.quick_replies?.some((reply) => [...reply.title].length > 20)) return 'quick reply title over 20 characters';
  const elements = message.attachment?.payload.elements;
  if (elements) {
    if (elements.length === 0 || elements.length > 10) return 'a generic template needs 1-10 elements';
    for (const element of elements) {
      if ([...element.title].length > 80 || [...(element.subtitle ?? '')].length > 80) return 'element title or subtitle over 80 characters';
      if ((element.buttons?.length ?? 0) > 3) return 'more than 3 buttons';
    }
  }
  if (message.text === undefined && !message.attachment) return 'message needs text or an attachment';
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
