// The case collection (事例集, docs/CASES.md): the secretariat's findings-guided editor, the
// representative's review page (the exact text and its sha256, approve / send back), the public
// page of published cases (no sign-in) and the printable booklet (one case per page, a table of
// contents; the browser's print-to-PDF makes the 冊子).
import { html, useState, useEffect } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { toast } from '../store.js';
import { Loaded, PageHead, useApi, useAction, ErrorBox, Field, useId, Time, PostHtml, NotFound } from '../components.js';
import { go } from '../router.js';

const STATES = ['draft', 'awaiting_approval', 'approved', 'published'];

function StateBadge({ status }) {
  return html`<span class=${'badge case-' + status} data-testid="case-status" data-value=${status}>${t('cases.status.' + status)}</span>`;
}

function TrackLine({ k }) {
  return html`<span class="muted small" data-testid="case-track">${t('cases.track.' + k.track)} · ${t('cases.industry', { letter: k.industry })}</span>`;
}

/** The draft's text with every finding's span marked (positions are UTF-16 offsets, as JS counts). */
export function highlight(text, findings, field) {
  const spans = [];
  for (const f of findings || []) {
    for (const p of f.positions || []) if (p.field === field) spans.push({ start: p.start, end: p.end, kind: f.kind, term: f.term });
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [];
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue; // overlaps an earlier mark
    if (s.start > at) out.push(text.slice(at, s.start));
    out.push(html`<mark class=${'finding finding-' + s.kind} data-testid="finding-mark" title=${t('cases.kind.' + s.kind)}>${text.slice(s.start, s.end)}</mark>`);
    at = s.end;
  }
  out.push(text.slice(at));
  return out;
}

// ---- the list (#/cases) -------------------------------------------------------------------

export function Cases({ user }) {
  const [status, setStatus] = useState('');
  const res = useApi('/cases' + api.qs({ status: status || undefined }), [status]);
  const sec = user.role === 'secretariat';
  return html`<div>
    <${PageHead} title=${t('cases.title')}>
      <a class="btn btn-ghost btn-small" href="#/public/cases" data-testid="cases-public-link">${t('cases.public_link')}</a>
    </${PageHead}>
    <p class="lead">${t(sec ? 'cases.lead_secretariat' : 'cases.lead')}</p>
    ${sec ? html`<${NewCase} />` : null}
    <div class="filters" role="group" aria-label=${t('filter.label')}>
      <label><span>${t('cases.filter_status')}</span>
        <select value=${status} data-testid="cases-filter" onChange=${(e) => setStatus(e.currentTarget.value)}>
          <option value="">${t('filter.all')}</option>
          ${STATES.map((s) => html`<option value=${s}>${t('cases.status.' + s)}</option>`)}
        </select></label>
    </div>
    <${Loaded} res=${res}>${(data) => {
      if (!data.cases.length) return html`<p class="muted empty" data-testid="cases-empty">${t('cases.none')}</p>`;
      return html`<ul class="card-list" data-testid="case-list">
        ${data.cases.map((k) => html`<li key=${k.id} class="card" data-testid="case-item" data-case-id=${k.id}>
          <div class="card-head"><${StateBadge} status=${k.status} />
            <a class="card-title" href=${'#/cases/' + k.id}>${k.title}</a></div>
          <div>${k.company_name ? html`<span class="small">${k.company_name}</span> · ` : null}<${TrackLine} k=${k} /></div>
        </li>`)}
      </ul>`;
    }}</${Loaded}>
  </div>`;
}

