// Secretariat: the consent report (table + CSV), paper consents, and publishing documents.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { toast } from '../store.js';
import { ErrorBox, Field, Loaded, Notice, PageHead, useApi, useAction, useId, Time } from '../components.js';

const KINDS = ['participation', 'nda'];
// The ways a paper consent arrives (the form offers these; the API takes any text).
const METHODS = ['paper', 'pdf', 'other'];

/** Whether a row needs this kind at all: the secretariat is not gated, an expert signs the NDA only. */
function applies(row, kind, isCompany) {
  if (isCompany) return true;
  if (row.role === 'secretariat') return false;
  if (row.role === 'expert') return kind === 'nda';
  return true;
}

function ConsentCell({ value, applicable = true }) {
  if (!applicable) return html`<span class="muted small" title=${t('report.not_applicable')}>—</span>`;
  // {version, at, current, method, document_id, consent_id} or null when none is held
  if (!value) return html`<span class="badge missing">${t('report.missing')}</span>`;
  const old = !value.current;
  return html`<span class="consent-ok"><span class=${'badge ' + (old ? 'missing' : 'ok')}
      title=${old ? t('report.outdated') : ''}>${t('report.version', { v: value.version })}${old ? ' ' + t('report.outdated_short') : ''}</span>
    <span class="small muted"><${Time} value=${value.at} /></span>
    ${value.method !== 'web' ? html` <span class="small muted" data-testid="consent-method">(${METHODS.includes(value.method) ? t('report.method.' + value.method) : value.method})</span>` : null}</span>`;
}

