// Expert dispatch (docs/DISPATCH.md): the companies a user follows, a company's four visits as a
// timeline with what each stage should achieve, scheduling, the expert's report editor, and the
// secretariat's dispatch status page. Every answer comes from the API, which applies the rule.
import { html, useState, useEffect } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { state, toast, on, isSecretariat } from '../store.js';
import { Loaded, PageHead, useApi, useAction, ErrorBox, Time, Field, useId, MarkdownEditor, PostHtml } from '../components.js';

const STAGES = [1, 2, 3, 4];
const CHECKLIST = {
  1: ['problems_shared', 'vision_aligned'],
  2: ['goals_set', 'year_plan_clear'],
  3: ['learning_applied', 'plan_reviewable'],
  4: ['next_year_clear', 'plan_reflects_expert'],
};

/** "2026-08-03T10:00" (a datetime-local value, Japan time) → RFC 3339 with +09:00. */
function fromLocal(v) {
  return v ? (v.length === 16 ? v + ':00' : v) + '+09:00' : '';
}

/** RFC 3339 → the datetime-local value in Japan time. */
function toLocal(value) {
  const d = value ? new Date(value) : null;
  if (!d || isNaN(d.getTime())) return '';
  return new Date(d.getTime() + 9 * 3600 * 1000).toISOString().slice(0, 16);
}

function StageBadge({ status, testid }) {
  return html`<span class=${'badge visit-' + status} data-testid=${testid} data-value=${status}>${t('visit.status.' + status)}</span>`;
}

/** #/dispatch — the companies whose visits the caller may read. */
export function Dispatch() {
  const res = useApi('/dispatch/companies');
  return html`<div>
    <${PageHead} title=${t('visit.title')}>
      ${isSecretariat(state.user) ? html`<a class="btn" href="#/dispatch-report" data-testid="dispatch-report-link">${t('nav.dispatch_report')}</a>` : null}
    </${PageHead}>
    <p class="lead">${t('visit.lead')}</p>
    <${Loaded} res=${res}>${(data) => {
      const list = data.companies;
      if (!list.length) return html`<p class="muted" data-testid="dispatch-empty">${t('visit.no_companies')}</p>`;
      return html`<ul class="card-list" data-testid="dispatch-companies">
        ${list.map((c) => html`<li class="card" key=${c.id} data-testid="dispatch-company" data-company-id=${c.id}>
          <div class="card-head"><a class="card-title" href=${'#/companies/' + c.id + '/visits'}>${c.name}</a></div>
          <div class="badges">${STAGES.map((n) => html`<span key=${n} class="small">${t('visit.stage_n', { n })}
            <${StageBadge} status=${c.stages[n]} /></span>`)}</div>
        </li>`)}
      </ul>`;
    }}</${Loaded}>
  </div>`;
}

/** #/companies/{id}/visits — the four stages as a timeline. */
export function CompanyVisits({ id }) {
  const res = useApi('/companies/' + id + '/visits', [id]);
  const sec = isSecretariat(state.user);
  const experts = useApi(sec ? '/companies/' + id + '/experts' : null, [id, sec]);
  useEffect(() => on('notification', () => res.reload()), [res.reload]);
  return html`<${Loaded} res=${res}>${(data) => {
    const visits = data.visits;
    const name = visits.length ? visits[0].company_name : '';
    const canSchedule = sec || (state.user && state.user.role === 'expert');
    return html`<div>
      <${PageHead} title=${name ? t('visit.company_title', { name }) : t('visit.company_title_plain')} />
      <p class="lead">${t('visit.lead')}</p>
      <ol class="visit-timeline" data-testid="visit-timeline">
        ${STAGES.map((n) => {
          const mine = visits.filter((v) => v.stage === n);
          const live = mine.find((v) => v.status !== 'cancelled');
          return html`<li class="visit-stage panel" key=${n} data-testid=${'stage-' + n}
              data-status=${live ? live.status : (mine.length ? 'cancelled' : 'none')}>
            <h2>${t('visit.stage_n', { n })} <${StageBadge} status=${live ? live.status : (mine.length ? 'cancelled' : 'none')} testid=${'stage-' + n + '-status'} /></h2>
            <dl class="visit-aims">
              <dt>${t('visit.when')}</dt><dd>${t('visit.stage' + n + '.when')}</dd>
              <dt>${t('visit.policy')}</dt><dd>${t('visit.stage' + n + '.policy')}</dd>
              <dt>${t('visit.outcome')}</dt>
              <dd><ul>${CHECKLIST[n].map((k) => html`<li key=${k}>${t('visit.check.' + k)}</li>`)}</ul></dd>
            </dl>
            ${mine.map((v) => html`<${VisitCard} key=${v.id} visit=${v} reload=${res.reload} />`)}
            ${!mine.length ? html`<p class="muted">${t('visit.none_yet')}</p>` : null}
            ${!live && canSchedule ? html`<${ScheduleForm} company=${id} stage=${n} experts=${experts} onDone=${res.reload} />` : null}
          </li>`;
        })}
      </ol>
    </div>`;
  }}</${Loaded}>`;
}

