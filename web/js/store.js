// A tiny observable store for the few things every screen needs:
// the signed-in user, pending consents, the language, and the unread-notification count.
const listeners = new Set();

function initialLang() {
  try {
    const saved = localStorage.getItem('mamori.lang');
    if (saved === 'ja' || saved === 'en') return saved;
  } catch (_) { /* storage may be blocked */ }
  return 'ja';
}

export const state = {
  ready: false,          // /me has been asked once
  user: null,            // the signed-in user, or null
  pending: [],           // pending consents [{document_id, kind, version, scope}]
  lang: initialLang(),
  unread: 0,             // unread notifications
  toast: null,           // {text, kind}
  live: false,           // event stream connected
  inactive: false,       // the participant's company has withdrawn (403 company_inactive)
};

export function setState(patch) {
  Object.assign(state, patch);
  for (const fn of listeners) fn(state);
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

let toastTimer = null;
export function toast(text, kind = 'info') {
  clearTimeout(toastTimer);
  setState({ toast: { text, kind } });
  toastTimer = setTimeout(() => setState({ toast: null }), 6000);
}

// A small event bus for the server's event stream (thread, post, notification).
const bus = new Map();
export function on(type, fn) {
  if (!bus.has(type)) bus.set(type, new Set());
  bus.get(type).add(fn);
  return () => bus.get(type).delete(fn);
}
export function emit(type, data) {
  for (const fn of bus.get(type) || []) {
    try { fn(data); } catch (e) { console.error(e); }
  }
}

export const isStaff = (u) => !!u && (u.role === 'secretariat' || u.role === 'expert');
export const isSecretariat = (u) => !!u && u.role === 'secretariat';
