// The program calendar (docs/API.md §9): rounds with their materials, the secretariat's round set-up
// (one round, or the brochure's standard ten), material upload and publication, attendance on a
// phone (one tap per participant), the attendance report with at-risk marks, and every user's
// private calendar feed with subscription instructions.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { state, toast, isSecretariat } from '../store.js';
import { ErrorBox, Field, Loaded, Notice, PageHead, useApi, useAction, useId, Time } from '../components.js';
import { bytes, jstDate, parseTime } from '../format.js';

const STATUSES = ['present', 'absent', 'excused'];

/** "13:00" in Tokyo for an RFC 3339 time. */
function hm(value) {
  const d = parseTime(value);
  if (!d) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

function RoundTimes({ round }) {
  return html`<dl class="round-times">
    <div><dt>${t('rounds.seminar')}</dt><dd>${hm(round.seminar_starts_at)}–${hm(round.seminar_ends_at)}</dd></div>
    <div><dt>${t('rounds.workshop')}</dt><dd>${hm(round.workshop_starts_at)}–${hm(round.workshop_ends_at)}</dd></div>
    <div><dt>${t('rounds.venue')}</dt><dd>${round.venue}</dd></div>
  </dl>`;
}

function MaterialList({ round, sec, onChange }) {
  const [publish, busy, error] = useAction(async (m) => {
    await api.post('/materials/' + m.id + '/publish');
    toast(t('rounds.published_done'), 'success');
    onChange();
  });
  const [remove, removing, removeError] = useAction(async (m) => {
    if (!window.confirm(t('rounds.delete_confirm', { name: m.filename }))) return;
    await api.del('/materials/' + m.id);
    toast(t('rounds.deleted'), 'success');
    onChange();
  });
  const list = round.materials || [];
  if (!list.length) return html`<p class="muted small" data-testid="materials-empty">${t('rounds.no_materials')}</p>`;
  return html`<div>
    <${ErrorBox} error=${error || removeError} />
    <ul class="material-list" data-testid="materials">
      ${list.map((m) => html`<li key=${m.id} data-testid="material" data-published=${m.published_at ? 'yes' : 'no'}>
        <a href=${'/api/v1/materials/' + m.id} download=${m.filename} data-testid="material-link">${m.filename}</a>
        <span class="muted small"> ${bytes(m.size)}</span>
        ${m.published_at ? (sec ? html` <span class="badge ok">${t('rounds.published')}</span>` : null)
          : html` <span class="badge missing">${t('rounds.unpublished')}</span>
            <button type="button" class="btn btn-small btn-primary" disabled=${busy} data-testid="material-publish"
              onClick=${() => publish(m)}>${t('rounds.publish')}</button>
            <button type="button" class="btn btn-small btn-danger-text" disabled=${removing} data-testid="material-delete"
              onClick=${() => remove(m)}>${t('rounds.delete')}</button>`}
      </li>`)}
    </ul>
  </div>`;
}

function Upload({ round, onDone }) {
  const id = useId('upload');
  const [file, setFile] = useState(null);
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    if (!file) return;
    await api.request('POST', '/rounds/' + round.id + '/materials?filename=' + encodeURIComponent(file.name), file,
      { raw: true, contentType: file.type || 'application/octet-stream' });
    toast(t('rounds.uploaded'), 'success');
    e.target.reset();
    setFile(null);
    onDone();
  });
  return html`<form class="upload-form" onSubmit=${send} data-testid="material-upload-form">
    <label for=${id}>${t('rounds.upload_label')}</label>
    <input id=${id} type="file" required data-testid="material-file" onChange=${(e) => setFile(e.currentTarget.files[0] || null)} />
    <button class="btn" type="submit" disabled=${busy || !file} data-testid="material-upload">${t('rounds.upload')}</button>
    <p class="hint">${t('rounds.upload_hint')}</p>
    <${ErrorBox} error=${error} />
  </form>`;
}

function RoundCard({ round, sec, onChange, full }) {
  return html`<article class="panel round-card" data-testid="round" data-number=${round.number}>
    <header class="round-head">
      <span class="round-no">${t('rounds.number', { n: round.number })}</span>
      <time class="round-date" datetime=${round.seminar_starts_at}>${jstDate(round.seminar_starts_at)}</time>
    </header>
    <h2 class="round-title">${full ? round.title : html`<a href=${'#/rounds/' + round.id}>${round.title}</a>`}</h2>
    <${RoundTimes} round=${round} />
    <h3 class="small">${t('rounds.materials')}</h3>
    <${MaterialList} round=${round} sec=${sec} onChange=${onChange} />
    ${sec ? html`<${Upload} round=${round} onDone=${onChange} />
      <p><a class="btn btn-primary att-link" href=${'#/rounds/' + round.id + '/attendance'} data-testid="take-attendance">${t('rounds.take_attendance')}</a></p>` : null}
  </article>`;
}

