// The signed-in person's own page: who they are, password change and two-step sign-in (TOTP).
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { state, setState, toast } from '../store.js';
import { ErrorBox, Field, Loaded, Notice, PageHead, Time, useAction, useApi, useId } from '../components.js';
import { chooseLang } from '../lang.js';

export function Account() {
  const u = state.user;
  return html`<div>
    <${PageHead} title=${t('account.title')} />
    <section class="panel">
      <dl class="facts">
        <div><dt>${t('registry.user_name')}</dt><dd data-testid="account-name">${u.name}</dd></div>
        <div><dt>${t('login.email')}</dt><dd>${u.email}</dd></div>
        <div><dt>${t('registry.role')}</dt><dd>${t('role.' + u.role)}${u.representative ? ' · ' + t('registry.representative') : ''}</dd></div>
        ${u.company_name ? html`<div><dt>${t('registry.company')}</dt><dd data-testid="account-company">${u.company_name}</dd></div>` : null}
        ${u.specialties.length ? html`<div><dt>${t('registry.specialties')}</dt><dd>${u.specialties.join(', ')}</dd></div>` : null}
      </dl>
      <p class="hint">${t('account.tz_note')}</p>
    </section>
    <${Language} user=${u} />
    ${u.role !== 'secretariat' ? html`<${MyConsents} />` : null}
    <${PasswordChange} />
    <${TwoStep} user=${u} />
  </div>`;
}

// The language of pages and of mamori's mails to this person (user.lang).
function Language({ user }) {
  const [choose, busy, error] = useAction((lang) => chooseLang(lang));
  const current = user.lang;
  return html`<section class="panel" aria-labelledby="lang-h" data-testid="account-lang">
    <h2 id="lang-h">${t('notify.lang.title')}</h2>
    <p class="hint">${t('notify.lang.hint')}</p>
    <div class="form-actions">
      ${['ja', 'en'].map((l) => html`<button type="button" key=${l} lang=${l} data-testid=${'account-lang-' + l}
        class=${'btn' + (current === l ? ' btn-primary' : '')} aria-pressed=${current === l} disabled=${busy}
        onClick=${() => choose(l)}>${t('notify.lang.' + l)}</button>`)}
    </div>
    <${ErrorBox} error=${error} />
  </section>`;
}

function PasswordChange() {
  const ids = { cur: useId('cur'), next: useId('next'), again: useId('again') };
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [send, busy, error, setError] = useAction(async (e) => {
    e.preventDefault();
    if (next.length < 12) { setError({ code: 'weak_password' }); return; }
    if (next !== again) { setError(t('invite.mismatch')); return; }
    const r = await api.post('/me/password', { current_password: cur, new_password: next });
    api.setCsrf(r.csrf_token);
    setState({ user: r.user });
    setCur(''); setNext(''); setAgain('');
    toast(t('account.password_changed'), 'success');
  });
  return html`<section class="panel" aria-labelledby="pw-h">
    <h2 id="pw-h">${t('account.password')}</h2>
    <form onSubmit=${send} noValidate data-testid="password-form" class="narrow-form">
      <${Field} id=${ids.cur} label=${t('account.current_password')} required>
        <input id=${ids.cur} type="password" autocomplete="current-password" required value=${cur} onInput=${(e) => setCur(e.currentTarget.value)} />
      </${Field}>
      <${Field} id=${ids.next} label=${t('invite.password')} hint=${t('invite.password_hint')} required>
        <input id=${ids.next} type="password" autocomplete="new-password" required value=${next} onInput=${(e) => setNext(e.currentTarget.value)} />
      </${Field}>
      <${Field} id=${ids.again} label=${t('invite.password2')} required>
        <input id=${ids.again} type="password" autocomplete="new-password" required value=${again} onInput=${(e) => setAgain(e.currentTarget.value)} />
      </${Field}>
      <${ErrorBox} error=${error} />
      <div class="form-actions"><button type="submit" class="btn btn-primary" disabled=${busy}>${t('account.password_submit')}</button></div>
    </form>
  </section>`;
}

