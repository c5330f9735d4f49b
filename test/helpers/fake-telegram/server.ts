/**
 * A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests and the bot benchmark. It
 * speaks the HTTP protocol grammY uses (JSON and multipart requests, `{ ok, result }` answers),
 * serves long polling, files and downloads, records every call, and can inject failures: 429 with
 * `retry_after`, 5xx, 401, 409, connections dropped or stalled — before or after the call took
 * effect — and updates delivered twice. Only what ShopLens uses is implemented.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message, PhotoSize, Update, UserFromGetMe } from 'grammy/types';

/** One API call the bot made. `files` holds multipart uploads by field name. */
export interface RecordedCall {
  readonly index: number;
  readonly method: string;
  readonly params: Record<string, unknown>;
  readonly files: ReadonlyMap<string, Buffer>;
  /** `performance.now()` when the request arrived. */
  readonly at: number;
  /** Set when an injected failure answered this call (code 0: the connection was dropped or stalled). */
  readonly failed?: { readonly code: number };
  /** True when the call took effect although the bot was told it failed (`afterDelivery` failures). */
  readonly delivered?: boolean;
  /** The result returned to the bot (absent for failed calls). */
  result?: unknown;
}

/** A file the fake serves through getFile and downloads. */
export interface StoredFile {
  readonly file_id: string;
  readonly file_unique_id: string;
  readonly file_size: number;
}

/** An injected failure: an HTTP error answer, or a dropped / stalled connection. */
export interface InjectedFailure {
  /** HTTP status and `error_code` (ignored for `drop` and `stall`). */
  readonly code?: number;
  readonly retryAfter?: number;
  readonly description?: string;
  /** `drop` closes the connection without an answer; `stall` never answers. Default: an error answer. */
  readonly kind?: 'answer' | 'drop' | 'stall';
  /** Perform the call first (messages are delivered), then fail — like a 502 after Telegram executed it. */
  readonly afterDelivery?: boolean;
}

interface Failure {
  readonly code: number;
  readonly description: string;
  readonly retryAfter?: number;
  readonly kind: 'answer' | 'drop' | 'stall';
  readonly afterDelivery: boolean;
}

interface Poller {
  readonly offset: number;
  readonly respond: (updates: Update[]) => void;
}

type UpdateBody = Omit<Update, 'update_id'>;

