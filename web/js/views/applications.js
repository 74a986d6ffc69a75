// Applications and selection (docs/APPLICATIONS.md): the public application form (no sign-in),
// and for the secretariat the application list (contact, decline, admit) and the lottery.
import { html, useState, useEffect } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { toast } from '../store.js';
import { go } from '../router.js';
import { ErrorBox, Field, Loaded, Notice, PageHead, Time, useApi, useAction, useId } from '../components.js';
import { jstDate, num, yen } from '../format.js';

const JSIC = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T'];
const SME_CLASSES = ['manufacturing_other', 'wholesale', 'service', 'retail'];
const SME_LIMITS = {
  manufacturing_other: [300000000, 300], wholesale: [100000000, 100], service: [50000000, 100], retail: [50000000, 50],
};
export const APP_STATUSES = ['received', 'contacted', 'selected', 'waitlisted', 'declined', 'admitted'];
const FIELD_LABEL = {
  company_name: 'apply.company_name', industry: 'apply.industry', sme_class: 'apply.sme_class',
  capital_yen: 'apply.capital', employees: 'apply.employees', tokyo_office: 'apply.tokyo_office',
  has_security_devices: 'apply.devices', has_security_policy: 'apply.policy', contact_name: 'apply.contact_name',
  contact_email: 'apply.contact_email', contact_phone: 'apply.contact_phone',
};

function trackOf(letter) {
  if (['D', 'E', 'F'].includes(letter)) return 'monozukuri';
  if (['A', 'B', 'C', 'Q'].includes(letter)) return null;
  return 'service';
}

/** The form's message for an API error, per code (the field named for `invalid`). */
export function applyErrorText(err) {
  if (!err) return '';
  const code = err.code || 'error';
  if (code === 'invalid') {
    const field = err.body && err.body.field;
    return field && FIELD_LABEL[field] ? t('apply.err.invalid', { field: t(FIELD_LABEL[field]) }) : t('apply.err.invalid_nofield');
  }
  if (code === 'rate_limited') return t('apply.err.rate_limited', { retry: err.retryAfter || 60 });
  const known = ['industry_not_eligible', 'not_sme', 'not_tokyo', 'prerequisites_unmet', 'applications_closed'];
  if (known.includes(code)) return t('apply.err.' + code);
  return t('apply.err.other', { code });
}

function SmeTable() {
  return html`<table class="table sme-table" data-testid="sme-table">
    <caption>${t('apply.sme_table')}</caption>
    <thead><tr><th scope="col">${t('apply.sme_col.class')}</th><th scope="col">${t('apply.sme_col.capital')}</th>
      <th scope="col">${t('apply.sme_col.employees')}</th></tr></thead>
    <tbody>${SME_CLASSES.map((c) => html`<tr key=${c}><th scope="row">${t('sme.' + c)}</th>
      <td>${t('apply.sme_cap.' + c)}</td><td>${t('apply.sme_emp.' + c)}</td></tr>`)}</tbody>
  </table>`;
}

// ---- the public form ---------------------------------------------------------------------

const EMPTY = {
  company_name: '', industry: 'E', sme_class: 'manufacturing_other', capital_yen: '', employees: '',
  tokyo_office: false, has_security_devices: false, has_security_policy: false,
  contact_name: '', contact_email: '', contact_phone: '',
};

