// The signed-in person's own page: who they are, and what the language setting is.
import { html } from '../html.js';
import { t } from '../../i18n/index.js';
import { state } from '../store.js';
import { PageHead } from '../components.js';

export function Account() {
  const u = state.user;
  return html`<div>
    <${PageHead} title=${t('account.title')} />
    <section class="panel">
      <dl class="facts">
        <div><dt>${t('registry.user_name')}</dt><dd data-testid="account-name">${u.name}</dd></div>
        <div><dt>${t('login.email')}</dt><dd>${u.email}</dd></div>
        <div><dt>${t('registry.role')}</dt><dd>${t('role.' + u.role)}${u.representative ? ' · ' + t('registry.representative') : ''}</dd></div>
        ${u.company_name || u.company_id ? html`<div><dt>${t('registry.company')}</dt><dd>${u.company_name || '#' + u.company_id}</dd></div>` : null}
        ${u.specialties && u.specialties.length ? html`<div><dt>${t('registry.specialties')}</dt><dd>${[].concat(u.specialties).join(', ')}</dd></div>` : null}
      </dl>
      <p class="hint">${t('account.tz_note')}</p>
    </section>
  </div>`;
}
