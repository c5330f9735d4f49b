/**
 * The HTTP contract every web route shares: failures are `{"error": "…"}` with a fitting status,
 * request bodies and queries are validated with zod, and nothing internal (stack traces, SQL,
 * file paths) reaches a response.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

/** A request the client must change: answered with `status` and `{"error": message}`. */
export class HttpProblem extends HTTPException {
  constructor(status: ContentfulStatusCode, message: string, readonly headers: Readonly<Record<string, string>> = {}) {
    super(status, { message });
    this.name = 'HttpProblem';
  }
}

/** Largest JSON body any route accepts, in bytes. */
export const JSON_BODY_LIMIT = 64 * 1024;

/** Validation problems as one line: `price: …; stock: …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * The request's JSON body, validated.
 * @throws {HttpProblem} 415 when it is not JSON, 400 when it does not parse or does not fit `schema`.
 */
export async function jsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  if (!isJson(c)) throw new HttpProblem(415, 'Send the body as JSON (Content-Type: application/json).');
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    throw new HttpProblem(400, 'The body is not valid JSON.');
  }
  return validated(schema, raw, 'body');
}

/**
 * The request's multipart form (files as `File`s; repeated fields as arrays with `all`).
 * @throws {HttpProblem} 400 when the body is not well-formed multipart.
 */
export async function formBody(c: Context, options: { all?: boolean } = {}): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return await c.req.parseBody({ all: options.all ?? false });
  } catch (error) {
    if (error instanceof HTTPException) throw error;
    throw new HttpProblem(400, 'The upload is not well-formed multipart/form-data.');
  }
}

/** Query-string parameters, validated. @throws {HttpProblem} 400 */
export function queryParams<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  return validated(schema, c.req.query(), 'query');
}

/** Route parameters, validated. @throws {HttpProblem} 400 (404 reads better for a malformed id in a path) */
export function pathParams<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw new HttpProblem(404, 'Not found.');
  return parsed.data;
}

function validated<T extends z.ZodType>(schema: T, raw: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpProblem(400, `Invalid ${where}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function isJson(c: Context): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '');
}

export function isMultipart(c: Context): boolean {
  return /^multipart\/form-data\b/i.test(c.req.header('content-type') ?? '');
}

/**
 * Middleware-ready 413 for `bodyLimit`: the unread rest of the body is abandoned, so the
 * connection is closed rather than reused (a client would otherwise send its next request into
 * the leftover bytes).
 */
export function tooLargeResponse(c: Context, message: string): Response {
  return errorResponse(c, 413, message, { Connection: 'close' });
}

/** `{"error": message}` with `status`. */
export function errorResponse(c: Context, status: ContentfulStatusCode, message: string, headers: Readonly<Record<string, string>> = {}): Response {
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return c.json({ error: message }, status);
}