export function Apply() {
  const id = useId('apply');
  const info = useApi('/application-form');
  const [f, setF] = useState(EMPTY);
  const [done, setDone] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const body = {
      ...f, company_name: f.company_name.trim(), contact_name: f.contact_name.trim(),
      contact_email: f.contact_email.trim(), contact_phone: f.contact_phone.trim(),
      capital_yen: f.capital_yen === '' ? null : Number(f.capital_yen),
      employees: f.employees === '' ? null : Number(f.employees),
    };
    const r = await api.post('/applications', body, { quiet: true });
    setDone(r);
    setF(EMPTY);
  });
  // Move focus to the field the server named, so the applicant sees what to fix.
  useEffect(() => {
    const field = error && error.body && error.body.field;
    if (field) { const el = document.getElementById(id + '-' + field); if (el) el.focus(); }
  }, [error]);

  if (done) {
    return html`<section class="panel apply-done" data-testid="apply-done" aria-labelledby=${id + '-done'}>
      <h1 id=${id + '-done'} tabindex="-1" data-page-title>${t('apply.done_title')}</h1>
      <dl class="facts">
        <div><dt>${t('apply.done_number')}</dt><dd data-testid="apply-number">${done.id}</dd></div>
        <div><dt>${t('apply.done_track')}</dt><dd>${t('track.' + done.track)}</dd></div>
        <div><dt>${t('apply.done_received')}</dt><dd><${Time} value=${done.received_at} /></dd></div>
        <div><dt>${t('apply.done_due')}</dt><dd data-testid="apply-due"><${Time} value=${done.contact_due_at} /></dd></div>
      </dl>
      <p>${t('apply.done_body')}</p>
      <p><button type="button" class="btn" onClick=${() => setDone(null)}>${t('apply.again')}</button></p>
    </section>`;
  }
  const closed = info.data && info.data.open === false;
  const track = trackOf(f.industry);
  const lim = SME_LIMITS[f.sme_class];
  const sizeKnown = f.capital_yen !== '' && f.employees !== '';
  const isSme = sizeKnown && (Number(f.capital_yen) <= lim[0] || Number(f.employees) <= lim[1]);
  const days = (info.data && info.data.retention_days) || 90;
  const field = (k) => ({ id: id + '-' + k, 'aria-invalid': error && error.body && error.body.field === k ? 'true' : undefined });
  return html`<div class="apply-page">
    <${PageHead} title=${t('apply.title')} />
    <p class="lead">${t('apply.lead')}</p>
    <section class="panel" aria-labelledby=${id + '-rules'}>
      <h2 id=${id + '-rules'}>${t('apply.rules_title')}</h2>
      <ul class="rules">
        <li>${t('apply.rule.industry')}</li><li>${t('apply.rule.sme')}</li><li>${t('apply.rule.tokyo')}</li>
        <li>${t('apply.rule.prereq')}</li><li>${t('apply.rule.call')}</li><li>${t('apply.rule.lottery')}</li>
      </ul>
      <${SmeTable} />
    </section>
    ${closed ? html`<${Notice} kind="warn" testid="apply-closed">${t('apply.err.applications_closed')}</${Notice}>` : null}
    <form class="panel grid-form" onSubmit=${send} data-testid="apply-form">
      <fieldset class="wide"><legend>${t('apply.section.company')}</legend>
        <${Field} id=${id + '-company_name'} label=${t('apply.company_name')} required>
          <input ...${field('company_name')} required maxLength="200" autoComplete="organization" value=${f.company_name}
            data-testid="apply-company-name" onInput=${set('company_name')} /></${Field}>
        <${Field} id=${id + '-industry'} label=${t('apply.industry')} required
          hint=${(track ? t('apply.track_will_be', { track: t('track.' + track) }) : t('apply.track_none')) + ' ' + t('apply.industry_hint')}>
          <select ...${field('industry')} value=${f.industry} data-testid="apply-industry" onChange=${set('industry')}>
            ${JSIC.map((l) => html`<option value=${l} key=${l}>${l} — ${t('jsic.' + l)}</option>`)}
          </select></${Field}>
        <${Field} id=${id + '-sme_class'} label=${t('apply.sme_class')} required
          hint=${t('apply.sme_class_hint', { limit: t('sme.limit.' + f.sme_class) })}>
          <select ...${field('sme_class')} value=${f.sme_class} data-testid="apply-sme-class" onChange=${set('sme_class')}>
            ${SME_CLASSES.map((s) => html`<option value=${s} key=${s}>${t('sme.' + s)}</option>`)}
          </select></${Field}>
        <${Field} id=${id + '-capital_yen'} label=${t('apply.capital')} required hint=${t('apply.capital_hint')}>
          <input ...${field('capital_yen')} type="number" min="0" step="1" inputMode="numeric" required value=${f.capital_yen}
            data-testid="apply-capital" onInput=${set('capital_yen')} /></${Field}>
        <${Field} id=${id + '-employees'} label=${t('apply.employees')} required>
          <input ...${field('employees')} type="number" min="0" step="1" inputMode="numeric" required value=${f.employees}
            data-testid="apply-employees" onInput=${set('employees')} /></${Field}>
        ${sizeKnown ? html`<p class=${'small ' + (isSme ? 'ok' : 'warn')} data-testid="apply-sme-check" aria-live="polite">
          ${isSme ? t('apply.sme_ok') : t('apply.sme_ng')}</p>` : null}
      </fieldset>
      <fieldset class="wide"><legend>${t('apply.section.conditions')}</legend>
        ${[['tokyo_office', 'apply.tokyo_office', 'apply.rule.tokyo'], ['has_security_devices', 'apply.devices', 'apply.rule.prereq'],
           ['has_security_policy', 'apply.policy', null]].map(([k, label, hint]) => html`<div class="field check" key=${k}>
          <label><input type="checkbox" ...${field(k)} checked=${f[k]} data-testid=${'apply-' + k.replace(/_/g, '-')}
            onChange=${set(k)} /> ${t(label)}</label>
          ${hint ? html`<p class="hint">${t(hint)}</p>` : null}</div>`)}
      </fieldset>
      <fieldset class="wide"><legend>${t('apply.section.contact')}</legend>
        <${Field} id=${id + '-contact_name'} label=${t('apply.contact_name')} required hint=${t('apply.contact_name_hint')}>
          <input ...${field('contact_name')} required maxLength="200" autoComplete="name" value=${f.contact_name}
            data-testid="apply-contact-name" onInput=${set('contact_name')} /></${Field}>
        <${Field} id=${id + '-contact_email'} label=${t('apply.contact_email')} required>
          <input ...${field('contact_email')} type="email" required autoComplete="email" value=${f.contact_email}
            data-testid="apply-contact-email" onInput=${set('contact_email')} /></${Field}>
        <${Field} id=${id + '-contact_phone'} label=${t('apply.contact_phone')} required hint=${t('apply.contact_phone_hint')}>
          <input ...${field('contact_phone')} type="tel" required autoComplete="tel" value=${f.contact_phone}
            data-testid="apply-contact-phone" onInput=${set('contact_phone')} /></${Field}>
      </fieldset>
      <p class="small muted wide">${t('apply.privacy', { days })}</p>
      ${error ? html`<div class="alert alert-error wide" role="alert" data-testid="apply-error" data-code=${error.code || ''}>
        ${applyErrorText(error)}</div>` : null}
      <div class="wide"><button type="submit" class="btn btn-primary" disabled=${busy || closed} data-testid="apply-submit">
        ${busy ? t('apply.sending') : t('apply.submit')}</button></div>
    </form>
  </div>`;
}