function VisitCard({ visit, reload }) {
  const user = state.user;
  const canEdit = visit.status !== 'cancelled' && (isSecretariat(user) || (user && user.id === visit.expert_id));
  const [open, setOpen] = useState(false);
  return html`<article class=${'card visit visit-' + visit.status} data-testid="visit" data-visit-id=${visit.id} data-status=${visit.status}>
    <div class="card-head">
      <${StageBadge} status=${visit.status} testid="visit-status" />
      <span data-testid="visit-when"><${Time} value=${visit.scheduled_at} /></span>
      <span class="badge" data-testid="visit-mode">${t('visit.mode.' + visit.mode)}</span>
      <span class="small muted">${t('visit.expert')}: ${visit.expert ? visit.expert.name : ''}</span>
    </div>
    <h3 class="small-h">${t('visit.checklist')}</h3>
    <ul class="visit-checklist" data-testid="visit-checklist">
      ${CHECKLIST[visit.stage].map((k) => html`<li key=${k} data-testid=${'check-' + k} data-met=${visit.checklist[k] ? 'true' : 'false'}>
        <span aria-hidden="true">${visit.checklist[k] ? '☑' : '☐'}</span> ${t('visit.check.' + k)}</li>`)}
    </ul>
    <h3 class="small-h">${t('visit.report')}</h3>
    ${visit.report_html ? html`<div data-testid="visit-report"><${PostHtml} html=${visit.report_html} /></div>`
      : html`<p class="muted" data-testid="visit-no-report">${t('visit.no_report')}</p>`}
    ${canEdit ? html`<div class="form-actions">
      <button type="button" class="btn btn-small" data-testid="visit-edit" aria-expanded=${open}
        onClick=${() => setOpen(!open)}>${open ? t('visit.close_editor') : t('visit.edit')}</button></div>` : null}
    ${canEdit && open ? html`<${VisitEditor} visit=${visit} onDone=${() => { reload(); }} />` : null}
  </article>`;
}

function VisitEditor({ visit, onDone }) {
  const [report, setReport] = useState(visit.report || '');
  const [checks, setChecks] = useState({ ...visit.checklist });
  const [when, setWhen] = useState(toLocal(visit.scheduled_at));
  const [mode, setMode] = useState(visit.mode);
  const whenId = useId('vw');
  const modeId = useId('vm');
  const [save, busy, error] = useAction(async (status) => {
    const body = { report, checklist: checks };
    if (visit.status === 'scheduled') {
      if (toLocal(visit.scheduled_at) !== when) body.scheduled_at = fromLocal(when);
      if (mode !== visit.mode) body.mode = mode;
    }
    if (status) body.status = status;
    if (status === 'cancelled') {
      if (!window.confirm(t('visit.confirm_cancel'))) return;
      delete body.report; delete body.checklist;
    }
    await api.patch('/visits/' + visit.id, body);
    toast(t(status === 'done' ? 'visit.done_toast' : status === 'cancelled' ? 'visit.cancelled_toast' : 'visit.saved_toast'), 'success');
    onDone();
  });
  return html`<form class="visit-editor" data-testid="visit-editor" onSubmit=${(e) => { e.preventDefault(); save(); }}>
    ${visit.status === 'scheduled' ? html`<fieldset class="visit-when"><legend>${t('visit.reschedule')}</legend>
      <${Field} id=${whenId} label=${t('visit.scheduled_at')}>
        <input id=${whenId} type="datetime-local" value=${when} data-testid="visit-edit-when" onInput=${(e) => setWhen(e.currentTarget.value)} /></${Field}>
      <${Field} id=${modeId} label=${t('visit.mode')}>
        <select id=${modeId} value=${mode} data-testid="visit-edit-mode" onChange=${(e) => setMode(e.currentTarget.value)}>
          <option value="onsite">${t('visit.mode.onsite')}</option><option value="online">${t('visit.mode.online')}</option>
        </select></${Field}>
    </fieldset>` : null}
    <${MarkdownEditor} value=${report} onInput=${setReport} label=${t('visit.report_label')} testid="visit-report-body" rows=${10} required=${false} />
    <fieldset class="visit-checks"><legend>${t('visit.checklist')}</legend>
      ${CHECKLIST[visit.stage].map((k) => html`<label key=${k} class="check">
        <input type="checkbox" checked=${!!checks[k]} data-testid=${'visit-check-' + k}
          onChange=${(e) => setChecks({ ...checks, [k]: e.currentTarget.checked })} /> ${t('visit.check.' + k)}</label>`)}
    </fieldset>
    <${ErrorBox} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn" disabled=${busy} data-testid="visit-save">${t('visit.save_draft')}</button>
      ${visit.status === 'scheduled' ? html`
        <button type="button" class="btn btn-primary" disabled=${busy} data-testid="visit-done" onClick=${() => save('done')}>${t('visit.mark_done')}</button>
        <button type="button" class="btn btn-ghost" disabled=${busy} data-testid="visit-cancel" onClick=${() => save('cancelled')}>${t('visit.cancel_visit')}</button>` : null}
    </div>
  </form>`;
}