export class FakeTelegram {
  readonly token = '123456789:TEST_fake-token_abcdefghijklmnop';
  readonly botInfo: UserFromGetMe = {
    id: 123456789, is_bot: true, first_name: 'ShopLens Test', username: 'shoplens_test_bot',
    can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
    can_connect_to_business: false, has_main_web_app: false, has_topics_enabled: false,
    allows_users_to_create_topics: false,
  } as UserFromGetMe;
  readonly calls: RecordedCall[] = [];
  /** `performance.now()` at which each update was queued, by update id. */
  readonly queuedAt = new Map<number, number>();
  private readonly server: Server;
  private readonly updates: Update[] = [];
  /** Every update handed out, by id (for {@link FakeTelegram.redeliver}). */
  private readonly delivered = new Map<number, Update>();
  private readonly pollers = new Set<Poller>();
  private readonly files = new Map<string, { data: Buffer; path: string; uniqueId: string; declaredSize: number }>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly listeners = new Set<() => void>();
  private readonly stalled = new Set<ServerResponse>();
  private readonly redelivered: Update[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private nextFileNumber = 1;
  private port = 0;

  constructor() {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.reply(response, 500, { ok: false, error_code: 500, description: String(error) });
      });
    });
  }

  /** Base URL to use as grammY's `apiRoot` / `TELEGRAM_API_ROOT`. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on 127.0.0.1:`port` (default: a free port). */
  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const poller of this.pollers) poller.respond([]);
    this.pollers.clear();
    for (const response of this.stalled) response.destroy();
    this.stalled.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queues an update; returns its id. A waiting getUpdates answers at once. */
  pushUpdate(body: UpdateBody): number {
    const update = { update_id: this.nextUpdateId++, ...body };
    this.updates.push(update);
    this.queuedAt.set(update.update_id, performance.now());
    // Answer on the next turn so updates pushed together (an album) arrive in one batch, as
    // Telegram delivers them.
    setImmediate(() => {
      for (const poller of [...this.pollers]) this.answerPoller(poller);
    });
    return update.update_id;
  }

  /** Registers a downloadable file. `declaredSize` overrides the size getFile reports (to test limits). */
  addFile(data: Buffer, options: { declaredSize?: number; extension?: string } = {}): StoredFile {
    const number = this.nextFileNumber++;
    const fileId = `FILE-${number}-${'x'.repeat(20)}`;
    const entry = { data, path: `photos/file_${number}.${options.extension ?? 'jpg'}`, uniqueId: `U${number}`, declaredSize: options.declaredSize ?? data.length };
    this.files.set(fileId, entry);
    return { file_id: fileId, file_unique_id: entry.uniqueId, file_size: entry.declaredSize };
  }

  /** Bytes of a file the bot uploaded or a test registered. */
  fileData(fileId: string): Buffer | undefined {
    return this.files.get(fileId)?.data;
  }

  /** Makes the next `times` calls of `method` fail (e.g. 429 with `retryAfter` seconds, 502 after delivery, a dropped connection). */
  failNext(method: string, failure: InjectedFailure, times = 1): void {
    const code = failure.code ?? 0;
    const description = failure.description ?? defaultDescription(code, failure.retryAfter);
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) {
      queue.push({
        code, description, kind: failure.kind ?? 'answer', afterDelivery: failure.afterDelivery ?? false,
        ...(failure.retryAfter !== undefined ? { retryAfter: failure.retryAfter } : {}),
      });
    }
    this.failures.set(method, queue);
  }

  /** Forgets failures not yet used (of `method`, or all). */
  clearFailures(method?: string): void {
    if (method === undefined) this.failures.clear();
    else this.failures.delete(method);
  }

  /**
   * Delivers update `updateId` once more, even though the bot confirmed it — as Telegram does
   * when a webhook answer was late or a poller restarted before confirming its offset.
   */
  redeliver(updateId: number): void {
    const original = this.delivered.get(updateId);
    if (!original) throw new Error(`update ${updateId} was never delivered`);
    this.redelivered.push(original);
    setImmediate(() => {
      for (const poller of [...this.pollers]) this.answerPoller(poller);
    });
  }

  /** Calls of `method` that took effect (including those answered with an injected failure after delivery). */
  effective(method: string, chatId?: number): RecordedCall[] {
    return this.calls.filter((call) => call.method === method && (call.result !== undefined || call.delivered === true) && (chatId === undefined || Number(call.params.chat_id) === chatId));
  }

  /** Resolves with the first call (from index `from`) matching `predicate`; rejects after `timeoutMs`. */
  waitForCall(predicate: (call: RecordedCall) => boolean, from = 0, timeoutMs = 20_000): Promise<RecordedCall> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.calls.slice(from).find((call) => call.result !== undefined || call.failed ? predicate(call) : false);
        if (!found) return false;
        this.listeners.delete(listener);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching Bot API call within ${timeoutMs} ms; calls since ${from}: ${this.calls.slice(from).map((call) => call.method).join(', ')}`));
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.apiRoot);
    const fileMatch = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (fileMatch) return this.download(fileMatch[1]!, fileMatch[2]!, response);
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!match || match[1] !== this.token) {
      this.reply(response, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      return;
    }
    const { params, files } = await parseBody(request);
    const call: RecordedCall = { index: this.calls.length, method: match[2]!, params, files, at: performance.now() };
    this.calls.push(call);
    const failure = this.failures.get(call.method)?.shift();
    if (failure) return this.fail(call, failure, response);
    if (call.method === 'getUpdates') return this.getUpdates(call, response);
    const outcome = this.handle(call);
    if ('error' in outcome) {
      (call as { failed?: { code: number } }).failed = { code: outcome.error.code };
      this.notify();
      this.reply(response, outcome.error.code, { ok: false, error_code: outcome.error.code, description: outcome.error.description });
      return;
    }
    call.result = outcome.result;
    this.notify();
    this.reply(response, 200, { ok: true, result: outcome.result });
  }

  /** Answers `call` with an injected failure, performing it first when the failure comes after delivery. */
  private fail(call: RecordedCall, failure: Failure, response: ServerResponse): void {
    if (failure.afterDelivery && call.method !== 'getUpdates') {
      const outcome = this.handle(call);
      if ('result' in outcome) (call as { delivered?: boolean }).delivered = true;
    }
    (call as { failed?: { code: number } }).failed = { code: failure.code };
    this.notify();
    if (failure.kind === 'drop') {
      response.socket?.destroy();
      return;
    }
    if (failure.kind === 'stall') {
      this.stalled.add(response);
      response.once('close', () => this.stalled.delete(response));
      return;
    }
    this.reply(response, failure.code, {
      ok: false, error_code: failure.code, description: failure.description,
      ...(failure.retryAfter !== undefined ? { parameters: { retry_after: failure.retryAfter } } : {}),
    });
  }

  private handle(call: RecordedCall): { result: unknown } | { error: { code: number; description: string } } {
    const p = call.params;
    switch (call.method) {
      case 'getMe':
        return { result: this.botInfo };
      case 'getFile':
        return this.getFile(String(p.file_id));
      case 'sendMessage':
        return { result: this.message(p, { text: String(p.text), ...(p.reply_markup ? { reply_markup: p.reply_markup as Message['reply_markup'] } : {}) }) };
      case 'sendPhoto':
        return this.sendPhoto(call);
      case 'sendMediaGroup':
        return this.sendMediaGroup(call);
      case 'editMessageText':
        return { result: this.message(p, { text: String(p.text), message_id: Number(p.message_id) }) };
      case 'answerCallbackQuery':
      case 'sendChatAction':
      case 'setMyCommands':
      case 'deleteWebhook':
      case 'setWebhook':
        return { result: true };
      default:
        return { error: { code: 404, description: `Not Found: method ${call.method} is not faked` } };
    }
  }

  private getFile(fileId: string): { result: unknown } | { error: { code: number; description: string } } {
    const file = this.files.get(fileId);
    if (!file) return { error: { code: 400, description: 'Bad Request: invalid file_id' } };
    return { result: { file_id: fileId, file_unique_id: file.uniqueId, file_size: file.declaredSize, file_path: file.path } };
  }

  private sendPhoto(call: RecordedCall): { result: unknown } | { error: { code: number; description: string } } {
    const photo = this.resolveMedia(call.params.photo, call.files);
    if ('error' in photo) return photo;
    return { result: this.message(call.params, { photo: photo.sizes, ...(call.params.caption ? { caption: call.params.caption as string } : {}) }) };
  }

  private sendMediaGroup(call: RecordedCall): { result: unknown } | { error: { code: number; description: string } } {
    const media = call.params.media as { type: string; media: string; caption?: string }[] | undefined;
    if (!Array.isArray(media) || media.length < 2 || media.length > 10) {
      return { error: { code: 400, description: 'Bad Request: wrong number of media in the album: must be 2-10' } };
    }
    const groupId = `G${this.nextMessageId}`;
    const messages: Message[] = [];
    for (const item of media) {
      const photo = this.resolveMedia(item.media, call.files);
      if ('error' in photo) return photo;
      messages.push(this.message(call.params, { photo: photo.sizes, media_group_id: groupId, ...(item.caption ? { caption: item.caption } : {}) }));
    }
    return { result: messages };
  }

  /** An uploaded (`attach://name` or direct file field) or referenced (`file_id`) photo. */
  private resolveMedia(media: unknown, files: ReadonlyMap<string, Buffer>): { sizes: PhotoSize[] } | { error: { code: number; description: string } } {
    let fileId: string;
    if (typeof media === 'string' && media.startsWith('attach://')) {
      const data = files.get(media.slice('attach://'.length));
      if (!data) return { error: { code: 400, description: 'Bad Request: file attachment is missing' } };
      fileId = this.addFile(data).file_id;
    } else if (typeof media === 'string' && this.files.has(media)) {
      fileId = media;
    } else if (media === undefined && files.size === 1) {
      fileId = this.addFile([...files.values()][0]!).file_id;
    } else {
      return { error: { code: 400, description: 'Bad Request: wrong file identifier/HTTP URL specified' } };
    }
    const file = this.files.get(fileId)!;
    return { sizes: [{ file_id: fileId, file_unique_id: file.uniqueId, width: 320, height: 320, file_size: file.data.length }] };
  }

  private message(params: Record<string, unknown>, fields: Partial<Message>): Message {
    const chatId = Number(params.chat_id);
    return {
      message_id: this.nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: 'Customer' },
      from: this.botInfo,
      ...fields,
    };
  }

  private getUpdates(call: RecordedCall, response: ServerResponse): void {
    const offset = Number(call.params.offset ?? 0);
    const timeoutMs = Math.min(Number(call.params.timeout ?? 0), 30) * 1000;
    const poller: Poller = {
      offset,
      respond: (updates) => {
        this.pollers.delete(poller);
        clearTimeout(timer);
        call.result = updates;
        if (!response.writableEnded && !response.destroyed) this.reply(response, 200, { ok: true, result: updates });
      },
    };
    const timer = setTimeout(() => poller.respond([]), timeoutMs);
    // The response (not the keep-alive socket) closes when the bot aborts its long poll.
    response.once('close', () => {
      this.pollers.delete(poller);
      clearTimeout(timer);
    });
    this.pollers.add(poller);
    this.answerPoller(poller);
  }

  private answerPoller(poller: Poller): void {
    // Telegram forgets updates below the offset a client confirms.
    while (this.updates.length > 0 && this.updates[0]!.update_id < poller.offset) this.updates.shift();
    const batch = [...this.redelivered.splice(0), ...this.updates.slice(0, 100)];
    for (const update of batch) this.delivered.set(update.update_id, update);
    if (batch.length > 0) poller.respond(batch);
  }

  private download(token: string, filePath: string, response: ServerResponse): void {
    if (token !== this.token) return void response.writeHead(401).end();
    const file = [...this.files.values()].find((entry) => entry.path === filePath);
    if (!file) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.data.length }).end(file.data);
  }

  private reply(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function defaultDescription(code: number, retryAfter: number | undefined): string {
  switch (code) {
    case 429: return `Too Many Requests: retry after ${retryAfter ?? 1}`;
    case 401: return 'Unauthorized';
    case 409: return 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running';
    case 502: return 'Bad Gateway';
    default: return 'Internal Server Error';
  }
}

/** JSON or multipart/form-data. */
async function parseBody(request: IncomingMessage): Promise<{ params: Record<string, unknown>; files: Map<string, Buffer> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const type = request.headers['content-type'] ?? '';
  const files = new Map<string, Buffer>();
  if (body.length === 0) return { params: {}, files };
  if (type.startsWith('application/json')) return { params: JSON.parse(body.toString('utf8')) as Record<string, unknown>, files };
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (!type.startsWith('multipart/form-data') || !boundary) throw new Error(`unexpected content-type ${type}`);
  const params: Record<string, unknown> = {};
  for (const part of multipartParts(body, boundary[1] ?? boundary[2]!)) {
    if (part.filename === undefined) params[part.name] = parseField(part.data.toString('utf8'));
    else files.set(part.name, part.data);
  }
  return { params, files };
}

/**
 * Splits a multipart/form-data body into its parts. Hand-written because undici's
 * `Request.formData()` rejects grammY's (valid) streamed bodies.
 */
function multipartParts(body: Buffer, boundary: string): { name: string; filename?: string; data: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { name: string; filename?: string; data: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    let partStart = start + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    if (body[partStart] === 13 && body[partStart + 1] === 10) partStart += 2;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    const partEnd = body[next - 2] === 13 && body[next - 1] === 10 ? next - 2 : next;
    const part = body.subarray(partStart, partEnd);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const name = /;\s*name="([^"]*)"/.exec(headers)?.[1] ?? '';
    // grammY leaves the file name unquoted (`filename=photo.jpg`).
    const filename = /;\s*filename="?([^";\r\n]*)"?/.exec(headers)?.[1];
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), data: Buffer.from(part.subarray(headerEnd + 4)) });
    start = next;
  }
  return parts;
}

/** grammY sends objects in multipart fields as JSON text. */
function parseField(value: string): unknown {
  if (!/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}
