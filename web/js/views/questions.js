// The expert's queue (their escalations) and, for the secretariat, all escalations and the triage board.
import { html, useState, useEffect } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { state, on, isSecretariat, toast } from '../store.js';
import { go } from '../router.js';
import { Loaded, PageHead, useApi, useAction, ErrorBox, Time, useId } from '../components.js';

const STATES = ['assigned', 'answered', 'declined'];

export function Escalations({ query }) {
  const sec = isSecretariat(state.user);
  const filter = query.state || (sec ? '' : 'assigned');
  const res = useApi('/escalations' + api.qs({ state: filter }), [filter]);
  useEffect(() => {
    const offs = [on('notification', () => res.reload()), on('thread', () => res.reload())];
    return () => offs.forEach((f) => f());
  }, [res.reload]);
  return html`<div>
    <${PageHead} title=${sec ? t('esc.all_title') : t('esc.queue_title')} />
    <p class="lead">${sec ? t('esc.all_lead') : t('esc.queue_lead')}</p>
    <div class="filters" role="group" aria-label=${t('filter.label')}>
      <label><span>${t('esc.state')}</span>
        <select value=${filter} data-testid="escalation-state" onChange=${(e) => go('/escalations', { state: e.currentTarget.value })}>
          <option value="">${t('filter.all')}</option>
          ${STATES.map((s) => html`<option value=${s}>${t('esc.state.' + s)}</option>`)}
        </select></label>
    </div>
    <${Loaded} res=${res}>${(data) => {
      // {escalations:[{id, thread_id, expert:{id,name}, state, due_at, created_at, note, reason, title, overdue, …}], total}
      const list = data.escalations;
      if (!list.length) return html`<p class="muted" data-testid="escalations-empty">${t('esc.none')}</p>`;
      return html`<ul class="card-list" data-testid="escalation-list">
        ${list.map((e) => html`<${EscalationCard} key=${e.id} esc=${e} sec=${sec} reload=${res.reload} />`)}
      </ul>`;
    }}</${Loaded}>
  </div>`;
}

function EscalationCard({ esc, sec, reload }) {
  const id = useId('dec');
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const [decline, busy, error] = useAction(async (ev) => {
    ev.preventDefault();
    await api.post('/escalations/' + esc.id + '/decline', { reason });
    toast(t('esc.declined_toast'), 'success');
    reload();
  });
  const late = esc.overdue;
  const title = esc.title;
  return html`<li class=${'card' + (late ? ' overdue' : '')} data-testid="escalation" data-thread-id=${esc.thread_id}>
    <div class="card-head">
      <span class=${'badge esc-' + esc.state}>${t('esc.state.' + esc.state)}</span>
      ${late ? html`<span class="badge overdue-badge">${t('esc.overdue')}</span>` : null}
      <a class="card-title" href=${'#/threads/' + esc.thread_id} data-testid="escalation-link">${title}</a>
    </div>
    <dl class="facts">
      <div><dt>${t('esc.due_at')}</dt><dd><${Time} value=${esc.due_at} /></dd></div>
      <div><dt>${t('esc.created_at')}</dt><dd><${Time} value=${esc.created_at} /></dd></div>
      ${sec ? html`<div><dt>${t('esc.expert')}</dt><dd>${esc.expert.name}</dd></div>` : null}
      ${esc.note ? html`<div class="wide"><dt>${t('esc.note')}</dt><dd>${esc.note}</dd></div>` : null}
      ${esc.reason ? html`<div class="wide"><dt>${t('esc.decline_reason')}</dt><dd>${esc.reason}</dd></div>` : null}
    </dl>
    ${!sec && esc.state === 'assigned' ? html`<div class="card-actions">
      <a class="btn btn-primary btn-small" href=${'#/threads/' + esc.thread_id}>${t('esc.answer')}</a>
      <button type="button" class="btn btn-small btn-ghost" aria-expanded=${declining} data-testid="escalation-decline"
        onClick=${() => setDeclining(!declining)}>${t('esc.decline')}</button>
    </div>` : null}
    ${declining ? html`<form class="inline-form" onSubmit=${decline}>
      <div class="field"><label for=${id}>${t('esc.decline_reason')}</label>
        <input id=${id} required value=${reason} data-testid="escalation-decline-reason" onInput=${(e) => setReason(e.currentTarget.value)} /></div>
      <${ErrorBox} error=${error} />
      <button type="submit" class="btn btn-small btn-danger" disabled=${busy} data-testid="escalation-decline-submit">${t('esc.decline_do')}</button>
    </form>` : null}
  </li>`;
}

