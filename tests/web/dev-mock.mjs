// dev-mock.mjs — a small in-memory stand-in for the mamori API, for front-end development only.
// It serves web/ with the same CSP as the real server and answers the API shapes the web UI
// expects (see web/README.md, "API details the UI relies on"). It is NOT the contract and not
// used by the browser test, which always runs the real server.
//
//   node tests/web/dev-mock.mjs [port]        → http://127.0.0.1:9780/  (admin@example.jp / admin-password-1)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
const PORT = Number(process.argv[2] || 9780);
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sha = (s) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
let seq = 100;
const nextId = () => ++seq;

const db = {
  users: [{ id: 1, email: 'admin@example.jp', name: '事務局', role: 'secretariat', password: 'admin-password-1', status: 'active' }],
  invites: new Map(), sessions: new Map(), documents: [], acceptances: [], groups: [], companies: [],
  assignments: [], categories: [], threads: [], posts: [], attachments: [], escalations: [], notifications: [],
  flags: [], audit: [], streams: new Set(),
};

function audit(actor, action, target, ip = '127.0.0.1') {
  const prev = db.audit.length ? db.audit[db.audit.length - 1].hash : '';
  const e = { id: db.audit.length + 1, at: now(), actor_id: actor ? actor.id : null, action, target: String(target || ''), ip };
  e.hash = sha(prev + JSON.stringify(e));
  db.audit.push(e);
}

function currentDoc(kind) {
  const list = db.documents.filter((d) => d.kind === kind && d.material);
  return list[list.length - 1] || null;
}
function latestDoc(kind) {
  const list = db.documents.filter((d) => d.kind === kind);
  return list[list.length - 1] || null;
}
function pendingFor(u) {
  if (u.role === 'secretariat') return [];
  const out = [];
  const kinds = u.role === 'expert' ? ['nda'] : ['participation', 'nda'];
  for (const kind of kinds) {
    const cur = currentDoc(kind);
    if (!cur) continue;
    const okVersions = db.documents.filter((d) => d.kind === kind && d.version >= cur.version).map((d) => d.id);
    const personal = db.acceptances.some((a) => a.user_id === u.id && a.scope === 'personal' && okVersions.includes(a.document_id));
    if (!personal) out.push({ document_id: latestDoc(kind).id, kind, version: latestDoc(kind).version, scope: 'personal' });
    if (u.role === 'participant') {
      const company = db.acceptances.some((a) => a.company_id === u.company_id && a.scope === 'company' && okVersions.includes(a.document_id));
      if (!company) out.push({ document_id: latestDoc(kind).id, kind, version: latestDoc(kind).version, scope: 'company' });
    }
  }
  return out;
}
const company = (id) => db.companies.find((c) => c.id === id);
const userById = (id) => db.users.find((u) => u.id === id);
const pubUser = (u) => u && ({ id: u.id, email: u.email, name: u.name, role: u.role, company_id: u.company_id || null,
  company_name: u.company_id ? (company(u.company_id) || {}).name : undefined, representative: !!u.representative,
  specialties: u.specialties || [], status: u.status });
const assignedTo = (expertId) => db.assignments.filter((a) => a.expert_id === expertId).map((a) => a.company_id);

function canRead(u, th) {
  if (u.role === 'secretariat') return true;
  if (db.escalations.some((e) => e.thread_id === th.id && e.expert_id === u.id && e.state !== 'declined')) return true;
  switch (th.visibility) {
    case 'community': return true;
    case 'staff': return u.role === 'expert';
    case 'company': return u.role === 'participant' ? u.company_id === th.company_id : assignedTo(u.id).includes(th.company_id);
    case 'group': {
      if (!th.group_id) return false;
      if (u.role === 'participant') return (company(u.company_id) || {}).group_id === th.group_id;
      return assignedTo(u.id).some((cid) => (company(cid) || {}).group_id === th.group_id);
    }
    default: return false;
  }
}

