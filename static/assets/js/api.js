// api.js — the one way the UI talks to the server's REST API.
// Errors come back as ApiError with the server's {"error":{"code","message"}};
// a network failure is ApiError status 0, code "network".

/** An API failure the UI can explain. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 for a network failure
   * @param {string} code the server's snake_case code
   * @param {string} message the server's sentence
   */
  constructor(status, code, message) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let onUnauthenticated = () => {};

/** Sets what happens when the server says the session is gone (401). */
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

/**
 * Builds a path with a query string; empty values are left out.
 * @param {string} path
 * @param {Record<string, any>=} query
 */
export function withQuery(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v != null && v !== '') q.set(k, String(v));
  }
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * Calls the API.
 * @param {string} method
 * @param {string} path e.g. "/api/contacts"
 * @param {{body?: any, query?: Record<string, any>, headers?: Record<string,string>, signal?: AbortSignal, auth?: boolean}=} opts
 *   auth: false to not treat 401 as "signed out" (the sign-in call itself)
 * @returns {Promise<any>} the decoded JSON, or null for an empty answer
 */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  /** @type {RequestInit} */
  const init = { method, headers, credentials: 'same-origin', signal: opts.signal };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(withQuery(path, opts.query), init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
  }
  const text = await res.text().catch(() => '');
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const e = data && data.error;
    const err = new ApiError(res.status, e?.code || `http_${res.status}`,
      e?.message || `The server answered ${res.status}.`);
    if (res.status === 401 && opts.auth !== false) onUnauthenticated(err);
    throw err;
  }
  return data;
}

/** Shorthands. */
export const get = (path, opts) => api('GET', path, opts);
export const post = (path, body, opts) => api('POST', path, { ...opts, body });
export const put = (path, body, opts) => api('PUT', path, { ...opts, body });
export const del = (path, opts) => api('DELETE', path, opts);

/** True when err is an aborted fetch (a page navigated away). */
export function isAbort(err) {
  return err && err.name === 'AbortError';
}

/** A random key for Idempotency-Key (works outside secure contexts too). */
export function randomKey() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The error as one sentence for people. */
export function errorText(err) {
  if (!err) return '';
  if (err instanceof ApiError) {
    if (err.status === 0) return err.message;
    if (err.status === 403 && err.code === 'forbidden') return 'Only admins can do this.';
    if (err.status >= 500) return `The server had a problem (${err.status}). Try again in a moment.`;
    return err.message;
  }
  return 'Something went wrong. Try again.';
}
