// Fast checks of the web front end's files, no browser or server needed:
// the CSP rules (no inline script or style, no eval), the one place server HTML is used,
// module imports that resolve, and translation keys present in both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

function files(dir, ext) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}
const own = files(WEB, '.js').filter((f) => !f.includes(path.sep + 'vendor' + path.sep));
const read = (f) => fs.readFileSync(f, 'utf8');

test('index.html has no inline script, no inline style, and loads only same-origin files', () => {
  const htmlText = read(path.join(WEB, 'index.html'));
  for (const m of htmlText.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    assert.match(m[1], /\bsrc="\/[^"]+"/, 'every script has a same-origin src');
    assert.equal(m[2].trim(), '', 'no inline script body');
  }
  assert.doesNotMatch(htmlText, /<style\b/i, 'no <style> element');
  assert.doesNotMatch(htmlText, /\sstyle=/i, 'no style attribute');
  assert.doesNotMatch(htmlText, /\son[a-z]+=/i, 'no inline event handler');
  assert.doesNotMatch(htmlText, /(src|href)="(https?:)?\/\//i, 'nothing from another origin');
});

test('the app code uses no eval, no inline styles, and server HTML only in the two sanctioned places', () => {
  for (const f of own) {
    const src = read(f);
    const rel = path.relative(WEB, f);
    assert.doesNotMatch(src, /\beval\s*\(|new Function\s*\(|setTimeout\s*\(\s*['"`]/, rel + ': no eval');
    assert.doesNotMatch(src, /\sstyle=\$?\{?|\.style\.|cssText/, rel + ': no inline styles');
    assert.doesNotMatch(src, /\.innerHTML\s*=|outerHTML\s*=|insertAdjacentHTML|document\.write/, rel + ': no raw HTML writes');
    const uses = (src.match(/dangerouslySetInnerHTML/g) || []).length;
    if (rel !== path.join('js', 'components.js')) assert.equal(uses, 0, rel + ': server HTML goes through PostHtml / MarkdownEditor only');
    else assert.equal(uses, 2, 'components.js: PostHtml and the Markdown preview');
  }
});

test('every relative import resolves to a file, and there are no bare specifiers', () => {
  for (const f of files(WEB, '.js')) {
    const src = read(f);
    for (const m of src.matchAll(/(?:^|[;\s}])(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
      const spec = m[1] || m[2];
      assert.ok(spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/'),
        `${path.relative(WEB, f)}: bare import "${spec}" (browsers need a path; import maps would be inline script)`);
      const target = spec.startsWith('/') ? path.join(WEB, spec) : path.resolve(path.dirname(f), spec);
      assert.ok(fs.existsSync(target), `${path.relative(WEB, f)}: "${spec}" does not exist`);
      assert.ok(target.endsWith('.js'), `${path.relative(WEB, f)}: "${spec}" must end in .js (the server's type table)`);
    }
  }
});

test('Japanese and English have the same keys, and every key used in the code exists', async () => {
  const ja = { ...(await import(pathToFileURL(path.join(WEB, 'i18n/ja.js')))).default };
  const en = { ...(await import(pathToFileURL(path.join(WEB, 'i18n/en.js')))).default };
  // Each feature's own dictionaries (web/i18n/ja-<feature>.js, en-<feature>.js), merged as index.js does.
  for (const f of fs.readdirSync(path.join(WEB, 'i18n')).filter((x) => /^(ja|en)-[\w-]+\.js$/.test(x)).sort()) {
    Object.assign(f.startsWith('ja-') ? ja : en, (await import(pathToFileURL(path.join(WEB, 'i18n', f)))).default);
  }
  assert.deepEqual(Object.keys(en).sort(), Object.keys(ja).sort());
  for (const [k, v] of Object.entries(en)) {
    const pj = (ja[k].match(/\{\w+\}/g) || []).sort().join();
    const pe = (v.match(/\{\w+\}/g) || []).sort().join();
    assert.equal(pe, pj, `placeholders of ${k} match`);
  }
  const missing = [];
  for (const f of own.filter((x) => !x.includes(path.sep + 'i18n' + path.sep))) {
    for (const m of read(f).matchAll(/\bt\('([a-z0-9_.]+)'\s*[,)]/g)) if (!(m[1] in ja)) missing.push(`${path.relative(WEB, f)}: ${m[1]}`);
    for (const m of read(f).matchAll(/\bkey: '([a-z0-9_.]+)'/g)) if (!(m[1] in ja)) missing.push(`${path.relative(WEB, f)}: ${m[1]}`);
  }
  assert.deepEqual(missing, []);
  // Every error code of the contract has its own message.
  for (const code of ['bad_credentials', 'rate_limited', 'csrf', 'unauthenticated', 'consent_required', 'company_inactive',
    'read_only', 'forbidden', 'not_found', 'locked', 'too_large', 'invalid', 'weak_password', 'document_changed',
    'industry_not_eligible', 'not_sme', 'track_full', 'company_full', 'totp_required']) {
    assert.ok(ja['err.' + code], 'ja message for ' + code);
    assert.ok(en['err.' + code], 'en message for ' + code);
  }
  // The visibility wording the program asked for, word for word.
  assert.equal(ja['vis.community.who'], '参加者全員（全社）・専門家・事務局');
  assert.equal(ja['vis.group.who'], '同じワークショップグループの企業・担当専門家・事務局');
  assert.equal(ja['vis.company.who'], '自社のみ（担当専門家・事務局を含む）');
  assert.equal(ja['vis.staff.who'], '専門家・事務局のみ');
});

test('the vendored libraries are present with their licences and recorded versions', () => {
  const readme = read(path.join(WEB, 'vendor/README.md'));
  for (const f of ['preact.js', 'preact-hooks.js', 'htm.js', 'LICENSE-preact', 'LICENSE-htm']) {
    assert.ok(fs.existsSync(path.join(WEB, 'vendor', f)), f);
  }
  assert.match(readme, /preact\s+\|?\s*\d+\.\d+\.\d+/i);
  assert.match(readme, /htm\s+\|?\s*\d+\.\d+\.\d+/i);
});