function TwoStep({ user }) {
  const id = useId('totp');
  const pwId = useId('totp-pw');
  const [setup, setSetup] = useState(null); // {secret, otpauth_uri}
  const [code, setCode] = useState('');
  const [password, setPassword] = useState(''); // removing two-step sign-in takes the password too
  const [start, starting, startError] = useAction(async () => {
    setSetup(await api.post('/me/totp', {}));
  });
  const [confirm, confirming, confirmError] = useAction(async (e) => {
    e.preventDefault();
    const r = await api.post('/me/totp/confirm', { code: code.trim() });
    setState({ user: r.user });
    setSetup(null); setCode('');
    toast(t('account.totp_enabled'), 'success');
  });
  const [disable, disabling, disableError] = useAction(async (e) => {
    e.preventDefault();
    await api.request('DELETE', '/me/totp', { password, code: code.trim() });
    setState({ user: { ...user, totp_enabled: false } });
    setCode(''); setPassword('');
    toast(t('account.totp_disabled'), 'success');
  });
  const codeField = html`<${Field} id=${id} label=${t('login.totp')} hint=${t('login.totp_hint')} required>
    <input id=${id} class="input-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" pattern="[0-9]{6}" required
      value=${code} data-testid="totp-code" onInput=${(e) => setCode(e.currentTarget.value.replace(/\D/g, ''))} />
  </${Field}>`;
  return html`<section class="panel" aria-labelledby="totp-h">
    <h2 id="totp-h">${t('account.totp')}</h2>
    <p class="lead">${t('account.totp_lead')}</p>
    ${user.totp_setup_required ? html`<${Notice} kind="warn">${t('account.totp_required')}</${Notice}>` : null}
    ${user.totp_enabled ? html`
      <p><span class="badge ok">${t('account.totp_on')}</span></p>
      ${user.totp_required ? html`<p class="hint">${t('account.totp_locked')}</p>` : html`
      <form onSubmit=${disable} class="narrow-form">
        <${Field} id=${pwId} label=${t('account.current_password')} required>
          <input id=${pwId} type="password" autocomplete="current-password" required value=${password}
            data-testid="totp-disable-password" onInput=${(e) => setPassword(e.currentTarget.value)} />
        </${Field}>
        ${codeField}
        <${ErrorBox} error=${disableError} />
        <button type="submit" class="btn" disabled=${disabling}>${t('account.totp_disable')}</button>
      </form>`}`
    : setup ? html`
      <ol class="steps">
        <li>${t('account.totp_step1')}</li>
        <li>${t('account.totp_step2')}
          <div class="secret-box"><code data-testid="totp-secret">${setup.secret}</code></div>
          <details><summary>${t('account.totp_uri')}</summary><code class="hash">${setup.otpauth_uri}</code></details></li>
        <li>${t('account.totp_step3')}</li>
      </ol>
      <form onSubmit=${confirm} class="narrow-form">
        ${codeField}
        <${ErrorBox} error=${confirmError} />
        <button type="submit" class="btn btn-primary" disabled=${confirming} data-testid="totp-confirm">${t('account.totp_confirm')}</button>
      </form>`
    : html`<p><span class="badge missing">${t('account.totp_off')}</span></p>
      <${ErrorBox} error=${startError} />
      <button type="button" class="btn btn-primary" disabled=${starting} data-testid="totp-start" onClick=${() => start()}>${t('account.totp_start')}</button>`}
  </section>`;
}

function MyConsents() {
  const res = useApi('/consents');
  return html`<section class="panel" aria-labelledby="mc-h">
    <h2 id="mc-h">${t('account.consents')}</h2>
    <p class="lead">${t('account.consents_lead')}</p>
    <${Loaded} res=${res}>${(data) => {
      const list = data; // [{id, action, scope, kind, version, at, in_effect, current, …}], newest first
      if (!list.length) return html`<p class="muted">${t('account.no_consents')}</p>`;
      return html`<ul class="card-list compact-rows" data-testid="my-consents">
        ${list.map((c) => html`<${ConsentRow} key=${c.id} c=${c} reload=${res.reload} />`)}</ul>`;
    }}</${Loaded}>
  </section>`;
}

function ConsentRow({ c, reload }) {
  const [asking, setAsking] = useState(false);
  const [withdraw, busy, error] = useAction(async () => {
    await api.post('/consents/' + c.id + '/withdraw', {});
    toast(t('account.consent_withdrawn'), 'success');
    // A withdrawn consent may close the gate again: /me says what is pending now.
    const me = await api.get('/me');
    setState({ user: me.user, pending: me.pending_consents });
    reload();
  });
  const { action } = c;
  return html`<li class="card" data-testid="consent-record" data-kind=${c.kind} data-scope=${c.scope} data-in-effect=${String(c.in_effect)}>
    <div class="card-head">
      <span class=${'badge ' + (action === 'withdraw' ? 'missing' : 'ok')}>${t('account.consent_action.' + action)}</span>
      <strong>${t('doc.kind.' + c.kind)}</strong>
      <span class="muted small">${t('consent.version', { v: c.version })} · ${t('account.consent_scope.' + c.scope)}</span>
      ${c.in_effect ? html`<span class="badge ok">${t('account.consent_in_effect')}</span>` : null}
    </div>
    <p class="small muted"><${Time} value=${c.at} /></p>
    ${c.in_effect && action === 'accept' ? html`<div class="card-actions">
      ${asking ? html`<button type="button" class="btn btn-small btn-danger" disabled=${busy} data-testid="consent-withdraw-confirm" onClick=${() => withdraw()}>${t('account.consent_withdraw_confirm')}</button>
        <button type="button" class="btn btn-small btn-ghost" onClick=${() => setAsking(false)}>${t('common.cancel')}</button>`
      : html`<button type="button" class="btn btn-small btn-ghost btn-danger-text" data-testid="consent-withdraw" onClick=${() => setAsking(true)}>${t('account.consent_withdraw')}</button>`}
    </div>` : null}
    <${ErrorBox} error=${error} />
  </li>`;
}
