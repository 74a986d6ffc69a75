// The reader's language: pages (this browser) and, when signed in, mamori's mails to them
// (user.lang on the server, PATCH /api/v1/me {lang}). The signed-in user's saved language wins
// over the one this browser last chose.
import * as api from './api.js';
import { state, setState } from './store.js';

/** Shows pages in lang ('ja' or 'en') and remembers it in this browser. */
export function showLang(lang) {
  try { localStorage.setItem('mamori.lang', lang); } catch (_) { /* storage may be blocked */ }
  document.documentElement.lang = lang;
  setState({ lang });
}

/** Switches to lang and, when signed in, saves it for the user (mail follows). Throws an ApiError. */
export async function chooseLang(lang) {
  showLang(lang);
  if (!state.user) return;
  const out = await api.patch('/me', { lang }, { quiet: true });
  setState({ user: out.user });
}

/** After /me or sign-in: adopts the user's saved language. */
export function adoptUserLang(user) {
  if (user && (user.lang === 'ja' || user.lang === 'en') && user.lang !== state.lang) showLang(user.lang);
}