// ---- the secretariat's list ------------------------------------------------------------------

function isDueToday(a) {
  return a.status === 'received' && !a.overdue && jstDate(a.contact_due_at) === jstDate(new Date().toISOString());
}

export function Applications({ query }) {
  const status = APP_STATUSES.includes(query.status) ? query.status : '';
  const res = useApi('/applications' + api.qs({ status }), [status]);
  const all = useApi('/applications?status=received');
  const [admitted, setAdmitted] = useState(null);
  const received = all.data ? all.data.applications : [];
  const reload = () => { res.reload(); all.reload(); };
  return html`<div>
    <${PageHead} title=${t('apps.title')}>
      <a class="btn" href="#/lottery" data-testid="apps-to-lottery">${t('apps.view_lottery')}</a>
    </${PageHead}>
    <p class="lead">${t('apps.lead')}</p>
    <p class="summary" data-testid="apps-summary">
      <span class="badge due-today" data-testid="apps-due-today">${t('apps.due_today', { n: received.filter(isDueToday).length })}</span>
      <span class=${'badge' + (received.some((a) => a.overdue) ? ' overdue-badge' : '')} data-testid="apps-overdue">${t('apps.overdue_n', { n: received.filter((a) => a.overdue).length })}</span>
    </p>
    <div class="filters" role="group" aria-label=${t('filter.label')}>
      <label><span>${t('apps.status')}</span>
        <select value=${status} data-testid="apps-status" onChange=${(e) => go('/applications', { status: e.currentTarget.value })}>
          <option value="">${t('filter.all')}</option>
          ${APP_STATUSES.map((s) => html`<option value=${s} key=${s}>${t('apps.status.' + s)}</option>`)}
        </select></label>
    </div>
    ${admitted ? html`<${AdmittedNotice} out=${admitted} onClose=${() => setAdmitted(null)} />` : null}
    <${Loaded} res=${res}>${(data) => {
      const list = data.applications;
      if (!list.length) return html`<p class="muted" data-testid="apps-empty">${t('apps.none')}</p>`;
      return html`<ul class="card-list" data-testid="apps-list">
        ${list.map((a) => html`<${AppCard} key=${a.id} app=${a} reload=${reload} onAdmitted=${setAdmitted} />`)}
      </ul>`;
    }}</${Loaded}>
  </div>`;
}

