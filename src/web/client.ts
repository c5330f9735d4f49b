/**
 * Who a web customer is, without an account: an anonymous session id in an HttpOnly cookie (the
 * rate limit and "show more" follow it), and the client's address for the per-address cap that
 * keeps clearing cookies from lifting the limit.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { getCookie, setCookie } from 'hono/cookie';

/** Name of the anonymous session cookie. */
export const SESSION_COOKIE = 'shoplens_session';
const SESSION_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const SESSION_MAX_AGE_SECONDS = 365 * 86_400;

/** The caller's anonymous session id; a new one is issued (and set as a cookie) when there is none. */
export function sessionOf(c: Context): string {
  const current = getCookie(c, SESSION_COOKIE);
  if (current && SESSION_PATTERN.test(current)) return current;
  const id = randomBytes(16).toString('base64url');
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: SESSION_MAX_AGE_SECONDS, secure: isHttps(c) });
  return id;
}

/**
 * The client's IP address. Behind a reverse proxy on this machine (the documented set-up) every
 * connection comes from loopback, so then the address the proxy appended to `X-Forwarded-For`
 * (its last entry) is used; from anywhere else the header is ignored, since a client can forge it.
 */
export function clientAddress(c: Context): string {
  const peer = peerAddress(c);
  if (!isLoopback(peer)) return peer;
  const forwarded = c.req.header('x-forwarded-for')?.split(',').map((part) => part.trim()).filter((part) => part !== '');
  return forwarded?.at(-1) ?? peer;
}

/** True when the page was requested over HTTPS (directly, or through a TLS-terminating proxy on this machine). */
export function isHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return isLoopback(peerAddress(c)) && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function peerAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    // Requests made in-process (app.request in tests) have no socket.
    return 'unknown';
  }
}

function isLoopback(address: string): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || address.startsWith('127.');
}
