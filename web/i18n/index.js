// t('key', {n: 3}) → the string in the current language with {n} filled in.
// Japanese is the default and the fallback; English is a switch in the header.
import jaBase from './ja.js';
import enBase from './en.js';
import jaApps from './ja-apps.js';
import enApps from './en-apps.js';
import jaRounds from './ja-rounds.js';
import enRounds from './en-rounds.js';
import jaCases from './ja-cases.js';
import enCases from './en-cases.js';
import jaNotify from './ja-notify.js';
import enNotify from './en-notify.js';
import jaVisits from './ja-visits.js';
import enVisits from './en-visits.js';
import { state } from '../js/store.js';

// Each feature keeps its strings in its own pair of files, merged here.
const ja = { ...jaBase, ...jaApps, ...jaRounds, ...jaCases, ...jaNotify, ...jaVisits };
const en = { ...enBase, ...enApps, ...enRounds, ...enCases, ...enNotify, ...enVisits };
const dicts = { ja, en };

export function t(key, params) {
  const d = dicts[state.lang] || ja;
  let s = d[key];
  if (s === undefined) s = ja[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}

export function has(key) {
  return Object.prototype.hasOwnProperty.call(ja, key);
}

/** The Japanese (or English) message for an API error code. */
export function errorText(err) {
  if (!err) return '';
  const code = err.code || 'error';
  const params = { retry: err.retryAfter || '' };
  if (code === 'rate_limited' && err.retryAfter) return t('err.rate_limited_after', params);
  if (has('err.' + code)) return t('err.' + code, params);
  // An unknown code: show the server's own message if it gave one, else a generic line.
  return (err.message && err.message !== code ? err.message + ' ' : '') + t('err.unknown', { code });
}