function isoJst(date, time) {
  return date && time ? `${date}T${time}:00+09:00` : '';
}

const BROCHURE_VENUE = '新宿サンエービル 7F（東京都新宿区西新宿1-22-2）';

function NewRound({ onDone, nextNumber }) {
  const id = useId('round');
  const [f, setF] = useState({ number: '', title: '', date: '', ss: '13:00', se: '15:00', ws: '15:15', we: '17:15', venue: BROCHURE_VENUE });
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    await api.post('/rounds', {
      number: Number(f.number || nextNumber), title: f.title, venue: f.venue,
      seminar_starts_at: isoJst(f.date, f.ss), seminar_ends_at: isoJst(f.date, f.se),
      workshop_starts_at: isoJst(f.date, f.ws), workshop_ends_at: isoJst(f.date, f.we),
    });
    toast(t('rounds.created'), 'success');
    setF({ ...f, number: '', title: '', date: '' });
    onDone();
  });
  return html`<details class="panel admin-box">
    <summary data-testid="new-round-toggle">${t('rounds.new')}</summary>
    <form class="grid-form" onSubmit=${send} data-testid="new-round-form">
      <${Field} id=${id + '-n'} label=${t('rounds.number_label')} required>
        <input id=${id + '-n'} type="number" min="1" max="100" required value=${f.number || nextNumber} onInput=${set('number')} /></${Field}>
      <${Field} id=${id + '-d'} label=${t('rounds.date')} required>
        <input id=${id + '-d'} type="date" required value=${f.date} onInput=${set('date')} data-testid="new-round-date" /></${Field}>
      <div class="wide"><${Field} id=${id + '-t'} label=${t('rounds.title_label')} required>
        <input id=${id + '-t'} required maxlength="300" value=${f.title} onInput=${set('title')} data-testid="new-round-title" /></${Field}></div>
      <${Field} id=${id + '-ss'} label=${t('rounds.seminar_start')}><input id=${id + '-ss'} type="time" required value=${f.ss} onInput=${set('ss')} /></${Field}>
      <${Field} id=${id + '-se'} label=${t('rounds.seminar_end')}><input id=${id + '-se'} type="time" required value=${f.se} onInput=${set('se')} /></${Field}>
      <${Field} id=${id + '-ws'} label=${t('rounds.workshop_start')}><input id=${id + '-ws'} type="time" required value=${f.ws} onInput=${set('ws')} /></${Field}>
      <${Field} id=${id + '-we'} label=${t('rounds.workshop_end')}><input id=${id + '-we'} type="time" required value=${f.we} onInput=${set('we')} /></${Field}>
      <div class="wide"><${Field} id=${id + '-v'} label=${t('rounds.venue')} required>
        <input id=${id + '-v'} required maxlength="300" value=${f.venue} onInput=${set('venue')} /></${Field}></div>
      <div class="wide"><${ErrorBox} error=${error} />
        <button class="btn btn-primary" type="submit" disabled=${busy} data-testid="new-round-submit">${t('rounds.create')}</button></div>
    </form>
  </details>`;
}

function programYear() {
  const now = new Date(Date.now() + 9 * 3600 * 1000);
  return now.getUTCMonth() + 1 >= 4 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
}

function StandardRounds({ onDone }) {
  const id = useId('std');
  const [year, setYear] = useState(String(programYear()));
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const res = await api.post('/rounds/standard', { year: Number(year) });
    toast(t('rounds.standard_done', { n: res.created.length, s: res.skipped.length }), 'success');
    onDone();
  });
  return html`<form class="panel admin-box standard-form" onSubmit=${send} data-testid="standard-form">
    <p>${t('rounds.standard_lead')}</p>
    <div class="inline-form">
      <label for=${id}>${t('rounds.program_year')}</label>
      <input id=${id} type="number" min="2000" max="2098" required value=${year} onInput=${(e) => setYear(e.currentTarget.value)} data-testid="standard-year" />
      <button class="btn btn-primary" type="submit" disabled=${busy} data-testid="standard-submit">${t('rounds.standard')}</button>
    </div>
    <${ErrorBox} error=${error} />
  </form>`;
}