function NewCase() {
  const companies = useApi('/companies');
  const [open, setOpen] = useState(false);
  const [company, setCompany] = useState('');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const ids = { c: useId('cc'), t: useId('ct'), b: useId('cb') };
  const [create, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const k = await api.post('/cases', { company_id: Number(company), title, body });
    toast(t('common.saved'), 'success');
    go('/cases/' + k.id);
  });
  if (!open) return html`<p><button type="button" class="btn btn-primary" data-testid="case-new" onClick=${() => setOpen(true)}>${t('cases.new')}</button></p>`;
  const list = companies.data ? (Array.isArray(companies.data) ? companies.data : companies.data.companies || []) : [];
  return html`<form class="panel" onSubmit=${create} data-testid="case-new-form">
    <h2>${t('cases.new')}</h2>
    <${Field} id=${ids.c} label=${t('cases.company')} required>
      <select id=${ids.c} required value=${company} data-testid="case-company" onChange=${(e) => setCompany(e.currentTarget.value)}>
        <option value="">${t('cases.choose_company')}</option>
        ${list.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
      </select></${Field}>
    <${Field} id=${ids.t} label=${t('cases.field_title')} required>
      <input id=${ids.t} required value=${title} data-testid="case-title" onInput=${(e) => setTitle(e.currentTarget.value)} /></${Field}>
    <${Field} id=${ids.b} label=${t('cases.field_body')} hint=${t('cases.body_hint')} required>
      <textarea id=${ids.b} rows="12" required value=${body} data-testid="case-body" onInput=${(e) => setBody(e.currentTarget.value)}></textarea></${Field}>
    <${ErrorBox} error=${error} />
    <div class="form-actions"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="case-create">${t('cases.create')}</button></div>
  </form>`;
}

// ---- one case (#/cases/{id}) -----------------------------------------------------------------

export function CaseView({ id, user }) {
  const res = useApi('/cases/' + id, [id]);
  return html`<${Loaded} res=${res}>${(k) => (user.role === 'secretariat'
    ? html`<${CaseEditor} k=${k} reload=${res.reload} />`
    : html`<${CaseReview} k=${k} user=${user} reload=${res.reload} />`)}</${Loaded}>`;
}