const REASONS = ['overdue', 'declined', 'unanswered', 'application_overdue'];

export function Triage() {
  const res = useApi('/triage');
  // Escalations give the expert's name for overdue and declined items.
  const escs = useApi('/escalations');
  useEffect(() => {
    const offs = [on('thread', () => res.reload()), on('post', () => res.reload())];
    return () => offs.forEach((f) => f());
  }, [res.reload]);
  const escList = escs.data ? escs.data.escalations : [];
  return html`<div>
    <${PageHead} title=${t('triage.title')}>
      <button type="button" class="btn" data-testid="triage-refresh" onClick=${() => { res.reload(); escs.reload(); }}>${t('common.refresh')}</button>
    </${PageHead}>
    <p class="lead">${t('triage.lead')}</p>
    <${Loaded} res=${res}>${(data) => {
      // {items:[{thread_id, title, reason, since, due_at?, escalation_id?, expert_id?, decline_reason?, created_at?}]}
      const items = data.items;
      if (!items.length) return html`<p class="muted empty" data-testid="triage-empty">${t('triage.none')}</p>`;
      return html`<div class="board" data-testid="triage-board">
        ${REASONS.map((reason) => {
          const col = items.filter((i) => i.reason === reason);
          return html`<section class="board-col" key=${reason} aria-labelledby=${'tri-' + reason}>
            <h2 id=${'tri-' + reason} class=${'board-h tri-' + reason}>${t('triage.reason.' + reason)}
              <span class="count">${col.length}</span></h2>
            <p class="small muted">${t('triage.explain.' + reason)}</p>
            ${col.length ? html`<ul class="card-list">
              ${col.map((it) => {
                if (it.application_id) return html`<li class="card" data-testid="triage-item" data-application-id=${it.application_id}>
                  <a class="card-title" href="#/applications?status=received">${it.title || t('triage.application_n', { n: it.application_id })}</a>
                  <dl class="facts"><div><dt>${t('apps.contact_due_at')}</dt><dd><${Time} value=${it.due_at} /></dd></div></dl>
                </li>`;
                const esc = it.escalation_id ? escList.find((e) => e.id === it.escalation_id) : null;
                return html`<li class="card" data-testid="triage-item" data-thread-id=${it.thread_id}>
                  <a class="card-title" href=${'#/threads/' + it.thread_id}>${it.title}</a>
                  <dl class="facts">
                    ${it.due_at ? html`<div><dt>${t('esc.due_at')}</dt><dd><${Time} value=${it.due_at} /></dd></div>` : null}
                    ${reason !== 'overdue' ? html`<div><dt>${t('triage.since.' + reason)}</dt><dd><${Time} value=${it.since} /></dd></div>` : null}
                    ${it.created_at ? html`<div><dt>${t('triage.since')}</dt><dd><${Time} value=${it.created_at} /></dd></div>` : null}
                    ${esc ? html`<div><dt>${t('esc.expert')}</dt><dd>${esc.expert.name}</dd></div>` : null}
                    ${it.decline_reason ? html`<div class="wide"><dt>${t('esc.decline_reason')}</dt><dd>${it.decline_reason}</dd></div>` : null}
                  </dl>
                </li>`;
              })}
            </ul>` : html`<p class="muted small">${t('triage.col_none')}</p>`}
          </section>`;
        })}
      </div>`;
    }}</${Loaded}>
  </div>`;
}