function md(src) {
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return src.split(/\n{2,}/).map((block) => {
    const b = esc(block.trim());
    if (!b) return '';
    if (/^#{1,3} /.test(b)) { const n = b.match(/^#+/)[0].length; return `<h${n}>${b.slice(n + 1)}</h${n}>`; }
    if (/^- /m.test(b)) return '<ul>' + b.split('\n').map((l) => `<li>${l.replace(/^- /, '')}</li>`).join('') + '</ul>';
    return '<p>' + b.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>').replace(/\n/g, '<br>') + '</p>';
  }).join('\n');
}

function broadcast(type, data, th) {
  for (const s of db.streams) {
    if (th && !canRead(s.user, th)) continue;
    if (data.user_id && data.user_id !== s.user.id) continue;
    const { user_id, ...pub } = data;
    s.res.write(`event: ${type}\ndata: ${JSON.stringify(pub)}\n\n`);
  }
}
function notify(userId, kind, th, extra = {}) {
  const n = { id: nextId(), user_id: userId, kind, thread_id: th.id, thread_title: th.title, created_at: now(), read_at: null, ...extra };
  db.notifications.unshift(n);
  broadcast('notification', { id: n.id, thread_id: th.id, user_id: userId });
}

function threadOut(th, u) {
  const posts = db.posts.filter((p) => p.thread_id === th.id);
  const author = userById(th.author_id);
  return { ...th, author: pubUser(author), category_name: (db.categories.find((c) => c.id === th.category_id) || {}).name,
    company_name: th.company_id ? (company(th.company_id) || {}).name : null, post_count: posts.length,
    last_post_at: posts.length ? posts[posts.length - 1].created_at : th.created_at,
    unread: posts.filter((p) => !(th.readers || {})[u.id] || p.id > th.readers[u.id]).length };
}
function postOut(p, u) {
  const a = userById(p.author_id);
  const hiddenForMe = p.hidden && u.role !== 'secretariat' && u.id !== p.author_id;
  return { id: p.id, thread_id: p.thread_id, author: pubUser(a), body: hiddenForMe ? '' : p.body, html: hiddenForMe ? '' : md(p.body),
    created_at: p.created_at, edited_at: p.edited_at || null, hidden: !!p.hidden, redacted: !!p.redacted };
}

function send(res, status, obj, headers = {}) {
  const body = obj === null ? '' : JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Security-Policy': CSP, ...headers });
  res.end(body);
}
const err = (res, status, code, message) => send(res, status, { error: code, message: message || code });

function readBody(req) {
  return new Promise((resolve) => { const chunks = []; req.on('data', (c) => chunks.push(c)); req.on('end', () => resolve(Buffer.concat(chunks))); });
}

const routes = [];
const route = (method, pattern, opts, fn) => routes.push({ method, re: new RegExp('^' + pattern.replace(/:(\w+)/g, '(?<$1>[^/]+)') + '$'), opts, fn });

route('GET', '/api/v1/health', { public: true }, (c) => send(c.res, 200, { status: 'ok' }));
route('POST', '/api/v1/session', { public: true }, (c) => {
  const u = db.users.find((x) => x.email === c.body.email && x.password && x.password === c.body.password);
  if (!u) { audit(null, 'session.login_failed', c.body.email); return err(c.res, 401, 'bad_credentials'); }
  if (u.totp && !c.body.totp) return err(c.res, 401, 'totp_required');
  const sid = crypto.randomBytes(16).toString('hex');
  const csrf = crypto.randomBytes(16).toString('hex');
  db.sessions.set(sid, { user_id: u.id, csrf });
  audit(u, 'session.login', u.id);
  send(c.res, 200, { user: pubUser(u), csrf_token: csrf }, { 'Set-Cookie': `mamori_session=${sid}; HttpOnly; SameSite=Strict; Path=/` });
});
route('DELETE', '/api/v1/session', {}, (c) => { db.sessions.delete(c.sid); send(c.res, 204, null); });
route('GET', '/api/v1/me', { nogate: true }, (c) => send(c.res, 200, { user: pubUser(c.user), pending_consents: pendingFor(c.user), csrf_token: c.session.csrf }));
route('POST', '/api/v1/invites/:token/accept', { public: true }, (c) => {
  const uid = db.invites.get(c.params.token);
  if (!uid) return err(c.res, 404, 'not_found');
  if (!c.body.password || c.body.password.length < 12) return err(c.res, 422, 'weak_password');
  const u = userById(uid); u.password = c.body.password; u.status = 'active'; db.invites.delete(c.params.token);
  send(c.res, 200, { user: pubUser(u) });
});
route('GET', '/api/v1/documents/current', { nogate: true }, (c) => send(c.res, 200, ['participation', 'nda'].map(latestDoc).filter(Boolean)));
route('POST', '/api/v1/documents', { sec: true }, (c) => {
  const { kind, title, body, material } = c.body;
  const d = { id: nextId(), kind, title, body, material: material !== false, sha256: sha(body || ''), created_at: now(),
    version: db.documents.filter((x) => x.kind === kind).length + 1 };
  db.documents.push(d);
  send(c.res, 201, d);
});
route('POST', '/api/v1/documents/:id/accept', { nogate: true }, (c) => {
  const d = db.documents.find((x) => x.id === Number(c.params.id));
  if (!d) return err(c.res, 404, 'not_found');
  if (c.body.sha256 !== d.sha256) return err(c.res, 409, 'document_changed');
  if (c.body.on_behalf_of_company && !(c.user.role === 'participant' && c.user.representative)) return err(c.res, 403, 'forbidden');
  const rec = { id: nextId(), user_id: c.user.id, company_id: c.user.company_id || null, document_id: d.id, version: d.version,
    scope: c.body.on_behalf_of_company ? 'company' : 'personal', at: now(), sha256: d.sha256 };
  db.acceptances.push(rec);
  audit(c.user, 'consent.accept', d.id);
  send(c.res, 201, rec);
});
route('GET', '/api/v1/consents', { nogate: true }, (c) => send(c.res, 200, db.acceptances.filter((a) => a.user_id === c.user.id).slice().reverse()
  .map((a) => ({ ...a, action: 'accept', kind: db.documents.find((d) => d.id === a.document_id).kind, in_effect: true }))));
route('GET', '/api/v1/consents/report', { sec: true }, (c) => {
  const pick = (filter) => Object.fromEntries(['participation', 'nda'].map((k) => {
    const a = db.acceptances.filter((x) => filter(x) && db.documents.find((d) => d.id === x.document_id).kind === k).pop();
    return [k, a ? { version: a.version, accepted_at: a.at } : null];
  }));
  send(c.res, 200, {
    companies: db.companies.filter((x) => x.status === 'active').map((co) => ({ id: co.id, name: co.name, track: co.track, ...pick((a) => a.company_id === co.id && a.scope === 'company') })),
    users: db.users.filter((u) => u.role !== 'secretariat').map((u) => ({ ...pubUser(u), ...pick((a) => a.user_id === u.id && a.scope === 'personal') })),
  });
});
route('GET', '/api/v1/groups', { sec: true }, (c) => send(c.res, 200, { groups: db.groups }));
route('POST', '/api/v1/groups', { sec: true }, (c) => { const g = { id: nextId(), name: c.body.name }; db.groups.push(g); send(c.res, 201, g); });
route('GET', '/api/v1/companies', { sec: true }, (c) => send(c.res, 200, { companies: db.companies.map((co) => ({ ...co,
  experts: db.assignments.filter((a) => a.company_id === co.id).map((a) => ({ id: a.expert_id, name: userById(a.expert_id).name })) })) }));
route('POST', '/api/v1/companies', { sec: true }, (c) => {
  const b = c.body;
  const track = 'DEF'.includes(b.industry) ? 'monozukuri' : ('GHIJKLMNOPRST'.includes(b.industry) ? 'service' : null);
  if (!track || b.industry.length !== 1) return err(c.res, 422, 'industry_not_eligible');
  const lim = { manufacturing_other: [3e8, 300], wholesale: [1e8, 100], service: [5e7, 100], retail: [5e7, 50] }[b.sme_class];
  if (!lim) return err(c.res, 422, 'invalid');
  if (!(b.capital_yen <= lim[0] || b.employees <= lim[1])) return err(c.res, 422, 'not_sme');
  const co = { id: nextId(), name: b.name, industry: b.industry, sme_class: b.sme_class, capital_yen: b.capital_yen,
    employees: b.employees, group_id: b.group_id || null, track, status: 'active' };
  db.companies.push(co);
  send(c.res, 201, co);
});
route('PATCH', '/api/v1/companies/:id', { sec: true }, (c) => {
  const co = company(Number(c.params.id)); if (!co) return err(c.res, 404, 'not_found');
  if (c.body.status) co.status = c.body.status;
  if ('group_id' in c.body) co.group_id = c.body.group_id;
  send(c.res, 200, co);
});
route('POST', '/api/v1/companies/:id/experts', { sec: true }, (c) => {
  db.assignments.push({ company_id: Number(c.params.id), expert_id: c.body.expert_id }); send(c.res, 201, {});
});
route('DELETE', '/api/v1/companies/:id/experts/:eid', { sec: true }, (c) => {
  db.assignments = db.assignments.filter((a) => !(a.company_id === Number(c.params.id) && a.expert_id === Number(c.params.eid)));
  send(c.res, 204, null);
});
route('POST', '/api/v1/companies/:id/consents', { sec: true }, (c) => {
  const d = db.documents.find((x) => x.id === c.body.document_id);
  const rec = { id: nextId(), user_id: c.user.id, company_id: Number(c.params.id), document_id: d.id, version: d.version, scope: 'company', at: now(), method: c.body.method };
  db.acceptances.push(rec); send(c.res, 201, rec);
});
route('GET', '/api/v1/users', { sec: true }, (c) => send(c.res, 200, { users: db.users.map(pubUser) }));
route('POST', '/api/v1/users', { sec: true }, (c) => {
  const b = c.body;
  if (b.role === 'participant' && db.users.filter((u) => u.company_id === b.company_id).length >= 1) return err(c.res, 409, 'company_full');
  const u = { id: nextId(), email: b.email, name: b.name, role: b.role, company_id: b.company_id || null,
    representative: !!b.representative, specialties: b.specialties || [], status: 'invited' };
  db.users.push(u);
  const token = crypto.randomBytes(18).toString('base64url');
  db.invites.set(token, u.id);
  send(c.res, 201, { user: pubUser(u), invite_token: token });
});
route('PATCH', '/api/v1/users/:id', { sec: true }, (c) => { const u = userById(Number(c.params.id)); u.status = c.body.status; send(c.res, 200, pubUser(u)); });
route('GET', '/api/v1/experts', {}, (c) => {
  const tag = (c.query.get('tag') || '').toLowerCase();
  send(c.res, 200, { experts: db.users.filter((u) => u.role === 'expert' && (!tag || (u.specialties || []).some((s) => s.toLowerCase().includes(tag))))
    .map((u) => ({ id: u.id, name: u.name, specialties: u.specialties, open_escalations: db.escalations.filter((e) => e.expert_id === u.id && e.state === 'assigned').length })) });
});
route('GET', '/api/v1/categories', {}, (c) => send(c.res, 200, db.categories.map((cat) => ({ ...cat,
  thread_count: db.threads.filter((t) => t.category_id === cat.id && canRead(c.user, t)).length }))));
route('POST', '/api/v1/categories', { sec: true }, (c) => { const cat = { id: nextId(), ...c.body }; db.categories.push(cat); send(c.res, 201, cat); });
route('POST', '/api/v1/markdown/preview', {}, (c) => send(c.res, 200, { html: md(c.body.body || '') }));
route('GET', '/api/v1/threads', {}, (c) => {
  let list = db.threads.filter((t) => canRead(c.user, t));
  for (const k of ['category_id', 'kind', 'status']) { const v = c.query.get(k); if (v) list = list.filter((t) => String(t[k]) === v); }
  list = list.slice().sort((a, b) => (b.pinned - a.pinned) || (b.id - a.id));
  send(c.res, 200, { threads: list.map((t) => threadOut(t, c.user)), total: list.length });
});
route('POST', '/api/v1/threads', {}, (c) => {
  const b = c.body;
  if (!b.title || !b.body) return err(c.res, 422, 'invalid');
  if (b.visibility === 'staff' && c.user.role === 'participant') return err(c.res, 403, 'forbidden');
  const co = company(c.user.company_id);
  const th = { id: nextId(), category_id: b.category_id, title: b.title, kind: b.kind, visibility: b.visibility, tags: b.tags || [],
    status: b.kind === 'question' ? 'open' : null, author_id: c.user.id, company_id: c.user.company_id || null,
    group_id: co ? co.group_id : null, locked: false, pinned: false, accepted_post_id: null, created_at: now(), readers: {} };
  db.threads.push(th);
  const p = { id: nextId(), thread_id: th.id, author_id: c.user.id, body: b.body, created_at: now(), revisions: [] };
  db.posts.push(p);
  th.readers[c.user.id] = p.id;
  broadcast('thread', { thread_id: th.id }, th);
  send(c.res, 201, threadOut(th, c.user));
});
const threadFor = (c, id) => { const th = db.threads.find((t) => t.id === Number(id)); return th && canRead(c.user, th) ? th : null; };
route('GET', '/api/v1/threads/:id', {}, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  const posts = db.posts.filter((p) => p.thread_id === th.id);
  const out = { thread: threadOut(th, c.user), posts: posts.map((p) => postOut(p, c.user)),
    attachments: db.attachments.filter((a) => a.thread_id === th.id).map(({ data, ...a }) => a) };
  th.readers[c.user.id] = posts.length ? posts[posts.length - 1].id : 0;
  send(c.res, 200, out);
});
route('PATCH', '/api/v1/threads/:id', { sec: true }, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  for (const k of ['locked', 'pinned', 'category_id', 'visibility']) if (k in c.body) th[k] = c.body[k];
  audit(c.user, 'thread.update', th.id);
  broadcast('thread', { thread_id: th.id }, th);
  send(c.res, 200, threadOut(th, c.user));
});
route('POST', '/api/v1/threads/:id/posts', {}, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  if (th.locked) return err(c.res, 403, 'locked');
  if (!c.body.body || !c.body.body.trim()) return err(c.res, 422, 'invalid');
  const p = { id: nextId(), thread_id: th.id, author_id: c.user.id, body: c.body.body, created_at: now(), revisions: [] };
  db.posts.push(p);
  const esc = db.escalations.find((e) => e.thread_id === th.id && e.expert_id === c.user.id && e.state === 'assigned');
  if (esc) { esc.state = 'answered'; th.status = 'answered'; notify(th.author_id, 'answered', th, { post_id: p.id }); }
  else if (th.author_id !== c.user.id) notify(th.author_id, 'post', th, { post_id: p.id });
  broadcast('post', { post_id: p.id, thread_id: th.id }, th);
  send(c.res, 201, postOut(p, c.user));
});
route('PATCH', '/api/v1/posts/:id', {}, (c) => {
  const p = db.posts.find((x) => x.id === Number(c.params.id)); if (!p) return err(c.res, 404, 'not_found');
  p.revisions.push({ body: p.body, created_at: p.edited_at || p.created_at }); p.body = c.body.body; p.edited_at = now();
  send(c.res, 200, postOut(p, c.user));
});
route('GET', '/api/v1/posts/:id/revisions', {}, (c) => {
  const p = db.posts.find((x) => x.id === Number(c.params.id)); if (!p) return err(c.res, 404, 'not_found');
  send(c.res, 200, p.revisions);
});
for (const what of ['hide', 'unhide']) {
  route('POST', '/api/v1/posts/:id/' + what, { sec: true }, (c) => {
    const p = db.posts.find((x) => x.id === Number(c.params.id)); p.hidden = what === 'hide'; audit(c.user, 'post.' + what, p.id); send(c.res, 200, {});
  });
}
route('POST', '/api/v1/posts/:id/redact', { sec: true }, (c) => {
  const p = db.posts.find((x) => x.id === Number(c.params.id)); p.body = '（事務局により削除されました）'; p.redacted = true;
  if (c.body.purge) p.revisions = [];
  send(c.res, 200, {});
});
route('POST', '/api/v1/posts/:id/flags', {}, (c) => {
  const p = db.posts.find((x) => x.id === Number(c.params.id));
  const th = p && threadFor(c, p.thread_id); if (!th) return err(c.res, 404, 'not_found');
  const f = { id: nextId(), post_id: p.id, thread_id: th.id, thread_title: th.title, reason: c.body.reason, reporter: pubUser(c.user), state: 'open', created_at: now() };
  db.flags.push(f); send(c.res, 201, f);
});
route('GET', '/api/v1/flags', { sec: true }, (c) => {
  const st = c.query.get('state');
  send(c.res, 200, db.flags.filter((f) => !st || f.state === st).map((f) => ({ ...f, post_excerpt: (db.posts.find((p) => p.id === f.post_id) || {}).body })));
});
route('PATCH', '/api/v1/flags/:id', { sec: true }, (c) => { const f = db.flags.find((x) => x.id === Number(c.params.id)); f.state = c.body.state; send(c.res, 200, f); });
route('POST', '/api/v1/threads/:id/accept', {}, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  if (th.author_id !== c.user.id && c.user.role !== 'secretariat') return err(c.res, 403, 'forbidden');
  th.status = 'resolved'; th.accepted_post_id = c.body.post_id;
  broadcast('thread', { thread_id: th.id }, th);
  send(c.res, 200, threadOut(th, c.user));
});
route('POST', '/api/v1/threads/:id/reopen', {}, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  th.status = 'open'; th.accepted_post_id = null; send(c.res, 200, threadOut(th, c.user));
});
route('POST', '/api/v1/threads/:id/escalations', { sec: true }, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  const e = { id: nextId(), thread_id: th.id, thread_title: th.title, expert_id: c.body.expert_id, expert_name: userById(c.body.expert_id).name,
    note: c.body.note, state: 'assigned', created_at: now(), due_at: new Date(Date.now() + 2 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z') };
  db.escalations.push(e); th.status = 'escalated';
  audit(c.user, 'escalation.create', e.id);
  notify(e.expert_id, 'escalation_assigned', th);
  send(c.res, 201, e);
});
route('GET', '/api/v1/escalations', {}, (c) => {
  if (c.user.role === 'participant') return err(c.res, 403, 'forbidden');
  const st = c.query.get('state');
  send(c.res, 200, db.escalations.filter((e) => (c.user.role === 'secretariat' || e.expert_id === c.user.id) && (!st || e.state === st)));
});
route('POST', '/api/v1/escalations/:id/decline', {}, (c) => {
  const e = db.escalations.find((x) => x.id === Number(c.params.id)); e.state = 'declined'; e.reason = c.body.reason;
  db.threads.find((t) => t.id === e.thread_id).status = 'open'; send(c.res, 200, e);
});
route('GET', '/api/v1/triage', { sec: true }, (c) => send(c.res, 200, { items: [
  ...db.escalations.filter((e) => e.state === 'declined').map((e) => ({ thread_id: e.thread_id, reason: 'declined' })),
  ...db.threads.filter((t) => t.kind === 'question' && t.status === 'open').map((t) => ({ thread_id: t.id, reason: 'unanswered', title: t.title, since: t.created_at })),
] }));
route('GET', '/api/v1/search', {}, (c) => {
  const q = (c.query.get('q') || '').toLowerCase();
  const results = [];
  for (const p of db.posts) {
    const th = db.threads.find((t) => t.id === p.thread_id);
    if (!canRead(c.user, th) || p.hidden) continue;
    if (p.body.toLowerCase().includes(q) || th.title.toLowerCase().includes(q)) results.push({ thread_id: th.id, post_id: p.id, title: th.title, snippet: p.body.slice(0, 120) });
  }
  send(c.res, 200, { results });
});
route('POST', '/api/v1/threads/:id/attachments', { raw: true }, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  const a = { id: nextId(), thread_id: th.id, filename: c.query.get('filename'), size: c.raw.length, sha256: crypto.createHash('sha256').update(c.raw).digest('hex'), data: c.raw };
  db.attachments.push(a);
  const { data, ...out } = a; send(c.res, 201, out);
});
route('GET', '/api/v1/threads/:id/attachments', {}, (c) => {
  const th = threadFor(c, c.params.id); if (!th) return err(c.res, 404, 'not_found');
  send(c.res, 200, { attachments: db.attachments.filter((a) => a.thread_id === th.id).map(({ data, ...a }) => a) });
});
route('GET', '/api/v1/attachments/:id', {}, (c) => {
  const a = db.attachments.find((x) => x.id === Number(c.params.id));
  if (!a || !threadFor(c, a.thread_id)) return err(c.res, 404, 'not_found');
  c.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename="${encodeURIComponent(a.filename)}"`, 'X-Content-Type-Options': 'nosniff' });
  c.res.end(a.data);
});
route('GET', '/api/v1/notifications', {}, (c) => send(c.res, 200, db.notifications.filter((n) => n.user_id === c.user.id)));
route('POST', '/api/v1/notifications/read', {}, (c) => {
  for (const n of db.notifications) if (n.user_id === c.user.id && c.body.ids.includes(n.id)) n.read_at = now();
  send(c.res, 204, null);
});
route('GET', '/api/v1/audit', { sec: true }, (c) => {
  const after = Number(c.query.get('after') || 0);
  send(c.res, 200, { entries: db.audit.filter((e) => e.id > after).slice(0, 100) });
});
route('GET', '/api/v1/events', {}, (c) => {
  c.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'Content-Security-Policy': CSP });
  c.res.write(': hello\n\n');
  const s = { user: c.user, res: c.res };
  db.streams.add(s);
  c.req.on('close', () => db.streams.delete(s));
});

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (!url.pathname.startsWith('/api/')) {
    const rel = url.pathname === '/' ? '/index.html' : url.pathname;
    const file = path.join(WEB, path.normalize(rel));
    if (!file.startsWith(WEB) || !fs.existsSync(file) || !TYPES[path.extname(file)]) { res.writeHead(404, { 'Content-Security-Policy': CSP }); return res.end('not found'); }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)], 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' });
    return res.end(fs.readFileSync(file));
  }
  for (const r of routes) {
    const m = r.method === req.method && url.pathname.match(r.re);
    if (!m) continue;
    const raw = await readBody(req);
    const c = { req, res, params: m.groups || {}, query: url.searchParams, raw, body: {} };
    if (!r.opts.raw && raw.length) { try { c.body = JSON.parse(raw.toString('utf8')); } catch { return err(res, 400, 'bad_request'); } }
    if (!r.opts.public) {
      const sid = ((req.headers.cookie || '').match(/mamori_session=(\w+)/) || [])[1];
      const sess = sid && db.sessions.get(sid);
      if (!sess) return err(res, 401, 'unauthenticated');
      c.sid = sid; c.session = sess; c.user = userById(sess.user_id);
      if (req.method !== 'GET' && req.headers['x-csrf-token'] !== sess.csrf) return err(res, 403, 'csrf');
      if (r.opts.sec && c.user.role !== 'secretariat') return err(res, r.method === 'GET' ? 404 : 403, r.method === 'GET' ? 'not_found' : 'forbidden');
      if (!r.opts.nogate && c.user.role !== 'secretariat') {
        const co = company(c.user.company_id);
        if (co && co.status === 'withdrawn') return err(res, 403, 'company_inactive');
        if (co && co.status === 'completed' && req.method !== 'GET') return err(res, 403, 'read_only');
        const pending = pendingFor(c.user);
        if (pending.length) return send(res, 403, { error: 'consent_required', message: 'consent required', pending });
      }
    }
    return r.fn(c);
  }
  err(res, 404, 'not_found');
});
server.listen(PORT, '127.0.0.1', () => console.log(`dev mock on http://127.0.0.1:${PORT}/`));