function CaseEditor({ k, reload }) {
  const [title, setTitle] = useState(k.title);
  const [body, setBody] = useState(k.body);
  const findings = useApi('/cases/' + k.id + '/findings', [k.sha256]);
  useEffect(() => { setTitle(k.title); setBody(k.body); }, [k.sha256]);
  const dirty = title !== k.title || body !== k.body;
  const ids = { t: useId('et'), b: useId('eb') };
  const [save, saving, saveError] = useAction(async (e) => {
    if (e) e.preventDefault();
    await api.patch('/cases/' + k.id, { title, body });
    toast(t('common.saved'), 'success');
    await reload();
  });
  const [act, acting, actError] = useAction(async (what) => {
    await api.post('/cases/' + k.id + '/' + what, {});
    toast(t('cases.done.' + what), 'success');
    await reload();
  });
  const list = findings.data ? findings.data.findings : null;
  const clean = list && list.length === 0;
  return html`<div data-testid="case-editor" data-case-id=${k.id}>
    <${PageHead} title=${k.title}><${StateBadge} status=${k.status} /></${PageHead}>
    <p class="muted"><a href="#/cases">${t('cases.back')}</a> · ${k.company_name} · <${TrackLine} k=${k} /></p>
    ${k.reject_reason ? html`<div class="alert alert-warn" role="status" data-testid="case-reject-reason">
      ${t('cases.rejected_with')}: ${k.reject_reason}</div>` : null}
    ${k.approval ? html`<p class="alert alert-success" data-testid="case-approval">${t('cases.approved_by', { name: k.approval.name })} <${Time} value=${k.approval.at} /></p>` : null}
    <div class="case-editor-grid">
      <form onSubmit=${save} class="panel">
        <h2>${t('cases.edit')}</h2>
        <${Field} id=${ids.t} label=${t('cases.field_title')} required>
          <input id=${ids.t} required value=${title} data-testid="case-edit-title" onInput=${(e) => setTitle(e.currentTarget.value)} /></${Field}>
        <${Field} id=${ids.b} label=${t('cases.field_body')} required>
          <textarea id=${ids.b} rows="16" required value=${body} data-testid="case-edit-body" onInput=${(e) => setBody(e.currentTarget.value)}></textarea></${Field}>
        ${k.status !== 'draft' ? html`<p class="hint">${t('cases.edit_voids')}</p>` : null}
        <${ErrorBox} error=${saveError} />
        <div class="form-actions"><button type="submit" class="btn" disabled=${saving || !dirty} data-testid="case-save">${t('cases.save')}</button></div>
      </form>
      <section class="panel" aria-labelledby="findings-title">
        <h2 id="findings-title">${t('cases.findings')}</h2>
        ${dirty ? html`<p class="hint" data-testid="case-unsaved">${t('cases.unsaved')}</p>` : null}
        <${Loaded} res=${findings}>${(fd) => html`
          ${fd.findings.length ? html`<p class="alert alert-warn" data-testid="findings-count">${t('cases.findings_count', { n: fd.findings.length })}</p>
            <ul class="findings" data-testid="finding-list">${fd.findings.map((f) => html`<li data-testid="finding" data-kind=${f.kind}>
              <span class=${'badge finding-' + f.kind}>${t('cases.kind.' + f.kind)}</span> <strong>${f.term}</strong>
              <span class="muted small"> ${t('cases.occurrences', { n: f.positions.length })}</span></li>`)}</ul>`
          : html`<p class="alert alert-success" data-testid="findings-none">${t('cases.findings_none')}</p>`}
          <h3>${t('cases.draft_marked')}</h3>
          <p class="case-marked-title" data-testid="case-marked-title">${highlight(k.title, fd.findings, 'title')}</p>
          <pre class="case-marked" data-testid="case-marked">${highlight(k.body, fd.findings, 'body')}</pre>`}</${Loaded}>
      </section>
    </div>
    <${ErrorBox} error=${actError} testid="case-action-error" />
    <div class="form-actions">
      ${k.status === 'draft' ? html`<button type="button" class="btn btn-primary" data-testid="case-submit"
        disabled=${acting || dirty || !clean} title=${clean ? '' : t('cases.submit_blocked')}
        onClick=${() => act('submit')}>${t('cases.submit')}</button>` : null}
      ${k.status === 'approved' ? html`<button type="button" class="btn btn-primary" data-testid="case-publish"
        disabled=${acting} onClick=${() => act('publish')}>${t('cases.publish')}</button>` : null}
      ${k.status === 'published' ? html`<button type="button" class="btn" data-testid="case-unpublish"
        disabled=${acting} onClick=${() => act('unpublish')}>${t('cases.unpublish')}</button>` : null}
    </div>
  </div>`;
}

function CaseReview({ k, user, reload }) {
  const rep = user.role === 'participant' && user.representative && k.company_id === user.company_id;
  const [reason, setReason] = useState('');
  const rid = useId('rr');
  const [act, busy, error] = useAction(async (what) => {
    const body = what === 'approve' ? { sha256: k.sha256 } : what === 'reject' ? { reason } : {};
    await api.post('/cases/' + k.id + '/' + what, body);
    toast(t('cases.done.' + what), 'success');
    await reload();
  });
  return html`<div data-testid="case-review" data-case-id=${k.id}>
    <${PageHead} title=${k.title}><${StateBadge} status=${k.status} /></${PageHead}>
    <p class="muted"><a href="#/cases">${t('cases.back')}</a> · <${TrackLine} k=${k} /></p>
    ${rep && k.status === 'awaiting_approval' ? html`<p class="lead">${t('cases.review_lead')}</p>` : null}
    <article class="panel case-article"><${PostHtml} html=${k.html} /></article>
    <details class="panel"><summary>${t('cases.exact_text')}</summary>
      <pre class="case-source" data-testid="case-source">${k.title + '\n' + k.body}</pre></details>
    <p class="small">${t('cases.sha256')}: <code data-testid="case-sha256">${k.sha256}</code></p>
    <${ErrorBox} error=${error} testid="case-action-error" />
    ${rep && k.status === 'awaiting_approval' ? html`<div class="panel">
      <div class="form-actions"><button type="button" class="btn btn-primary" disabled=${busy} data-testid="case-approve"
        onClick=${() => act('approve')}>${t('cases.approve')}</button></div>
      <${Field} id=${rid} label=${t('cases.reject_reason')}>
        <textarea id=${rid} rows="3" value=${reason} data-testid="case-reject-text" onInput=${(e) => setReason(e.currentTarget.value)}></textarea></${Field}>
      <div class="form-actions"><button type="button" class="btn" disabled=${busy || !reason.trim()} data-testid="case-reject"
        onClick=${() => act('reject')}>${t('cases.reject')}</button></div>
    </div>` : null}
    ${rep && k.status === 'published' ? html`<div class="form-actions"><button type="button" class="btn" disabled=${busy}
      data-testid="case-unpublish" onClick=${() => act('unpublish')}>${t('cases.unpublish')}</button></div>` : null}
  </div>`;
}

