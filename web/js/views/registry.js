// Secretariat: the program registry — workshop groups, companies (track, status, experts), users and invitations.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { state, toast } from '../store.js';
import { ErrorBox, Field, Loaded, Notice, PageHead, useApi, useAction, useId } from '../components.js';
import { yen, num } from '../format.js';

const TABS = ['companies', 'users', 'groups'];
export const JSIC = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T'];
const SME_CLASSES = ['manufacturing_other', 'wholesale', 'service', 'retail'];
const STATUSES = ['active', 'completed', 'withdrawn'];

export function Registry({ tab }) {
  const current = TABS.includes(tab) ? tab : 'companies';
  return html`<div>
    <${PageHead} title=${t('registry.title')} />
    <nav class="subnav" aria-label=${t('registry.title')}>
      ${TABS.map((k) => html`<a href=${'#/registry/' + k} aria-current=${k === current ? 'page' : undefined}
        data-testid=${'registry-tab-' + k}>${t('registry.tab.' + k)}</a>`)}
    </nav>
    ${current === 'companies' ? html`<${Companies} />` : null}
    ${current === 'users' ? html`<${Users} />` : null}
    ${current === 'groups' ? html`<${Groups} />` : null}
  </div>`;
}

function useGroups() {
  const res = useApi('/groups');
  return { res, list: res.data ? res.data.groups : [] }; // {groups:[{id, name, created_at, companies}]}
}

// ---- groups ----------------------------------------------------------------------------

function Groups() {
  const { res, list } = useGroups();
  const id = useId('grp');
  const [name, setName] = useState('');
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const r = await api.post('/groups', { name: name.trim() });
    toast(t('registry.group_created', { name: r.name }), 'success');
    setName('');
    res.reload();
  });
  return html`<section class="section">
    <p class="lead">${t('registry.groups_lead')}</p>
    <form class="panel inline-create" onSubmit=${send} data-testid="group-form">
      <div class="field"><label for=${id}>${t('registry.group_name')}</label>
        <input id=${id} required value=${name} data-testid="group-name" onInput=${(e) => setName(e.currentTarget.value)} /></div>
      <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="group-submit">${t('common.create')}</button>
    </form>
    <${ErrorBox} error=${error} />
    ${res.error && res.error.code !== 'not_found' ? html`<${ErrorBox} error=${res.error} />` : null}
    ${list.length ? html`<ul class="card-list compact" data-testid="group-list">${list.map((g) => html`<li class="card" key=${g.id}>
      <strong>${g.name}</strong> <span class="muted small">#${g.id}</span>
      <span class="muted small">${t('registry.n_companies', { n: g.companies })}</span>
    </li>`)}</ul>` : html`<p class="muted">${t('registry.no_groups')}</p>`}
  </section>`;
}

// ---- companies -------------------------------------------------------------------------

const VIEW_KEY = 'mamori.registry.view';

function Companies() {
  const res = useApi('/companies');
  const { list: groups } = useGroups();
  const experts = useApi('/experts');
  const expertList = experts.data ? experts.data.experts : [];
  const [view, setViewState] = useState(() => {
    try { return localStorage.getItem(VIEW_KEY) === 'table' ? 'table' : 'cards'; } catch (_) { return 'cards'; }
  });
  const setView = (v) => { setViewState(v); try { localStorage.setItem(VIEW_KEY, v); } catch (_) { /* ignore */ } };
  // {companies:[{id, name, industry, sme_class, capital_yen, employees, track, status, group_id, group_name,
  //  created_at, participants, expert_ids}], tracks:{monozukuri:{filled, capacity, free}, service:{…}}}
  return html`<section class="section">
    ${res.data ? html`<${TrackSummary} tracks=${res.data.tracks} />` : null}
    <${NewCompany} groups=${groups} onCreated=${res.reload} />
    <${Loaded} res=${res}>${(data) => {
      const list = data.companies;
      return html`${!list.length ? html`<p class="muted">${t('registry.no_companies')}</p>` : html`
        <div class="view-toggle" role="group" aria-label=${t('registry.view')}>
          ${['cards', 'table'].map((v) => html`<button type="button" class=${'btn btn-small' + (view === v ? ' btn-primary' : '')}
            aria-pressed=${view === v} data-testid=${'company-view-' + v} onClick=${() => setView(v)}>${t('registry.view.' + v)}</button>`)}
        </div>
        ${view === 'table' ? html`<${CompanyTable} list=${list} experts=${expertList} />` : html`
        <ul class="card-list" data-testid="company-list">
          ${list.map((c) => html`<${CompanyCard} key=${c.id} company=${c} groups=${groups} experts=${expertList} reload=${res.reload} />`)}
        </ul>`}`}`;
    }}</${Loaded}>
  </section>`;
}