export function Rounds() {
  const res = useApi('/rounds');
  const sec = isSecretariat(state.user);
  return html`<div>
    <${PageHead} title=${t('rounds.title')}>
      <a class="btn" href="#/calendar" data-testid="to-calendar">${t('calendar.title')}</a>
      ${sec ? html`<a class="btn" href="#/attendance" data-testid="to-report">${t('attendance.report')}</a>` : null}
    </${PageHead}>
    <p class="lead">${t('rounds.lead')}</p>
    <${Loaded} res=${res}>${(data) => {
      const rounds = data.rounds;
      const next = rounds.reduce((m, r) => Math.max(m, r.number), 0) + 1;
      return html`
        ${sec ? html`<${StandardRounds} onDone=${res.reload} /><${NewRound} onDone=${res.reload} nextNumber=${next} />` : null}
        ${!rounds.length ? html`<p class="muted" data-testid="rounds-empty">${t('rounds.none')}</p>` : html`
        <div class="round-list" data-testid="round-list">
          ${rounds.map((r) => html`<${RoundCard} key=${r.id} round=${r} sec=${sec} onChange=${res.reload} />`)}
        </div>`}`;
    }}</${Loaded}>
  </div>`;
}

export function RoundView({ id }) {
  const res = useApi('/rounds/' + id, [id]);
  const sec = isSecretariat(state.user);
  return html`<div>
    <p class="crumbs"><a href="#/rounds">${t('rounds.title')}</a></p>
    <${Loaded} res=${res}>${(round) => html`
      <${PageHead} title=${t("rounds.number", { n: round.number }) + " " + jstDate(round.seminar_starts_at)} />
      <${RoundCard} round=${round} sec=${sec} onChange=${res.reload} full=${true} />`}</${Loaded}>
  </div>`;
}

// ---- attendance (phone) -----------------------------------------------------------------

function nextStatus(s) {
  // One tap moves along: not recorded → present → absent → excused → present ...
  if (!s) return 'present';
  return STATUSES[(STATUSES.indexOf(s) + 1) % STATUSES.length];
}

export function Attendance({ id }) {
  const round = useApi('/rounds/' + id, [id]);
  const roll = useApi('/rounds/' + id + '/attendance', [id]);
  const [local, setLocal] = useState({});
  const [save, busy, error] = useAction(async (p, status) => {
    setLocal((l) => ({ ...l, [p.user_id]: status }));
    try {
      await api.request('PUT', '/rounds/' + id + '/attendance', { records: [{ user_id: p.user_id, status }] });
    } catch (e) {
      setLocal((l) => { const c = { ...l }; delete c[p.user_id]; return c; });
      throw e;
    }
    roll.reload();
  });
  return html`<div class="attendance">
    <p class="crumbs"><a href=${'#/rounds/' + id}>${t('rounds.back_to_round')}</a></p>
    <${Loaded} res=${round}>${(r) => html`<${PageHead} title=${t('attendance.title', { n: r.number })} />
      <p class="lead">${jstDate(r.seminar_starts_at)} · ${r.title}</p>`}</${Loaded}>
    <p class="hint">${t('attendance.hint')}</p>
    <${ErrorBox} error=${error} />
    <${Loaded} res=${roll}>${(data) => {
      const people = data.participants || [];
      const statusOf = (p) => (p.user_id in local ? local[p.user_id] : p.status);
      const counts = { present: 0, absent: 0, excused: 0, none: 0 };
      people.forEach((p) => { counts[statusOf(p) || 'none']++; });
      return html`
        <p class="att-counts" data-testid="att-counts">${t('attendance.counts', counts)}</p>
        ${!people.length ? html`<p class="muted">${t('attendance.nobody')}</p>` : html`
        <ul class="att-list" data-testid="att-list">
          ${people.map((p) => {
            const s = statusOf(p);
            return html`<li key=${p.user_id}>
              <button type="button" class=${'att-btn att-' + (s || 'none')} data-testid="att-person" data-status=${s || ''}
                data-user=${p.user_id} disabled=${busy} aria-label=${p.name + ' — ' + t('attendance.status.' + (s || 'none')) + ' ' + t('attendance.tap_to', { s: t('attendance.status.' + nextStatus(s)) })}
                onClick=${() => save(p, nextStatus(s))}>
                <span class="att-name">${p.name}</span>
                <span class="att-company">${p.company_name}</span>
                <span class="att-state">${t('attendance.status.' + (s || 'none'))}</span>
              </button>
            </li>`;
          })}
        </ul>`}`;
    }}</${Loaded}>
  </div>`;
}

// ---- the report -------------------------------------------------------------------------