function ScheduleForm({ company, stage, experts, onDone }) {
  const sec = isSecretariat(state.user);
  const [open, setOpen] = useState(false);
  const [when, setWhen] = useState('');
  const [mode, setMode] = useState('onsite');
  const [expert, setExpert] = useState('');
  const whenId = useId('sw');
  const modeId = useId('sm');
  const exId = useId('se');
  const [submit, busy, error] = useAction(async (ev) => {
    ev.preventDefault();
    const body = { stage, scheduled_at: fromLocal(when), mode };
    if (sec) body.expert_id = Number(expert);
    await api.post('/companies/' + company + '/visits', body);
    toast(t('visit.scheduled_toast'), 'success');
    setOpen(false);
    onDone();
  });
  if (!open) {
    return html`<div class="form-actions"><button type="button" class="btn btn-small" data-testid=${'schedule-' + stage}
      onClick=${() => setOpen(true)}>${t('visit.schedule')}</button></div>`;
  }
  const list = experts && experts.data ? experts.data.experts : [];
  return html`<form class="visit-schedule" data-testid=${'schedule-form-' + stage} onSubmit=${submit}>
    <${Field} id=${whenId} label=${t('visit.scheduled_at')} required=${true}>
      <input id=${whenId} type="datetime-local" required value=${when} data-testid="schedule-when" onInput=${(e) => setWhen(e.currentTarget.value)} /></${Field}>
    <${Field} id=${modeId} label=${t('visit.mode')} required=${true}>
      <select id=${modeId} value=${mode} data-testid="schedule-mode" onChange=${(e) => setMode(e.currentTarget.value)}>
        <option value="onsite">${t('visit.mode.onsite')}</option><option value="online">${t('visit.mode.online')}</option>
      </select></${Field}>
    ${sec ? html`<${Field} id=${exId} label=${t('visit.expert')} required=${true}>
      <select id=${exId} value=${expert} required data-testid="schedule-expert" onChange=${(e) => setExpert(e.currentTarget.value)}>
        <option value="">${t('common.choose')}</option>
        ${list.map((x) => html`<option key=${x.id} value=${x.id}>${x.name}</option>`)}
      </select></${Field}>` : null}
    <${ErrorBox} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="schedule-submit">${t('visit.schedule_submit')}</button>
      <button type="button" class="btn btn-ghost" onClick=${() => setOpen(false)}>${t('common.cancel')}</button>
    </div>
  </form>`;
}

/** #/dispatch-report — the secretariat's dispatch status, with behind marks and the CSV. */
export function DispatchReport() {
  const res = useApi('/dispatch/report');
  return html`<${Loaded} res=${res}>${(data) => {
    const rows = data.companies;
    return html`<div>
      <${PageHead} title=${t('dispatch.title')}>
        <a class="btn" href="/api/v1/dispatch/report?format=csv" download="dispatch-report.csv" data-testid="dispatch-csv">${t('dispatch.csv')}</a>
      </${PageHead}>
      <p class="lead">${t('dispatch.lead', { d1: data.due['1'], d4: data.due['4'] })}</p>
      ${!rows.length ? html`<p class="muted">${t('dispatch.none')}</p>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t('dispatch.title')}>
        <table class="table stack" data-testid="dispatch-table">
          <thead><tr>
            <th scope="col">${t('dispatch.company')}</th>
            <th scope="col">${t('dispatch.experts')}</th>
            ${STAGES.map((n) => html`<th scope="col" key=${n}>${t('visit.stage_n', { n })}</th>`)}
            <th scope="col">${t('dispatch.checklist')}</th>
            <th scope="col">${t('dispatch.behind')}</th>
          </tr></thead>
          <tbody>${rows.map((r) => html`<tr key=${r.company_id} data-testid="dispatch-row" data-company-id=${r.company_id}
              class=${r.behind.length ? 'behind' : ''}>
            <th scope="row"><a href=${'#/companies/' + r.company_id + '/visits'}>${r.company_name}</a></th>
            <td data-label=${t('dispatch.experts')}>${r.experts}</td>
            ${STAGES.map((n) => html`<td key=${n} data-label=${t('visit.stage_n', { n })}>
              <${StageBadge} status=${r.stages[n]} testid=${'row-stage-' + n} />
              ${r.scheduled_at[n] ? html`<div class="small muted"><${Time} value=${r.scheduled_at[n]} /></div>` : null}</td>`)}
            <td data-label=${t('dispatch.checklist')} data-testid="row-checklist">${r.checklist_met} / ${r.checklist_total}</td>
            <td data-label=${t('dispatch.behind')} data-testid="row-behind">${r.behind.map((n) => html`<span key=${n}
              class="badge overdue-badge">${t('dispatch.behind_n', { n })}</span>`)}</td>
          </tr>`)}</tbody>
        </table></div>`}
    </div>`;
  }}</${Loaded}>`;
}
