// Display helpers. The API speaks UTC (RFC 3339); people here read Japan Standard Time.
import { state } from './store.js';

const fmtCache = new Map();
function fmt(kind) {
  const key = state.lang + ':' + kind;
  if (!fmtCache.has(key)) {
    const locale = state.lang === 'en' ? 'en-GB' : 'ja-JP';
    const opts = { timeZone: 'Asia/Tokyo' };
    if (kind === 'date') Object.assign(opts, { year: 'numeric', month: '2-digit', day: '2-digit' });
    else Object.assign(opts, {
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
    });
    fmtCache.set(key, new Intl.DateTimeFormat(locale, opts));
  }
  return fmtCache.get(key);
}

export function parseTime(value) {
  if (!value) return null;
  const d = new Date(value);
  return isNaN(d.getTime()) ? null : d;
}

/** "2026/11/25 20:00 JST" */
export function jst(value) {
  const d = parseTime(value);
  if (!d) return '';
  return fmt('datetime').format(d) + ' JST';
}

export function jstDate(value) {
  const d = parseTime(value);
  return d ? fmt('date').format(d) : '';
}

/** ISO string for the datetime attribute of <time>. */
export function iso(value) {
  const d = parseTime(value);
  return d ? d.toISOString() : '';
}

export function bytes(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

export function yen(n) {
  if (n === null || n === undefined || n === '') return '';
  const locale = state.lang === 'en' ? 'en-GB' : 'ja-JP';
  return new Intl.NumberFormat(locale).format(Number(n)) + (state.lang === 'en' ? ' JPY' : ' 円');
}

export function num(n) {
  if (n === null || n === undefined || n === '') return '';
  return new Intl.NumberFormat(state.lang === 'en' ? 'en-GB' : 'ja-JP').format(Number(n));
}

/** Remove any markup from a server string and give back plain text (inert parsing, no execution). */
export function plainText(s) {
  if (typeof s !== 'string') return '';
  if (!/[<&]/.test(s)) return s;
  const doc = new DOMParser().parseFromString('<!doctype html><body>' + s, 'text/html');
  return doc.body.textContent || '';
}