function AdmittedNotice({ out, onClose }) {
  const link = location.origin + location.pathname + '#/invite/' + out.invite_token;
  return html`<div class="alert alert-success" role="status" data-testid="admitted-notice">
    <strong>${t('apps.admitted_title')}</strong>
    <p>${t('apps.admitted_body', { company: out.company.name, name: out.user.name, email: out.user.email })}</p>
    <p><code class="break" data-testid="admitted-invite-link">${link}</code></p>
    <button type="button" class="btn btn-small" onClick=${onClose}>${t('apps.close')}</button>
  </div>`;
}

function AppCard({ app: a, reload, onAdmitted }) {
  const id = useId('app');
  const [open, setOpen] = useState('');
  const [text, setText] = useState('');
  const [act, busy, error] = useAction(async (e) => {
    e.preventDefault();
    if (open === 'contact') {
      await api.post('/applications/' + a.id + '/contact', { note: text });
      toast(t('apps.contacted_toast'), 'success');
    } else {
      const r = await api.post('/applications/' + a.id + '/decline', { reason: text });
      toast(r.promoted ? t('apps.promoted_toast', { id: r.promoted }) : t('apps.declined_toast'), 'success');
    }
    setOpen(''); setText('');
    reload();
  });
  const [admit, admitting, admitError] = useAction(async () => {
    if (!window.confirm(t('apps.admit_confirm'))) return;
    const r = await api.post('/applications/' + a.id + '/admit');
    onAdmitted(r);
    reload();
  });
  const toggle = (k) => { setOpen(open === k ? '' : k); setText(''); };
  return html`<li class=${'card' + (a.overdue ? ' overdue' : '')} data-testid="app" data-app-id=${a.id} data-status=${a.status}>
    <div class="card-head">
      <span class=${'badge app-' + a.status} data-testid="app-status">${t('apps.status.' + a.status)}</span>
      <span class="badge">${t('track.' + a.track)}</span>
      ${a.overdue ? html`<span class="badge overdue-badge" data-testid="app-overdue">${t('apps.overdue')}</span>` : null}
      ${isDueToday(a) ? html`<span class="badge due-today">${t('apps.due_today_badge')}</span>` : null}
      <strong class="card-title">#${a.id} ${a.company_name}</strong>
    </div>
    <dl class="facts">
      <div><dt>${t('apps.received_at')}</dt><dd><${Time} value=${a.received_at} /></dd></div>
      <div><dt>${t('apps.contact_due_at')}</dt><dd><${Time} value=${a.contact_due_at} /></dd></div>
      ${a.contacted_at ? html`<div><dt>${t('apps.contacted_at')}</dt><dd><${Time} value=${a.contacted_at} /></dd></div>` : null}
      <div><dt>${t('apps.contact')}</dt><dd>${a.contact_name} · <a href=${'mailto:' + a.contact_email}>${a.contact_email}</a> ·
        <a href=${'tel:' + a.contact_phone.replace(/[^0-9+]/g, '')}>${a.contact_phone}</a></dd></div>
      <div><dt>${t('apps.industry')}</dt><dd>${a.industry} — ${t('jsic.' + a.industry)}</dd></div>
      <div><dt>${t('apps.sme')}</dt><dd>${t('sme.' + a.sme_class)} · ${yen(a.capital_yen)} · ${num(a.employees)}</dd></div>
      ${a.draw_id ? html`<div><dt>${t('apps.draw')}</dt><dd>${t('apps.draw_rank', { draw: a.draw_id, rank: a.draw_rank })}</dd></div>` : null}
      ${a.contact_note ? html`<div class="wide"><dt>${t('apps.note')}</dt><dd class="pre">${a.contact_note}</dd></div>` : null}
      ${a.decline_reason ? html`<div class="wide"><dt>${t('apps.reason')}</dt><dd class="pre">${a.decline_reason}</dd></div>` : null}
    </dl>
    ${a.duplicates && a.duplicates.length ? html`<p class="small warn" data-testid="app-duplicates">${t('apps.duplicates', { ids: a.duplicates.map((d) => '#' + d).join(', ') })}</p>` : null}
    <div class="card-actions">
      ${a.status === 'received' ? html`<button type="button" class="btn btn-small btn-primary" aria-expanded=${open === 'contact'}
        data-testid="app-contact" onClick=${() => toggle('contact')}>${t('apps.do_contact')}</button>` : null}
      ${a.status === 'selected' ? html`<button type="button" class="btn btn-small btn-primary" disabled=${admitting}
        data-testid="app-admit" onClick=${admit}>${t('apps.do_admit')}</button>` : null}
      ${a.status !== 'declined' && a.status !== 'admitted' ? html`<button type="button" class="btn btn-small btn-ghost"
        aria-expanded=${open === 'decline'} data-testid="app-decline" onClick=${() => toggle('decline')}>${t('apps.do_decline')}</button>` : null}
    </div>
    <${ErrorBox} error=${admitError} testid="app-admit-error" />
    ${open ? html`<form class="inline-form" onSubmit=${act} data-testid=${'app-' + open + '-form'}>
      <div class="field"><label for=${id}>${open === 'contact' ? t('apps.contact_note') : t('apps.decline_reason')}</label>
        <textarea id=${id} rows="3" required=${open === 'decline'} value=${text} data-testid=${'app-' + open + '-text'}
          aria-describedby=${open === 'contact' ? id + '-hint' : undefined} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
        ${open === 'contact' ? html`<p class="hint" id=${id + '-hint'}>${t('apps.contact_note_hint')}</p>` : null}</div>
      <${ErrorBox} error=${error} />
      <button type="submit" class=${'btn btn-small ' + (open === 'contact' ? 'btn-primary' : 'btn-danger')} disabled=${busy}
        data-testid=${'app-' + open + '-submit'}>${open === 'contact' ? t('apps.contact_save') : t('apps.decline_save')}</button>
      <button type="button" class="btn btn-small btn-ghost" onClick=${() => setOpen('')}>${t('apps.cancel')}</button>
    </form>` : null}
  </li>`;
}

