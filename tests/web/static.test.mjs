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
  // ja.js / en.js plus each feature's ja-<feature>.js / en-<feature>.js, merged as i18n/index.js does.
  const dict = async (lang) => {
    const files = fs.readdirSync(path.join(WEB, 'i18n')).filter((f) => f === lang + '.js' || f.startsWith(lang + '-')).sort();
    const parts = await Promise.all(files.map(async (f) => (await import(pathToFileURL(path.join(WEB, 'i18n', f)))).default));
    const index = read(path.join(WEB, 'i18n/index.js'));
    for (const f of files) assert.ok(index.includes("'./" + f + "'"), 'i18n/index.js merges ' + f);
    return Object.assign({}, ...parts);
  };
  const ja = await dict('ja');
  const en = await dict('en');
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
    'industry_not_eligible', 'not_sme', 'track_full', 'company_full', 'totp_required',
    'not_tokyo', 'prerequisites_unmet', 'applications_closed', 'not_selected']) {
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

// ---- the app calls only what docs/openapi.json documents ------------------------------------
// Finds every API call in web/js (api.get/post/put/patch/del, api.request, useApi, EventSource),
// turns its path expression into a pattern ('/posts/' + p.id + '/flags' → /posts/{}/flags, a
// ternary into both branches, api.qs(...) dropped) and looks for a documented method + path.

const REPO = path.resolve(WEB, '..');
const openapi = JSON.parse(fs.readFileSync(path.join(REPO, 'docs/openapi.json'), 'utf8'));

// The text of the balanced (...) group whose '(' is at src[open]; skips strings and templates.
function group(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth === 0) return src.slice(open + 1, i);
    }
  }
  throw new Error('unbalanced call at ' + open);
}

// Splits text on a top-level separator character (outside strings and brackets).
function splitTop(text, sep) {
  const out = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === sep && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

// Every string a path expression may produce, with '{}' for values known only at run time.
function pathAlternatives(expr) {
  const ternary = splitTop(expr, '?');
  if (ternary.length === 2) return splitTop(ternary[1], ':').filter((b) => b !== 'null').flatMap(pathAlternatives);
  let alts = [''];
  for (const term of splitTop(expr, '+')) {
    let choices;
    const lit = term.match(/^(['"])(.*)\1$/s);
    const tpl = term.match(/^`(.*)`$/s);
    const paren = term.match(/^\((.*)\)$/s);
    if (lit) choices = [lit[2]];
    else if (tpl) choices = [tpl[1].replace(/\$\{[^}]*\}/g, '{}')];
    else if (/^api\.qs\(/.test(term)) choices = [''];
    else if (paren && splitTop(paren[1], '?').length === 2) {
      const [, branches] = splitTop(paren[1], '?');
      choices = splitTop(branches, ':').flatMap(pathAlternatives);
    } else choices = ['{}'];
    alts = alts.flatMap((a) => choices.map((c) => a + c));
  }
  return alts.map((p) => p.split('?')[0]);
}

function appCalls() {
  const calls = [];
  const methods = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', del: 'DELETE' };
  for (const f of own) {
    const src = read(f);
    const rel = path.relative(WEB, f);
    for (const m of src.matchAll(/\b(api\.(get|post|put|patch|del|request)|useApi|new EventSource)\s*\(/g)) {
      const args = splitTop(group(src, m.index + m[0].length - 1), ',');
      let verbs, expr;
      if (m[2] === 'request') {
        verbs = [...args[0].matchAll(/'([A-Z]+)'/g)].map((x) => x[1]);
        expr = args[1];
      } else {
        verbs = [m[2] ? methods[m[2]] : 'GET'];
        expr = args[0];
      }
      if (/^[A-Za-z_$][\w$]*$/.test(expr)) {
        // A local `const path = '/documents/' + doc.id + '/accept';` stands for its value; any
        // other name is a helper passing its own parameter on (its callers are checked).
        const def = src.match(new RegExp('\\bconst ' + expr + ' = ([^;\\n]+);'));
        if (!def) continue;
        expr = def[1].trim();
      }
      for (let p of pathAlternatives(expr)) {
        if (m[1] === 'new EventSource') p = p.replace(/^\/api\/v1/, '');
        for (const v of verbs) calls.push({ where: rel, method: v, path: '/api/v1' + p });
      }
    }
  }
  return calls;
}

function documented(method, p) {
  const segs = p.split('/');
  for (const [template, item] of Object.entries(openapi.paths)) {
    if (!item[method.toLowerCase()]) continue;
    const t = template.split('/');
    if (t.length === segs.length && t.every((s, i) => s === segs[i] || s.startsWith('{') || segs[i] === '{}')) return true;
  }
  return false;
}

test('the app finds its API calls (the parser sees the known ones)', () => {
  const calls = appCalls().map((c) => c.method + ' ' + c.path);
  for (const known of ['GET /api/v1/me', 'POST /api/v1/session', 'GET /api/v1/events',
    'POST /api/v1/threads/{}/posts', 'DELETE /api/v1/threads/{}/follow', 'POST /api/v1/posts/{}/unhide']) {
    assert.ok(calls.includes(known), 'found ' + known);
  }
});

test('every method and path the app calls is in docs/openapi.json', () => {
  const missing = appCalls().filter((c) => !documented(c.method, c.path)).map((c) => `${c.where}: ${c.method} ${c.path}`);
  assert.deepEqual([...new Set(missing)], [], 'calls that docs/openapi.json does not document (the server has no such route)');
});

// The repository stands on its own: no file names the contract or the style notes that live
// outside it (the shared folder beside the repository), and every mention of the API rules names
// docs/API.md (files inside docs/ may link it by its bare name), with a section that exists there.
test('no tracked file points outside the repository, and mentions of the API rules name docs/API.md', async () => {
  const { execFileSync } = await import('node:child_process');
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0').filter(Boolean);
  const bad = [];
  const outside = new RegExp(['\\.\\./' + 'shared', 'shared/' + 'API\\.md', 'STY' + 'LE\\.md'].join('|'));
  const bareApi = /(^|[^\w/.-])API\.md/;
  const vagueApi = new RegExp('\\bAPI' + ' §\\d'); // a section cited without its file
  const sections = new Set([...read(path.join(REPO, 'docs/API.md')).matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
  for (const f of tracked) {
    const full = path.join(REPO, f);
    if (!fs.existsSync(full) || fs.statSync(full).size > 4 << 20) continue;
    const text = fs.readFileSync(full, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (outside.test(line) || vagueApi.test(line) || (!f.startsWith('docs/') && bareApi.test(line))) bad.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
      for (const m of line.matchAll(/API\.md §(\d+)/g)) if (!sections.has(m[1])) bad.push(`${f}:${i + 1}: docs/API.md has no §${m[1]}`);
    });
  }
  assert.deepEqual(bad, []);
});
