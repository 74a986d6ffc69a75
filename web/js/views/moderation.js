// Moderation: open flags with hide / unhide / redact, and the audit log.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { toast } from '../store.js';
import { go } from '../router.js';
import { Loaded, PageHead, useApi, useAction, ErrorBox, Time } from '../components.js';
import { personName, plainText } from '../format.js';
import { RedactForm } from './thread.js';

export function Moderation() {
  const [filter, setFilter] = useState('open');
  const res = useApi('/flags' + api.qs({ state: filter }), [filter]);
  return html`<div>
    <${PageHead} title=${t('mod.title')} />
    <p class="lead">${t('mod.lead')}</p>
    <div class="filters" role="group" aria-label=${t('filter.label')}>
      <label><span>${t('mod.flag_state')}</span>
        <select value=${filter} data-testid="flag-state" onChange=${(e) => setFilter(e.currentTarget.value)}>
          <option value="open">${t('mod.flag_state.open')}</option>
          <option value="">${t('filter.all')}</option>
        </select></label>
    </div>
    <${Loaded} res=${res}>${(data) => {
      const list = api.listOf(data, 'flags');
      if (!list.length) return html`<p class="muted empty" data-testid="flags-empty">${t('mod.no_flags')}</p>`;
      return html`<ul class="card-list" data-testid="flag-list">
        ${list.map((f) => html`<${FlagCard} key=${f.id} flag=${f} reload=${res.reload} />`)}
      </ul>`;
    }}</${Loaded}>
  </div>`;
}

function FlagCard({ flag, reload }) {
  const [redacting, setRedacting] = useState(false);
  const postId = flag.post_id || (flag.post && flag.post.id);
  const threadId = flag.thread_id || (flag.post && flag.post.thread_id);
  const [act, busy, error] = useAction(async (what) => {
    await api.post('/posts/' + postId + '/' + what, {});
    toast(t('common.saved'), 'success');
    reload();
  });
  const [resolve, resolving, resolveError] = useAction(async () => {
    await api.patch('/flags/' + flag.id, { state: 'resolved' });
    reload();
  });
  const excerpt = flag.post_excerpt || flag.excerpt || (flag.post && flag.post.body) || '';
  return html`<li class="card" data-testid="flag" data-post-id=${postId}>
    <div class="card-head">
      <span class=${'badge flag-' + (flag.state || 'open')}>${t('mod.flag_state.' + (flag.state || 'open'))}</span>
      ${threadId ? html`<a class="card-title" href=${'#/threads/' + threadId + '?post=' + postId}>
        ${flag.thread_title || t('mod.post_n', { n: postId })}</a>` : html`<span class="card-title">${t('mod.post_n', { n: postId })}</span>`}
    </div>
    <dl class="facts">
      <div class="wide"><dt>${t('mod.reason')}</dt><dd>${flag.reason}</dd></div>
      <div><dt>${t('mod.reporter')}</dt><dd>${personName(flag.reporter) || flag.reporter_name || ('#' + (flag.reporter_id || ''))}</dd></div>
      <div><dt>${t('mod.flagged_at')}</dt><dd><${Time} value=${flag.created_at} /></dd></div>
      ${excerpt ? html`<div class="wide"><dt>${t('mod.excerpt')}</dt><dd class="excerpt">${plainText(excerpt).slice(0, 300)}</dd></div>` : null}
    </dl>
    <div class="card-actions">
      <button type="button" class="btn btn-small" disabled=${busy} data-testid="flag-hide" onClick=${() => act('hide')}>${t('mod.hide')}</button>
      <button type="button" class="btn btn-small" disabled=${busy} data-testid="flag-unhide" onClick=${() => act('unhide')}>${t('mod.unhide')}</button>
      <button type="button" class="btn btn-small btn-ghost btn-danger-text" aria-expanded=${redacting} data-testid="flag-redact"
        onClick=${() => setRedacting(!redacting)}>${t('mod.redact')}</button>
      ${(flag.state || 'open') === 'open' ? html`<button type="button" class="btn btn-small btn-ghost" disabled=${resolving}
        data-testid="flag-resolve" onClick=${() => resolve()}>${t('mod.resolve')}</button>` : null}
    </div>
    <${ErrorBox} error=${error || resolveError} />
    ${redacting ? html`<${RedactForm} post=${{ id: postId }} onDone=${() => { setRedacting(false); reload(); }} />` : null}
  </li>`;
}

export function Audit() {
  const [after, setAfter] = useState('');
  const [pages, setPages] = useState([]);
  const res = useApi('/audit' + api.qs({ after }), [after]);
  const entries = res.data ? api.listOf(res.data, 'entries') : [];
  const all = [...pages, ...entries];
  const more = () => {
    if (!entries.length) return;
    setPages(all);
    setAfter(String(entries[entries.length - 1].id));
  };
  return html`<div>
    <${PageHead} title=${t('audit.title')} />
    <p class="lead">${t('audit.lead')}</p>
    <${ErrorBox} error=${res.error} />
    <div class="table-wrap" tabindex="0" role="region" aria-label=${t('audit.title')}>
      <table class="table" data-testid="audit-table">
        <thead><tr>
          <th scope="col">#</th><th scope="col">${t('audit.at')}</th><th scope="col">${t('audit.actor')}</th>
          <th scope="col">${t('audit.action')}</th><th scope="col">${t('audit.target')}</th><th scope="col">IP</th>
          <th scope="col">${t('audit.hash')}</th>
        </tr></thead>
        <tbody>
          ${all.map((e) => html`<tr key=${e.id}>
            <td>${e.id}</td><td><${Time} value=${e.at} /></td><td>${e.actor_name || e.actor_id || '—'}</td>
            <td><code>${e.action}</code></td><td>${typeof e.target === 'object' ? JSON.stringify(e.target) : e.target}</td>
            <td>${e.ip}</td><td><code class="hash" title=${e.hash}>${(e.hash || '').slice(0, 12)}</code></td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    ${res.loading ? html`<p class="loading">${t('common.loading')}</p>` : null}
    <div class="form-actions">
      <button type="button" class="btn" disabled=${res.loading || !entries.length} data-testid="audit-more" onClick=${more}>${t('audit.more')}</button>
    </div>
  </div>`;
}
