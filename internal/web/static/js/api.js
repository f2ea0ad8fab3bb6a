// The admin API client (docs/admin-api.md). The browser sends the session
// cookie (HttpOnly, set by POST /admin/api/session); the page never holds
// the admin key beyond the sign-in call.

export class APIError extends Error {
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code || '';
  }
}

// createAPI returns call(method, path, body) and the helpers; onUnauthorized
// runs when a call answers 401 (the session ended).
export function createAPI(onUnauthorized) {
  async function call(method, path, body, opts = {}) {
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch('/admin/api' + path, init);
    } catch (e) {
      throw new APIError(0, String(e && e.message ? e.message : e), 'network');
    }
    if (resp.status === 401 && !opts.noRedirect) onUnauthorized();
    if (resp.status === 204) return null;
    const text = await resp.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!resp.ok) {
      const err = data && data.error ? data.error : {};
      throw new APIError(resp.status, err.message || text || resp.statusText, err.code);
    }
    return data;
  }
  return {
    call,
    get: (path, opts) => call('GET', path, undefined, opts),
    post: (path, body, opts) => call('POST', path, body === undefined ? {} : body, opts),
    patch: (path, body) => call('PATCH', path, body),
    del: path => call('DELETE', path),
  };
}

// qs builds a query string from the non-empty values of obj.
export function qs(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && v !== null && v !== '' && v !== 0) p.set(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

// seg escapes one path segment (a provider or client name).
export const seg = encodeURIComponent;
