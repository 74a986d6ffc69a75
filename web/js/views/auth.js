// Sign-in (with the optional TOTP step) and invitation acceptance.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { ErrorBox, Field, Notice, useId } from '../components.js';
import { go } from '../router.js';

export function Login({ onSignedIn, afterSignIn, presetEmail, notice }) {
  const [email, setEmail] = useState(presetEmail || '');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const ids = { email: useId('email'), pw: useId('pw'), totp: useId('totp') };

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setError(null);
    const body = { email: email.trim(), password };
    if (needTotp) body.totp = totp.trim();
    try {
      const r = await api.post('/session', body, { quiet: true });
      onSignedIn(r); // {user, csrf_token}; the caller then asks /me for the pending consents
      if (afterSignIn) await afterSignIn();
    } catch (err) {
      if (err.code === 'totp_required' && !needTotp) {
        setNeedTotp(true);
        setTimeout(() => { const el = document.getElementById(ids.totp); if (el) el.focus(); }, 0);
      } else if (needTotp && err.code === 'bad_credentials') {
        // The password was right a moment ago, so it is the code that did not match.
        setError({ code: 'bad_totp' });
      } else {
        setError(err);
      }
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="auth-card panel" aria-labelledby="login-title">
    <h1 id="login-title" tabindex="-1" data-page-title>${t('login.title')}</h1>
    <p class="lead">${t('login.lead')}</p>
    ${notice ? html`<${Notice} kind="success" testid="login-notice">${notice}</${Notice}>` : null}
    <form onSubmit=${submit} data-testid="login-form">
      <${Field} id=${ids.email} label=${t('login.email')} required>
        <input id=${ids.email} type="email" autocomplete="username" required value=${email}
          data-testid="login-email" onInput=${(e) => setEmail(e.currentTarget.value)} />
      </${Field}>
      <${Field} id=${ids.pw} label=${t('login.password')} required>
        <input id=${ids.pw} type="password" autocomplete="current-password" required value=${password}
          data-testid="login-password" onInput=${(e) => setPassword(e.currentTarget.value)} />
      </${Field}>
      ${needTotp ? html`<${Field} id=${ids.totp} label=${t('login.totp')} hint=${t('login.totp_hint')} required>
          <input id=${ids.totp} type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
            maxlength="6" required value=${totp} data-testid="login-totp" class="input-code"
            onInput=${(e) => setTotp(e.currentTarget.value.replace(/\D/g, ''))} />
        </${Field}>` : null}
      <${ErrorBox} error=${error} testid="login-error" />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="login-submit">
          ${busy ? t('common.working') : (needTotp ? t('login.verify') : t('login.submit'))}</button>
      </div>
    </form>
    <p class="hint">${t('login.help')}</p>
  </section>`;
}

export function Invite({ token, onSignedIn, afterSignIn }) {
  const [pw, setPw] = useState('');
  const [pw2, setPw2] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const ids = { pw: useId('ipw'), pw2: useId('ipw2') };

  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    if (pw.length < 12) { setError({ code: 'weak_password' }); return; }
    if (pw !== pw2) { setError(t('invite.mismatch')); return; }
    setBusy(true);
    try {
      const r = await api.post('/invites/' + encodeURIComponent(token) + '/accept', { password: pw }, { quiet: true });
      setDone(r); // {user}
    } catch (err) {
      if (err.code === 'not_found') setError(t('invite.invalid'));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    const { email } = done.user;
    // Accepting an invitation opens no session: the person signs in with the new password.
    return html`<${Login} presetEmail=${email} notice=${t('invite.done')}
      onSignedIn=${onSignedIn} afterSignIn=${async () => { if (afterSignIn) await afterSignIn(); go('/'); }} />`;
  }

  return html`<section class="auth-card panel" aria-labelledby="invite-title">
    <h1 id="invite-title" tabindex="-1" data-page-title>${t('invite.title')}</h1>
    <p class="lead">${t('invite.lead')}</p>
    <form onSubmit=${submit} data-testid="invite-form" noValidate>
      <${Field} id=${ids.pw} label=${t('invite.password')} hint=${t('invite.password_hint')} required>
        <input id=${ids.pw} type="password" autocomplete="new-password" required value=${pw}
          data-testid="invite-password" aria-describedby=${ids.pw + '-hint'}
          onInput=${(e) => setPw(e.currentTarget.value)} />
      </${Field}>
      <${Field} id=${ids.pw2} label=${t('invite.password2')} required>
        <input id=${ids.pw2} type="password" autocomplete="new-password" required value=${pw2}
          data-testid="invite-password2" onInput=${(e) => setPw2(e.currentTarget.value)} />
      </${Field}>
      <${ErrorBox} error=${error} testid="invite-error" />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="invite-submit">
          ${busy ? t('common.working') : t('invite.submit')}</button>
      </div>
    </form>
  </section>`;
}