export function AttendanceReport() {
  const res = useApi('/attendance/report');
  return html`<div>
    <${PageHead} title=${t('attendance.report')}>
      <a class="btn" href="/api/v1/attendance/report?format=csv" download="attendance-report.csv" data-testid="attendance-csv">${t('attendance.csv')}</a>
    </${PageHead}>
    <p class="lead">${t('attendance.report_lead')}</p>
    <${Loaded} res=${res}>${(data) => {
      const rounds = data.rounds || [];
      const rows = data.rows || [];
      const risky = (data.companies || []).filter((c) => c.at_risk);
      return html`
        ${risky.length ? html`<${Notice} kind="warn" testid="at-risk-summary">${t('attendance.at_risk_count', { n: risky.length })}</${Notice}>` : null}
        ${!rows.length ? html`<p class="muted">${t('attendance.nobody')}</p>` : html`
        <div class="table-wrap" tabindex="0" role="region" aria-label=${t('attendance.report')}>
          <table class="table att-table" data-testid="attendance-report">
            <thead><tr>
              <th scope="col">${t('attendance.company')}</th><th scope="col">${t('attendance.participant')}</th>
              ${rounds.map((r) => html`<th scope="col" title=${r.title + ' ' + r.date}>${r.number}</th>`)}
              <th scope="col">${t('attendance.at_risk')}</th>
            </tr></thead>
            <tbody>
              ${rows.map((row) => html`<tr key=${row.user_id} class=${row.at_risk ? 'at-risk' : ''} data-testid="attendance-row" data-at-risk=${row.at_risk ? 'yes' : 'no'}>
                <th scope="row">${row.company_name}</th><td>${row.name}</td>
                ${row.rounds.map((s) => html`<td class=${'att-cell att-' + (s.status || 'none')} title=${t('attendance.status.' + (s.status || 'none'))}>${t('attendance.short.' + (s.status || 'none'))}</td>`)}
                <td>${row.at_risk ? html`<span class="badge missing" data-testid="at-risk">${t('attendance.at_risk')}</span>
                  <div class="small">${row.at_risk_reason}</div>` : html`<span class="badge ok">${t('attendance.ok')}</span>`}</td>
              </tr>`)}
            </tbody>
          </table>
        </div>`}
        <p class="hint">${t('attendance.rule')}</p>`;
    }}</${Loaded}>
  </div>`;
}

// ---- the calendar feed ------------------------------------------------------------------

export function CalendarFeed() {
  const res = useApi('/me/calendar');
  const id = useId('feed');
  const [copy, , copyError] = useAction(async (url) => {
    await navigator.clipboard.writeText(url);
    toast(t('calendar.copied'), 'success');
  });
  const [revoke, busy, error] = useAction(async () => {
    if (!window.confirm(t('calendar.revoke_confirm'))) return;
    await api.del('/me/calendar');
    toast(t('calendar.revoked'), 'success');
    res.reload();
  });
  return html`<div class="calendar-feed">
    <${PageHead} title=${t('calendar.title')} />
    <p class="lead">${t('calendar.lead')}</p>
    <${Loaded} res=${res}>${(data) => html`
      <div class="panel">
        <label for=${id}>${t('calendar.url')}</label>
        <div class="copy-row">
          <input id=${id} class="feed-url" readonly value=${data.url} data-testid="feed-url" onFocus=${(e) => e.currentTarget.select()} />
          <button type="button" class="btn btn-primary" data-testid="feed-copy" onClick=${() => copy(data.url)}>${t('calendar.copy')}</button>
        </div>
        <p class="hint">${t('calendar.private')}</p>
        <${ErrorBox} error=${copyError} />
        <p class="feed-actions"><a class="btn" href=${data.webcal_url} data-testid="feed-webcal">${t('calendar.open_app')}</a>
          <button type="button" class="btn btn-danger-text" disabled=${busy} data-testid="feed-revoke" onClick=${revoke}>${t('calendar.revoke')}</button></p>
        <${ErrorBox} error=${error} />
      </div>`}</${Loaded}>
    <section class="section how-to" aria-labelledby=${id + '-how'}>
      <h2 id=${id + '-how'}>${t('calendar.how')}</h2>
      ${['outlook', 'google', 'apple'].map((app) => html`<details class="panel" key=${app} data-testid=${'howto-' + app}>
        <summary>${t('calendar.' + app)}</summary>
        <ol>${t('calendar.' + app + '.steps').split('\n').map((s) => html`<li>${s}</li>`)}</ol>
      </details>`)}
      <p class="hint">${t('calendar.refresh_note')}</p>
    </section>
  </div>`;
}