// ---- public pages (no sign-in) -------------------------------------------------------------

function usePublic(path) {
  const [res, setRes] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    api.get(path, { quiet: true }).then((data) => live && setRes({ data, error: null, loading: false }),
      (error) => live && setRes({ data: null, error, loading: false }));
    return () => { live = false; };
  }, [path]);
  return res;
}

export function PublicCases({ id }) {
  const res = usePublic(id ? '/public/cases/' + id : '/public/cases');
  return html`<div class="public-cases" data-testid="public-cases">
    <${PageHead} title=${t('cases.public_title')}>
      <a class="btn btn-small" href="#/public/booklet" data-testid="booklet-link">${t('cases.booklet')}</a>
    </${PageHead}>
    <p class="lead">${t('cases.public_lead')}</p>
    <p><a href="#/" data-testid="public-back">${t('cases.public_back')}</a></p>
    <${Loaded} res=${res}>${(data) => {
      const list = id ? [data] : data.cases;
      if (!list.length) return html`<p class="muted empty" data-testid="public-empty">${t('cases.none_public')}</p>`;
      return html`${list.map((k) => html`<article class="panel case-article" key=${k.id} data-testid="public-case" data-case-id=${k.id}>
        <h2><a href=${'#/public/cases/' + k.id}>${k.title}</a></h2>
        <p><${TrackLine} k=${k} /> · <${Time} value=${k.published_at} /></p>
        <${PostHtml} html=${k.html} />
      </article>`)}`;
    }}</${Loaded}>
  </div>`;
}

export function Booklet() {
  const res = usePublic('/public/cases');
  return html`<div class="booklet" data-testid="booklet">
    <div class="no-print">
      <p><a href="#/public/cases">${t('cases.public_title')}</a></p>
      <button type="button" class="btn btn-primary" data-testid="booklet-print" onClick=${() => window.print()}>${t('cases.print')}</button>
      <p class="hint">${t('cases.print_hint')}</p>
    </div>
    <${Loaded} res=${res}>${(data) => html`
      <section class="booklet-page booklet-cover" data-testid="booklet-cover">
        <h1 tabindex="-1" data-page-title>${t('cases.booklet_title')}</h1>
        <p>${t('cases.booklet_sub')}</p>
        <h2>${t('cases.toc')}</h2>
        <ol class="booklet-toc" data-testid="booklet-toc">
          ${data.cases.map((k) => html`<li key=${k.id}><a href=${'#/public/booklet'} onClick=${(e) => { e.preventDefault(); const el = document.getElementById('case-' + k.id); if (el) el.scrollIntoView(); }}>${k.title}</a>
            <span class="muted small"> — ${t('cases.track.' + k.track)}</span></li>`)}
        </ol>
      </section>
      ${data.cases.map((k, i) => html`<section class="booklet-page" id=${'case-' + k.id} key=${k.id} data-testid="booklet-case">
        <p class="muted small">${t('cases.case_no', { n: i + 1 })} · <${TrackLine} k=${k} /></p>
        <h2>${k.title}</h2>
        <${PostHtml} html=${k.html} />
      </section>`)}`}</${Loaded}>
  </div>`;
}

export { NotFound };
