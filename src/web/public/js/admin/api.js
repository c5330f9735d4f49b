// The owner API with the admin token. The token lives in sessionStorage (this tab, until it is
// closed) and travels only in the Authorization header — never in a URL.
import { html, useEffect, useState } from '/vendor/preact-htm.js';

const KEY = 'shoplens.adminToken';
let onUnauthorized = () => undefined;

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Called whenever the API answers 401 (the token was wrong or has changed). */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/** An API failure with the server's one-line message. */
export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Calls the owner API; `json` or `form` become the body. Resolves to the parsed JSON. */
export async function api(path, { method = 'GET', json, form, signal } = {}) {
  const headers = { Authorization: `Bearer ${token.get() ?? ''}` };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'The shop server could not be reached. Is ShopLens still running?');
  }
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) onUnauthorized();
  if (!response.ok) throw new ApiError(response.status, data.error ?? `The server answered ${response.status}.`, data);
  return data;
}

/** Reads a server-sent-event stream from a POST/GET with the token (EventSource cannot send headers). */
export async function streamEvents(path, { method = 'GET', onEvent, signal }) {
  const response = await fetch(path, { method, headers: { Authorization: `Bearer ${token.get() ?? ''}`, Accept: 'text/event-stream' }, signal });
  if (response.status === 401) onUnauthorized();
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    throw new ApiError(response.status, data.error ?? `The server answered ${response.status}.`, data);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
      if (data) onEvent(JSON.parse(data));
    }
  }
}

/** An image that needs the token (charts, training figures): fetched, then shown from a blob URL. */
export function AuthImage({ src, alt, className, width, height }) {
  const [url, setUrl] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let objectUrl;
    let cancelled = false;
    setFailed(false);
    fetch(src, { headers: { Authorization: `Bearer ${token.get() ?? ''}` } })
      .then((response) => (response.ok ? response.blob() : Promise.reject(new Error(String(response.status)))))
      .then((blob) => {
        if (cancelled) return;
        objectUrl = URL.createObjectURL(blob);
        setUrl(objectUrl);
      })
      .catch(() => !cancelled && setFailed(true));
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [src]);
  if (failed) return html`<p class="muted">Could not load ${alt}.</p>`;
  if (!url) return html`<div class=${`image-placeholder ${className ?? ''}`} role="img" aria-label=${alt} aria-busy="true"></div>`;
  return html`<img src=${url} alt=${alt} class=${className} width=${width} height=${height} />`;
}

/** `2026-11-20T08:00:00Z` → local date and time, short. */
export function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A fraction as a percentage with one decimal. */
export function percent(fraction) {
  return `${(fraction * 100).toFixed(1)}%`;
}
