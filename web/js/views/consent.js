// The consent screen: shown whenever the server says consent_required (or /me lists pending
// consents). Each current document is shown in full; accepting posts the sha256 of what was read.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { ErrorBox, Loaded, Notice, useApi, Time } from '../components.js';

export function Consent({ user, onDone }) {
  const docs = useApi('/documents/current');
  return html`<section class="consent" aria-labelledby="consent-title">
    <div class="page-head">
      <h1 id="consent-title" tabindex="-1" data-page-title>${t('consent.title')}</h1>
    </div>
    <p class="lead">${t('consent.lead')}</p>
    <${Loaded} res=${docs}>${(data) => {
      // [{id, kind, version, title, body, sha256, material, created_at, …, pending:["personal","company"]}],
      // participation first; "pending" names the scopes the caller still has to accept it in.
      const relevant = data.filter((d) => d.pending.length);
      if (!relevant.length) return html`<${Notice} kind="warn" testid="consent-no-documents">${t('consent.no_documents')}</${Notice}>`;
      return html`${relevant.map((d) => html`<${ConsentDoc} key=${d.id} doc=${d}
          user=${user} onAccepted=${async () => { await onDone(); docs.reload(); }} onChanged=${docs.reload} />`)}`;
    }}</${Loaded}>
  </section>`;
}

function ConsentDoc({ doc, user, onAccepted, onChanged }) {
  const companyPending = doc.pending.includes('company');
  const canRepresent = user.role === 'participant' && user.representative;
  const [read, setRead] = useState(false);
  const [behalf, setBehalf] = useState(canRepresent && companyPending);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);

  const accept = async () => {
    setBusy(true); setError(null);
    try {
      // One call records the personal acceptance and, on behalf of the company, the company's.
      await api.post('/documents/' + doc.id + '/accept',
        behalf && canRepresent ? { sha256: doc.sha256, on_behalf_of_company: true } : { sha256: doc.sha256 }, { quiet: true });
      setDone(true);
      await onAccepted();
    } catch (e) {
      setError(e);
      // The document was revised while it was being read: show the new text, ask again.
      if (e.code === 'document_changed') { setRead(false); onChanged(); }
    } finally {
      setBusy(false);
    }
  };

  const kindLabel = t('doc.kind.' + doc.kind);
  const bodyId = 'doc-body-' + doc.id;
  return html`<article class="panel consent-doc" data-testid=${'consent-doc-' + doc.kind} aria-labelledby=${'doc-t-' + doc.id}>
    <header class="doc-head">
      <p class="doc-kind">${kindLabel}</p>
      <h2 id=${'doc-t-' + doc.id}>${doc.title}</h2>
      <p class="muted">${t('consent.version', { v: doc.version })}
 · <${Time} value=${doc.created_at} /></p>
    </header>
    <div class="doc-body" id=${bodyId} tabindex="0" role="region" aria-label=${t('consent.body_label', { title: doc.title })}
      data-testid=${'consent-body-' + doc.kind}>${doc.body}</div>
    ${done ? html`<${Notice} kind="success" testid=${'consent-done-' + doc.kind}>${t('consent.accepted')}</${Notice}>` : html`
      <div class="consent-actions">
        <label class="check">
          <input type="checkbox" checked=${read} data-testid=${'consent-read-' + doc.kind}
            onChange=${(e) => setRead(e.currentTarget.checked)} />
          <span>${t('consent.read_confirm')}</span>
        </label>
        ${canRepresent ? html`<label class="check">
            <input type="checkbox" checked=${behalf} data-testid=${'consent-behalf-' + doc.kind}
              onChange=${(e) => setBehalf(e.currentTarget.checked)} />
            <span>${t('consent.on_behalf')}</span>
          </label>` : null}
        ${user.role === 'participant' && !canRepresent && companyPending ? html`<${Notice} kind="warn">
            ${t('consent.company_needed')}</${Notice}>` : null}
        <${ErrorBox} error=${error} testid=${'consent-error-' + doc.kind} />
        <div class="form-actions">
          <button type="button" class="btn btn-primary" disabled=${!read || busy}
            data-testid=${'consent-accept-' + doc.kind} onClick=${accept}>
            ${busy ? t('common.working') : t('consent.accept')}</button>
        </div>
      </div>`}
  </article>`;
}