function ReportTable({ rows, kind, testid }) {
  const isCompany = kind === 'company';
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t(isCompany ? 'report.companies' : 'report.users')}>
    <table class="table stack" data-testid=${testid}>
      <thead><tr>
        <th scope="col">${t(isCompany ? 'report.company' : 'report.user')}</th>
        ${isCompany ? html`<th scope="col">${t('registry.track')}</th>` : html`<th scope="col">${t('report.role_company')}</th>`}
        ${KINDS.map((k) => html`<th scope="col">${t('doc.kind.' + k)}</th>`)}
      </tr></thead>
      <tbody>
        ${rows.map((r) => html`<tr key=${r.id}>
          <th scope="row">${r.name}${!isCompany ? html`<div class="small muted">${r.email}</div>` : null}</th>
          ${isCompany ? html`<td data-label=${t('registry.track')}>${t('track.' + r.track)}</td>`
            : html`<td data-label=${t('report.role_company')}>${t('role.' + r.role)}${r.company_name ? html`<div class="small muted">${r.company_name}</div>` : null}</td>`}
          ${KINDS.map((k) => html`<td data-label=${t('doc.kind.' + k)}><${ConsentCell} value=${r[k]} applicable=${applies(r, k, isCompany)} /></td>`)}
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

export function ConsentReport() {
  const res = useApi('/consents/report');
  return html`<div>
    <${PageHead} title=${t('report.title')}>
      <a class="btn" href="/api/v1/consents/report?format=csv" download="consents.csv" data-testid="report-csv">${t('report.csv')}</a>
    </${PageHead}>
    <p class="lead">${t('report.lead')}</p>
    <${Loaded} res=${res}>${(data) => {
      // {current_material:{participation, nda}, companies:[{id, name, track, status, group_id, participation, nda}],
      //  users:[{id, name, email, role, status, company_id, company_name, representative, participation, nda, cleared, pending}]}
      const { companies, users } = data;
      return html`
        <section class="section" aria-labelledby="rep-c"><h2 id="rep-c">${t('report.companies')}</h2>
          ${companies.length ? html`<${ReportTable} rows=${companies} kind="company" testid="report-companies" />` : html`<p class="muted">${t('report.none')}</p>`}
        </section>
        <section class="section" aria-labelledby="rep-u"><h2 id="rep-u">${t('report.users')}</h2>
          ${users.length ? html`<${ReportTable} rows=${users} kind="user" testid="report-users" />` : html`<p class="muted">${t('report.none')}</p>`}
        </section>`;
    }}</${Loaded}>
    <${PaperConsent} onDone=${res.reload} />
  </div>`;
}

function PaperConsent({ onDone }) {
  const id = useId('paper');
  const companies = useApi('/companies');
  const docs = useApi('/documents/current');
  const [company, setCompany] = useState('');
  const [doc, setDoc] = useState('');
  const [method, setMethod] = useState('paper');
  const [reference, setReference] = useState('');
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    await api.post('/companies/' + company + '/consents', { document_id: Number(doc), method, reference });
    toast(t('report.paper_done'), 'success');
    setReference('');
    onDone();
  });
  const cl = companies.data ? companies.data.companies : [];
  const dl = docs.data || [];
  return html`<details class="panel admin-box">
    <summary data-testid="paper-toggle">${t('report.paper_title')}</summary>
    <p class="small muted">${t('report.paper_lead')}</p>
    <form class="grid-form" onSubmit=${send} data-testid="paper-form">
      <div class="field"><label for=${id + '-c'}>${t('report.company')}</label>
        <select id=${id + '-c'} required value=${company} data-testid="paper-company" onChange=${(e) => setCompany(e.currentTarget.value)}>
          <option value="">${t('common.choose')}</option>
          ${cl.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
        </select></div>
      <div class="field"><label for=${id + '-d'}>${t('report.document')}</label>
        <select id=${id + '-d'} required value=${doc} data-testid="paper-document" onChange=${(e) => setDoc(e.currentTarget.value)}>
          <option value="">${t('common.choose')}</option>
          ${dl.map((d) => html`<option value=${d.id}>${t('doc.kind.' + d.kind)} — ${d.title} (v${d.version})</option>`)}
        </select></div>
      <div class="field"><label for=${id + '-m'}>${t('report.method')}</label>
        <select id=${id + '-m'} value=${method} onChange=${(e) => setMethod(e.currentTarget.value)}>
          ${METHODS.map((m) => html`<option value=${m}>${t('report.method.' + m)}</option>`)}
        </select></div>
      <div class="field"><label for=${id + '-r'}>${t('report.reference')}</label>
        <input id=${id + '-r'} value=${reference} data-testid="paper-reference" onInput=${(e) => setReference(e.currentTarget.value)} /></div>
      <${ErrorBox} error=${error} />
      <div class="form-actions wide"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="paper-submit">${t('report.paper_submit')}</button></div>
    </form>
  </details>`;
}

export function Documents() {
  const res = useApi('/documents/current');
  const ids = { kind: useId('dk'), title: useId('dt'), body: useId('db') };
  const [kind, setKind] = useState('participation');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [material, setMaterial] = useState(true);
  const [published, setPublished] = useState(null);
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const r = await api.post('/documents', { kind, title: title.trim(), body, material });
    setPublished(r);
    setTitle(''); setBody('');
    res.reload();
  });
  return html`<div>
    <${PageHead} title=${t('docs.title')} />
    <p class="lead">${t('docs.lead')}</p>
    <section class="section" aria-labelledby="docs-cur"><h2 id="docs-cur">${t('docs.current')}</h2>
      <${Loaded} res=${res}>${(data) => {
        const list = data; // [{id, kind, version, title, body, sha256, material, created_at, …}]
        if (!list.length) return html`<p class="muted" data-testid="documents-empty">${t('docs.none')}</p>`;
        return html`<div class="doc-grid">${list.map((d) => html`<article class="panel" key=${d.id} data-testid=${'document-' + d.kind}>
          <p class="doc-kind">${t('doc.kind.' + d.kind)}</p>
          <h3>${d.title}</h3>
          <p class="small muted">${t('consent.version', { v: d.version })}
 · <${Time} value=${d.created_at} /></p>
          <p class="small"><span class="muted">SHA-256</span> <code class="hash">${d.sha256}</code></p>
          <details><summary>${t('docs.show_body')}</summary><div class="doc-body">${d.body}</div></details>
        </article>`)}</div>`;
      }}</${Loaded}>
    </section>
    <section class="section" aria-labelledby="docs-new"><h2 id="docs-new">${t('docs.publish')}</h2>
      <form class="panel form" onSubmit=${send} data-testid="document-form">
        <${Field} id=${ids.kind} label=${t('docs.kind')} required>
          <select id=${ids.kind} value=${kind} data-testid="document-kind" onChange=${(e) => setKind(e.currentTarget.value)}>
            ${KINDS.map((k) => html`<option value=${k}>${t('doc.kind.' + k)}</option>`)}
          </select>
        </${Field}>
        <${Field} id=${ids.title} label=${t('docs.doc_title')} required>
          <input id=${ids.title} required value=${title} data-testid="document-title" onInput=${(e) => setTitle(e.currentTarget.value)} />
        </${Field}>
        <${Field} id=${ids.body} label=${t('docs.body')} hint=${t('docs.body_hint')} required>
          <textarea id=${ids.body} rows="10" required value=${body} data-testid="document-body"
            onInput=${(e) => setBody(e.currentTarget.value)}></textarea>
        </${Field}>
        <label class="check"><input type="checkbox" checked=${material} data-testid="document-material"
          onChange=${(e) => setMaterial(e.currentTarget.checked)} /><span>${t('docs.material')}</span></label>
        <p class="hint">${t('docs.material_hint')}</p>
        <${ErrorBox} error=${error} />
        ${published ? html`<${Notice} kind="success" testid="document-published">${t('docs.published', { v: published.version, kind: t('doc.kind.' + published.kind) })}</${Notice}>` : null}
        <div class="form-actions"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="document-submit">${t('docs.submit')}</button></div>
      </form>
    </section>
  </div>`;
}
