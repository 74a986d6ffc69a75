// Moderation: open flags with hide / unhide / redact, and the audit log.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { toast } from '../store.js';
import { Loaded, PageHead, useApi, useAction, ErrorBox, Time } from '../components.js';
import { plainText } from '../format.js';
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
          <option value="resolved">${t('mod.flag_state.resolved')}</option>
          <option value="all">${t('filter.all')}</option>
        </select></label>
    </div>
    <${Loaded} res=${res}>${(data) => {
      // {flags:[{id, post_id, thread_id, thread_title, reason, state, resolution, created_at, resolved_by,
      //  resolved_at, reporter:{id,name,role}, post:{hidden, redacted, author_id, excerpt}, open_flags_on_post}], page}
      const list = data.flags;
      if (!list.length) return html`<p class="muted empty" data-testid="flags-empty">${t('mod.no_flags')}</p>`;
      return html`<ul class="card-list" data-testid="flag-list">
        ${list.map((f) => html`<${FlagCard} key=${f.id} flag=${f} reload=${res.reload} />`)}
      </ul>`;
    }}</${Loaded}>
  </div>`;
}

function FlagCard({ flag, reload }) {
  const [redacting, setRedacting] = useState(false);
  const { post_id: postId, thread_id: threadId } = flag;
  const open = flag.state === 'open';
  const [act, busy, error] = useAction(async (what) => {
    await api.post('/posts/' + postId + '/' + what, {});
    toast(t('common.saved'), 'success');
    reload();
  });
  // POST /flags/{id}/resolve {action: "dismiss"|"hide"}: dismiss leaves the post as it is; hide hides
  // it and answers every open flag on it.
  const [resolve, resolving, resolveError] = useAction(async (action) => {
    await api.post('/flags/' + flag.id + '/resolve', { action });
    toast(t(action === 'hide' ? 'mod.resolved_hidden' : 'mod.resolved_dismissed'), 'success');
    reload();
  });
  return html`<li class="card" data-testid="flag" data-flag-id=${flag.id} data-post-id=${postId} data-state=${flag.state}>
    <div class="card-head">
      <span class=${'badge flag-' + flag.state}>${t('mod.flag_state.' + flag.state)}</span>
      ${flag.resolution ? html`<span class="badge resolution">${t('mod.resolution.' + flag.resolution)}</span>` : null}
      ${flag.post.hidden ? html`<span class="badge locked">${t('post.hidden_badge')}</span>` : null}
      ${flag.post.redacted ? html`<span class="badge locked">${t('mod.redacted_badge')}</span>` : null}
      <a class="card-title" href=${'#/threads/' + threadId + '?post=' + postId}>${flag.thread_title}</a>
    </div>
    <dl class="facts">
      <div class="wide"><dt>${t('mod.reason')}</dt><dd>${flag.reason}</dd></div>
      <div class="wide"><dt>${t('mod.excerpt')}</dt><dd class="excerpt" data-testid="flag-excerpt">${plainText(flag.post.excerpt)}</dd></div>
      <div><dt>${t('mod.reporter')}</dt><dd>${flag.reporter.name}</dd></div>
      <div><dt>${t('mod.flagged_at')}</dt><dd><${Time} value=${flag.created_at} /></dd></div>
      ${flag.open_flags_on_post > 1 ? html`<div><dt>${t('mod.open_on_post')}</dt><dd>${flag.open_flags_on_post}</dd></div>` : null}
      ${flag.resolved_at ? html`<div><dt>${t('mod.resolved_at')}</dt><dd><${Time} value=${flag.resolved_at} /></dd></div>` : null}
    </dl>
    <div class="card-actions">
      ${open ? html`<button type="button" class="btn btn-small btn-primary" disabled=${resolving}
          data-testid="flag-resolve-hide" onClick=${() => resolve('hide')}>${t('mod.resolve_hide')}</button>
        <button type="button" class="btn btn-small" disabled=${resolving}
          data-testid="flag-resolve" onClick=${() => resolve('dismiss')}>${t('mod.resolve')}</button>` : null}
      ${open ? null : flag.post.hidden ? html`<button type="button" class="btn btn-small" disabled=${busy} data-testid="flag-unhide"
          onClick=${() => act('unhide')}>${t('mod.unhide')}</button>`
        : html`<button type="button" class="btn btn-small" disabled=${busy} data-testid="flag-hide"
          onClick=${() => act('hide')}>${t('mod.hide')}</button>`}
      ${!flag.post.redacted ? html`<button type="button" class="btn btn-small btn-ghost btn-danger-text" aria-expanded=${redacting}
        data-testid="flag-redact" onClick=${() => setRedacting(!redacting)}>${t('mod.redact')}</button>` : null}
    </div>
    <${ErrorBox} error=${error || resolveError} />
    ${redacting ? html`<${RedactForm} post=${{ id: postId }} onDone=${() => { setRedacting(false); reload(); }} />` : null}
  </li>`;
}

export function Audit() {
  const [after, setAfter] = useState('');
  const [pages, setPages] = useState([]);
  const res = useApi('/audit' + api.qs({ after }), [after]);
  // {entries:[{id, at, actor_id, action, target, ip, hash, detail}]}, oldest first
  const entries = res.data ? res.data.entries : [];
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
            <td>${e.id}</td><td><${Time} value=${e.at} /></td><td>${e.actor_id === null ? '—' : '#' + e.actor_id}</td>
            <td><code>${e.action}</code></td><td>${e.target}</td>
            <td>${e.ip}</td><td><code class="hash" title=${e.hash}>${e.hash.slice(0, 12)}</code></td>
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