// ---- the lottery ---------------------------------------------------------------------------

/** A default seed: today's date in Tokyo and a random string, e.g. "2027-02-01-k3x9q2mz". */
export function defaultSeed() {
  const day = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo' }).format(new Date());
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return day + '-' + Array.from(bytes, (b) => 'abcdefghijkmnpqrstuvwxyz23456789'[b % 32]).join('');
}

/** The shell one-liner that lists ids by sha256("seed:id"), ascending. */
export function verifyCommand(seed, ids) {
  const q = "'" + String(seed).replace(/'/g, "'\\''") + ":'";
  return `for id in ${ids.join(' ')}; do printf '%s %s\\n' "$(printf '%s' ${q}"$id" | sha256sum | cut -c1-64)" "$id"; done | sort`;
}

export function Lottery() {
  const res = useApi('/selection');
  const id = useId('lot');
  const [seed, setSeed] = useState(defaultSeed);
  const [result, setResult] = useState(null);
  const [draw, busy, error] = useAction(async (e) => {
    e.preventDefault();
    if (!window.confirm(t('lottery.draw_confirm', { seed }))) return;
    const r = await api.post('/selection', { seed });
    setResult(r);
    setSeed(defaultSeed());
    res.reload();
  });
  return html`<div>
    <${PageHead} title=${t('lottery.title')}>
      <a class="btn" href="#/applications" data-testid="lottery-to-apps">${t('nav.applications')}</a>
    </${PageHead}>
    <p class="lead">${t('lottery.lead')}</p>
    <${Loaded} res=${res}>${(data) => html`<div>
      <div class="board" data-testid="lottery-tracks">
        ${data.tracks.map((tr) => html`<section class="board-col" key=${tr.track} data-testid=${'lottery-track-' + tr.track}>
          <h2 class="board-h">${t('track.' + tr.track)}</h2>
          <dl class="facts">
            <div><dt>${t('lottery.capacity')}</dt><dd>${tr.capacity}</dd></div>
            <div><dt>${t('lottery.active')}</dt><dd>${tr.active}</dd></div>
            <div><dt>${t('lottery.selected_before')}</dt><dd>${tr.selected_before}</dd></div>
            <div><dt>${t('lottery.remaining')}</dt><dd data-testid="lottery-remaining">${tr.remaining}</dd></div>
          </dl>
          <h3 class="small">${t('lottery.candidates')} (${tr.candidates.length})</h3>
          ${tr.candidates.length ? html`<ul class="plain small" data-testid="lottery-candidates">
            ${tr.candidates.map((c) => html`<li key=${c.id}>#${c.id} ${c.company_name}</li>`)}</ul>`
            : html`<p class="muted small">${t('lottery.no_candidates')}</p>`}
        </section>`)}
      </div>
      <form class="panel inline-create" onSubmit=${draw} data-testid="lottery-form">
        <div class="field"><label for=${id}>${t('lottery.seed')}</label>
          <input id=${id} required maxLength="200" value=${seed} data-testid="lottery-seed" aria-describedby=${id + '-hint'}
            onInput=${(e) => setSeed(e.currentTarget.value)} />
          <p class="hint" id=${id + '-hint'}>${t('lottery.seed_hint')}</p></div>
        <button type="button" class="btn btn-ghost" onClick=${() => setSeed(defaultSeed())}>${t('lottery.new_seed')}</button>
        <button type="submit" class="btn btn-primary" disabled=${busy || !seed.trim()} data-testid="lottery-draw">${t('lottery.draw')}</button>
      </form>
      <${ErrorBox} error=${error} />
      ${result ? html`<${DrawResult} r=${result} />` : null}
      <${History} draws=${data.draws} />
    </div>`}</${Loaded}>
  </div>`;
}

function DrawResult({ r }) {
  return html`<section class="panel" data-testid="lottery-result" aria-labelledby="lottery-result-h">
    <h2 id="lottery-result-h">${t('lottery.result')}</h2>
    <p>${t('lottery.seed_used')}: <code data-testid="lottery-seed-used">${r.seed}</code></p>
    ${!r.selected.length && !r.waitlisted.length ? html`<p class="muted">${t('lottery.none_drawn')}</p>` : null}
    ${r.tracks.filter((tr) => tr.order.length).map((tr) => html`<div key=${tr.track} data-testid=${'lottery-result-' + tr.track}>
      <h3>${t('track.' + tr.track)} — ${t('lottery.remaining')} ${tr.remaining}</h3>
      <table class="table"><thead><tr><th scope="col">${t('lottery.order')}</th><th scope="col">#</th>
        <th scope="col">${t('lottery.hash')}</th><th scope="col">${t('apps.status')}</th></tr></thead>
        <tbody>${tr.order.map((o, i) => html`<tr key=${o.id}><td>${i + 1}</td><td>${o.id}</td><td><code class="break">${o.hash}</code></td>
          <td>${tr.selected.includes(o.id) ? t('lottery.selected') : t('lottery.waitlisted')}</td></tr>`)}</tbody></table>
      <h4>${t('lottery.verify')}</h4>
      <p class="small">${t('lottery.verify_body')}</p>
      <pre class="code" data-testid=${'lottery-verify-' + tr.track}>${verifyCommand(r.seed, tr.order.map((o) => o.id))}</pre>
    </div>`)}
  </section>`;
}

function History({ draws }) {
  return html`<section class="section" aria-labelledby="lottery-history-h">
    <h2 id="lottery-history-h">${t('lottery.history')}</h2>
    ${draws.length ? html`<ul class="card-list compact" data-testid="lottery-history">
      ${draws.map((d) => html`<li class="card" key=${d.id}>
        <strong>#${d.id}</strong> <code>${d.seed}</code>
        <span class="muted small"> ${t('lottery.drawn_at')} <${Time} value=${d.drawn_at} /> · ${t('lottery.drawn_by')} ${d.drawn_by_name || ''}</span>
        <div class="small">${t('lottery.selected')}: ${d.selected.map((i) => '#' + i).join(', ') || '—'} ·
          ${t('lottery.waitlisted')}: ${d.waitlisted.map((i) => '#' + i).join(', ') || '—'}</div>
      </li>`)}</ul>` : html`<p class="muted">${t('lottery.history_none')}</p>`}
  </section>`;
}