function TrackSummary({ tracks }) {
  return html`<ul class="track-summary" data-testid="track-summary" aria-label=${t('registry.tracks')}>
    ${['monozukuri', 'service'].map((k) => {
      const tr = tracks[k];
      return html`<li class=${'track-box track-' + k + (tr.free ? '' : ' full')} data-testid=${'track-' + k}>
        <span class="track-name">${t('track.' + k)}</span>
        <span class="track-fill"><strong>${tr.filled}</strong>/${tr.capacity}</span>
        <span class="small muted">${tr.free ? t('registry.track_free', { n: tr.free }) : t('registry.track_full')}</span>
      </li>`;
    })}
  </ul>`;
}

function CompanyTable({ list, experts }) {
  const nameOf = (id) => (experts.find((x) => x.id === id) || { name: '#' + id }).name;
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t('registry.tab.companies')}>
    <table class="table stack compact-table" data-testid="company-table">
      <thead><tr>
        <th scope="col">${t('registry.company_name')}</th><th scope="col">${t('registry.track')}</th>
        <th scope="col">${t('registry.status')}</th><th scope="col">${t('registry.industry_short')}</th>
        <th scope="col">${t('registry.group')}</th><th scope="col">${t('registry.participants')}</th>
        <th scope="col">${t('registry.experts')}</th>
      </tr></thead>
      <tbody>${list.map((c) => html`<tr key=${c.id} data-testid="company-row" data-company-id=${c.id}>
        <th scope="row">${c.name}</th>
        <td data-label=${t('registry.track')} class="nowrap">${t('track.' + c.track)}</td>
        <td data-label=${t('registry.status')} class="nowrap"><span class=${'badge co-' + c.status}>${t('co.status.' + c.status)}</span></td>
        <td data-label=${t('registry.industry_short')}>${c.industry} — ${t('jsic.' + c.industry)}</td>
        <td data-label=${t('registry.group')}>${c.group_name || '—'}</td>
        <td data-label=${t('registry.participants')}>${num(c.participants)}</td>
        <td data-label=${t('registry.experts')}>${c.expert_ids.length ? c.expert_ids.map(nameOf).join('、') : '—'}</td>
      </tr>`)}</tbody>
    </table>
  </div>`;
}

function NewCompany({ groups, onCreated }) {
  const id = useId('co');
  const empty = { name: '', industry: 'D', sme_class: 'manufacturing_other', capital_yen: '', employees: '', group_id: '' };
  const [f, setF] = useState(empty);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const body = {
      name: f.name.trim(), industry: f.industry, sme_class: f.sme_class,
      capital_yen: Number(f.capital_yen), employees: Number(f.employees),
    };
    if (f.group_id) body.group_id = Number(f.group_id);
    const r = await api.post('/companies', body);
    toast(t('registry.company_created', { name: r.name, track: t('track.' + r.track) }), 'success');
    setF(empty);
    onCreated();
  });
  const track = ['D', 'E', 'F'].includes(f.industry) ? 'monozukuri' : (['A', 'B', 'C', 'Q'].includes(f.industry) ? null : 'service');
  return html`<details class="panel admin-box" open>
    <summary data-testid="company-new-toggle">${t('registry.new_company')}</summary>
    <form class="grid-form" onSubmit=${send} data-testid="company-form">
      <div class="field wide"><label for=${id + '-n'}>${t('registry.company_name')}</label>
        <input id=${id + '-n'} required value=${f.name} data-testid="company-name" onInput=${set('name')} /></div>
      <div class="field"><label for=${id + '-i'}>${t('registry.industry')}</label>
        <select id=${id + '-i'} value=${f.industry} data-testid="company-industry" onChange=${set('industry')}>
          ${JSIC.map((l) => html`<option value=${l}>${l} — ${t('jsic.' + l)}</option>`)}
        </select>
        <p class="hint">${track ? t('registry.track_will_be', { track: t('track.' + track) }) : t('err.industry_not_eligible')}</p></div>
      <div class="field"><label for=${id + '-s'}>${t('registry.sme_class')}</label>
        <select id=${id + '-s'} value=${f.sme_class} data-testid="company-sme-class" onChange=${set('sme_class')}>
          ${SME_CLASSES.map((s) => html`<option value=${s}>${t('sme.' + s)}</option>`)}
        </select>
        <p class="hint">${t('sme.limit.' + f.sme_class)}</p></div>
      <div class="field"><label for=${id + '-c'}>${t('registry.capital')}</label>
        <input id=${id + '-c'} type="number" min="0" step="1" required inputmode="numeric" value=${f.capital_yen}
          data-testid="company-capital" onInput=${set('capital_yen')} /></div>
      <div class="field"><label for=${id + '-e'}>${t('registry.employees')}</label>
        <input id=${id + '-e'} type="number" min="0" step="1" required inputmode="numeric" value=${f.employees}
          data-testid="company-employees" onInput=${set('employees')} /></div>
      <div class="field"><label for=${id + '-g'}>${t('registry.group')}</label>
        <select id=${id + '-g'} value=${f.group_id} data-testid="company-group" onChange=${set('group_id')}>
          <option value="">${t('registry.no_group')}</option>
          ${groups.map((g) => html`<option value=${g.id}>${g.name}</option>`)}
        </select></div>
      <${ErrorBox} error=${error} testid="company-error" />
      <div class="form-actions wide"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="company-submit">${t('common.create')}</button></div>
    </form>
  </details>`;
}

function CompanyCard({ company: c, groups, experts, reload }) {
  const id = useId('cc');
  const assigned = c.expert_ids.map((eid) => ({ id: eid }));
  const [pick, setPick] = useState('');
  const [change, busy, error] = useAction(async (body) => {
    await api.patch('/companies/' + c.id, body);
    toast(t('common.saved'), 'success');
    reload();
  });
  const [assign, assigning, assignError] = useAction(async () => {
    await api.post('/companies/' + c.id + '/experts', { expert_id: Number(pick) });
    toast(t('registry.expert_assigned'), 'success');
    setPick('');
    reload();
  });
  const [unassign, unassigning, unassignError] = useAction(async (expertId) => {
    await api.del('/companies/' + c.id + '/experts/' + expertId);
    reload();
  });
  // /experts lists experts who are not suspended; an assigned suspended one shows by number.
  const nameOf = (e) => (experts.find((x) => x.id === e.id) || { name: '#' + e.id }).name;
  return html`<li class=${'card company status-' + c.status} data-testid="company" data-company-id=${c.id}>
    <div class="card-head">
      <span class=${'badge track-' + c.track}>${t('track.' + c.track)}</span>
      <span class=${'badge co-' + c.status}>${t('co.status.' + c.status)}</span>
      <strong class="card-title">${c.name}</strong> <span class="muted small">#${c.id}</span>
    </div>
    <dl class="facts">
      <div><dt>${t('registry.industry')}</dt><dd>${c.industry} — ${t('jsic.' + c.industry)}</dd></div>
      <div><dt>${t('registry.sme_class')}</dt><dd>${t('sme.' + c.sme_class)}</dd></div>
      <div><dt>${t('registry.capital')}</dt><dd>${yen(c.capital_yen)}</dd></div>
      <div><dt>${t('registry.employees')}</dt><dd>${num(c.employees)}</dd></div>
    </dl>
    <div class="grid-form tight">
      <div class="field"><label for=${id + '-g'}>${t('registry.group')}</label>
        <select id=${id + '-g'} value=${c.group_id === null ? '' : c.group_id} disabled=${busy} data-testid="company-group-change"
          onChange=${(e) => change({ group_id: e.currentTarget.value ? Number(e.currentTarget.value) : null })}>
          <option value="">${t('registry.no_group')}</option>
          ${groups.map((g) => html`<option value=${g.id}>${g.name}</option>`)}
        </select></div>
      <div class="field"><label for=${id + '-s'}>${t('registry.status')}</label>
        <select id=${id + '-s'} value=${c.status} disabled=${busy} data-testid="company-status"
          onChange=${(e) => change({ status: e.currentTarget.value })}>
          ${STATUSES.map((s) => html`<option value=${s}>${t('co.status.' + s)}</option>`)}
        </select></div>
    </div>
    <div class="experts-box">
      <h3 class="small-h">${t('registry.experts')}</h3>
      ${assigned.length ? html`<ul class="chips">${assigned.map((e) => html`<li class="chip" key=${e.id}>${nameOf(e)}
        <button type="button" class="chip-x" disabled=${unassigning} data-testid="expert-unassign"
          aria-label=${t('registry.unassign', { name: nameOf(e) })} onClick=${() => unassign(e.id)}>×</button></li>`)}</ul>`
        : html`<p class="muted small">${t('registry.no_experts')}</p>`}
      <div class="input-row">
        <label for=${id + '-x'} class="visually-hidden">${t('registry.assign_expert')}</label>
        <select id=${id + '-x'} value=${pick} data-testid="expert-pick" onChange=${(e) => setPick(e.currentTarget.value)}>
          <option value="">${t('registry.choose_expert')}</option>
          ${experts.filter((x) => !assigned.some((a) => a.id === x.id)).map((x) => html`<option value=${x.id}>${x.name}</option>`)}
        </select>
        <button type="button" class="btn btn-small" disabled=${!pick || assigning} data-testid="expert-assign"
          onClick=${() => assign()}>${t('registry.assign')}</button>
      </div>
    </div>
    <${ErrorBox} error=${error || assignError || unassignError} />
  </li>`;
}

// ---- users -----------------------------------------------------------------------------

function Users() {
  const res = useApi('/users');
  const companies = useApi('/companies');
  const cl = companies.data ? companies.data.companies : [];
  return html`<section class="section">
    <${NewUser} companies=${cl} onCreated=${res.reload} />
    <${Loaded} res=${res}>${(data) => {
      const list = data.users; // {users:[{id, email, name, role, company_id, company_name, representative, specialties, status, …}]}
      if (!list.length) return html`<p class="muted">${t('registry.no_users')}</p>`;
      return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${t('registry.tab.users')}>
        <table class="table stack" data-testid="user-table">
          <thead><tr><th scope="col">${t('registry.user_name')}</th><th scope="col">${t('registry.role')}</th>
            <th scope="col">${t('registry.company')}</th><th scope="col">${t('registry.status')}</th><th scope="col">${t('registry.totp')}</th>
            <th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th></tr></thead>
          <tbody>${list.map((u) => html`<${UserRow} key=${u.id} user=${u} reload=${res.reload} />`)}</tbody>
        </table></div>`;
    }}</${Loaded}>
  </section>`;
}

function UserRow({ user: u, reload }) {
  const [toggle, busy, error] = useAction(async () => {
    await api.patch('/users/' + u.id, { status: u.status === 'suspended' ? 'active' : 'suspended' });
    reload();
  });
  // Two-step sign-in can be required of experts and the secretariat.
  const [require2, busy2, error2] = useAction(async () => {
    await api.patch('/users/' + u.id, { totp_required: !u.totp_required });
    reload();
  });
  const self = u.id === state.user.id;
  return html`<tr data-testid="user-row" data-user-id=${u.id}>
    <th scope="row">${u.name}<div class="small muted">${u.email}</div></th>
    <td data-label=${t('registry.role')}>${t('role.' + u.role)}${u.representative ? html`<div class="small muted">${t('registry.representative')}</div>` : null}
      ${u.specialties.length ? html`<div class="small muted">${u.specialties.join(', ')}</div>` : null}</td>
    <td data-label=${t('registry.company')}>${u.company_name || ''}</td>
    <td data-label=${t('registry.status')}><span class=${'badge user-' + u.status}>${t('user.status.' + u.status)}</span></td>
    <td data-label=${t('registry.totp')}>${u.totp_enabled ? html`<span class="badge ok">${t('account.totp_on')}</span>`
      : u.totp_setup_required ? html`<span class="badge missing">${t('registry.totp_pending')}</span>` : null}
      ${u.role !== 'participant' && !self ? html`<button type="button" class="btn btn-small btn-ghost" disabled=${busy2}
        data-testid="user-totp-required" aria-pressed=${u.totp_required} onClick=${() => require2()}>
        ${u.totp_required ? t('registry.totp_unrequire') : t('registry.totp_require')}</button>` : null}
      ${error2 ? html`<${ErrorBox} error=${error2} />` : null}</td>
    <td>${u.status === 'invited' || self ? null : html`<button type="button" class="btn btn-small btn-ghost" disabled=${busy}
      data-testid="user-toggle" onClick=${() => toggle()}>${u.status === 'suspended' ? t('registry.activate') : t('registry.suspend')}</button>`}
      ${error ? html`<${ErrorBox} error=${error} />` : null}</td>
  </tr>`;
}

function NewUser({ companies, onCreated }) {
  const id = useId('nu');
  const empty = { email: '', name: '', role: 'participant', company_id: '', representative: true, specialties: '' };
  const [f, setF] = useState(empty);
  const [invite, setInvite] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const body = { email: f.email.trim(), name: f.name.trim(), role: f.role };
    if (f.role === 'participant') { body.company_id = Number(f.company_id); body.representative = !!f.representative; }
    if (f.role === 'expert') body.specialties = f.specialties.split(/[,、]/).map((s) => s.trim()).filter(Boolean);
    const r = await api.post('/users', body);
    setInvite({ user: r.user, token: r.invite_token }); // 201 {user, invite_token, invite_expires_at}
    setF(empty);
    onCreated();
  });
  return html`<details class="panel admin-box" open>
    <summary data-testid="user-new-toggle">${t('registry.new_user')}</summary>
    <form class="grid-form" onSubmit=${send} data-testid="user-form">
      <div class="field"><label for=${id + '-r'}>${t('registry.role')}</label>
        <select id=${id + '-r'} value=${f.role} data-testid="user-role" onChange=${set('role')}>
          ${['participant', 'expert', 'secretariat'].map((r) => html`<option value=${r}>${t('role.' + r)}</option>`)}
        </select></div>
      <div class="field"><label for=${id + '-n'}>${t('registry.user_name')}</label>
        <input id=${id + '-n'} required value=${f.name} data-testid="user-name" onInput=${set('name')} /></div>
      <div class="field"><label for=${id + '-e'}>${t('login.email')}</label>
        <input id=${id + '-e'} type="email" required value=${f.email} data-testid="user-email" onInput=${set('email')} /></div>
      ${f.role === 'participant' ? html`
        <div class="field"><label for=${id + '-c'}>${t('registry.company')}</label>
          <select id=${id + '-c'} required value=${f.company_id} data-testid="user-company" onChange=${set('company_id')}>
            <option value="">${t('common.choose')}</option>
            ${companies.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
          </select></div>
        <label class="check wide"><input type="checkbox" checked=${f.representative} data-testid="user-representative"
          onChange=${set('representative')} /><span>${t('registry.representative_label')}</span></label>` : null}
      ${f.role === 'expert' ? html`<div class="field wide"><label for=${id + '-s'}>${t('registry.specialties')}</label>
        <input id=${id + '-s'} value=${f.specialties} data-testid="user-specialties" placeholder=${t('registry.specialties_ph')}
          onInput=${set('specialties')} /></div>` : null}
      <${ErrorBox} error=${error} testid="user-error" />
      <div class="form-actions wide"><button type="submit" class="btn btn-primary" disabled=${busy} data-testid="user-submit">${t('registry.invite')}</button></div>
    </form>
    ${invite ? html`<${InviteToken} invite=${invite} onClose=${() => setInvite(null)} />` : null}
  </details>`;
}

function InviteToken({ invite, onClose }) {
  const id = useId('inv');
  const url = location.origin + '/#/invite/' + encodeURIComponent(invite.token);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try { await navigator.clipboard.writeText(url); setCopied(true); }
    catch (_) { const el = document.getElementById(id); el.select(); }
  };
  return html`<div class="invite-box" role="status" data-testid="invite-box">
    <p><strong>${t('registry.invite_created', { name: invite.user.name })}</strong></p>
    <p class="small">${t('registry.invite_once')}</p>
    <label for=${id} class="small-h">${t('registry.invite_url')}</label>
    <div class="input-row">
      <input id=${id} readonly value=${url} data-testid="invite-url" data-token=${invite.token}
        onFocus=${(e) => e.currentTarget.select()} />
      <button type="button" class="btn btn-small" data-testid="invite-copy" onClick=${copy}>${copied ? t('registry.copied') : t('registry.copy')}</button>
    </div>
    <button type="button" class="btn btn-small btn-ghost" data-testid="invite-close" onClick=${onClose}>${t('registry.invite_done')}</button>
  </div>`;
}
