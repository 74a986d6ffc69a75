// The API client: same-origin fetch, JSON in and out, X-CSRF-Token on every write.
// The CSRF token comes from the sign-in answer (or GET /api/v1/me) and is kept in memory
// and in sessionStorage so that a reload keeps working.
const BASE = '/api/v1';
const CSRF_KEY = 'mamori.csrf';

let csrf = '';
try { csrf = sessionStorage.getItem(CSRF_KEY) || ''; } catch (_) { /* ignore */ }

export function setCsrf(token) {
  csrf = token || '';
  try {
    if (csrf) sessionStorage.setItem(CSRF_KEY, csrf);
    else sessionStorage.removeItem(CSRF_KEY);
  } catch (_) { /* ignore */ }
}

export class ApiError extends Error {
  constructor(status, code, message, body, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

// Hooks the app installs: what to do when the server says "sign in" or "consent first".
export const hooks = { unauthenticated: null, consentRequired: null, companyInactive: null };

function fallbackCode(status) {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthenticated';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 413: return 'too_large';
    case 422: return 'invalid';
    case 429: return 'rate_limited';
    default: return status >= 500 ? 'server_error' : 'error';
  }
}

/**
 * request(method, path, body, opts)
 *   path: relative to /api/v1 (e.g. '/threads?page=2')
 *   body: a JS value sent as JSON, or with opts.raw a Blob/ArrayBuffer sent as is
 *   opts.quiet: do not trigger the global sign-in / consent handling
 */
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (opts.raw) {
    payload = body;
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;

  let res;
  try {
    res = await fetch(BASE + path, {
      method, headers, body: payload, credentials: 'same-origin', cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message || e));
  }
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') || '';
  let data = null;
  if (type.includes('json')) {
    data = await res.json().catch(() => null);
  } else {
    data = await res.text().catch(() => '');
  }
  if (!res.ok) {
    const obj = data && typeof data === 'object' ? data : {};
    const code = obj.error || fallbackCode(res.status);
    const err = new ApiError(res.status, code, obj.message, obj, res.headers.get('Retry-After'));
    if (!opts.quiet) {
      if (code === 'unauthenticated' && hooks.unauthenticated) hooks.unauthenticated(err);
      if (code === 'consent_required' && hooks.consentRequired) hooks.consentRequired();
      if (code === 'company_inactive' && hooks.companyInactive) hooks.companyInactive(err);
      // Enrolment first: the account page holds the two-step set-up.
      if (code === 'totp_setup_required' && !location.hash.startsWith('#/account')) location.hash = '#/account';
    }
    throw err;
  }
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts);
export const patch = (path, body, opts) => request('PATCH', path, body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

// Query-string helper that drops empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? '?' + s : '';
}
