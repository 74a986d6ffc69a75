// Notifications: the list (newest first) and the unread count in the navigation.
import { html, useEffect } from '../html.js';
import * as api from '../api.js';
import { t, has } from '../../i18n/index.js';
import { setState, on } from '../store.js';
import { Loaded, PageHead, useApi, useAction, ErrorBox, Time } from '../components.js';
import { jst } from '../format.js';

export async function refreshUnread() {
  try {
    const data = await api.get('/notifications', { quiet: true });
    setState({ unread: data.unread_count });
  } catch (_) { /* not fatal */ }
}

// {notifications:[{id, kind, params, thread_id, post_id, actor, created_at, read_at}], unread_count}
/**
 * The notification in the reader's language: the server sends kind + params (docs/FORUM.md);
 * the sentence is 'notify.kind.<kind>' (or '<kind>:<audience>') from web/i18n/*-notify.js.
 */
export function describe(n) {
  const p = n.params || {};
  const values = { ...p, actor: n.actor ? n.actor.name : t('notify.someone') };
  if (p.due_at) values.due_at = jst(p.due_at);
  const keys = [];
  if (p.audience) keys.push('notify.kind.' + n.kind + ':' + p.audience);
  keys.push('notify.kind.' + n.kind);
  for (const key of keys) if (has(key)) return t(key, values);
  return t(n.thread_id ? 'notify.kind.other_thread' : 'notify.kind.other', values);
}

// Where a notification leads: its thread (and post), or the case of the collection it is about.
function link(n) {
  if (n.thread_id) return '#/threads/' + n.thread_id + (n.post_id ? '?post=' + n.post_id : '');
  if (n.params && n.params.case_id) return '#/cases/' + n.params.case_id;
  return null;
}

export function Notifications() {
  const res = useApi('/notifications');
  useEffect(() => on('notification', () => res.reload()), [res.reload]);
  const [markRead, busy, error] = useAction(async (ids) => {
    if (!ids.length) return;
    await api.post('/notifications/read', { ids });
    await res.reload();
    refreshUnread();
  });
  return html`<div>
    <${Loaded} res=${res}>${(data) => {
      const list = data.notifications;
      const unread = list.filter((n) => !n.read_at).map((n) => n.id);
      return html`<${PageHead} title=${t('notif.title')}>
          <button type="button" class="btn" disabled=${busy || !unread.length} data-testid="notifications-read-all"
            onClick=${() => markRead(unread)}>${t('notif.read_all')}</button>
        </${PageHead}>
        <${ErrorBox} error=${error} />
        ${!list.length ? html`<p class="muted" data-testid="notifications-empty">${t('notif.none')}</p>` : html`
        <ul class="notif-list" data-testid="notification-list">
          ${list.map((n) => html`<li key=${n.id} class=${'notif' + (n.read_at ? '' : ' unread')} data-testid="notification">
            <span class="dot" aria-hidden="true"></span>
            <div class="notif-main">
              ${link(n) ? html`<a href=${link(n)}
                onClick=${() => { if (!n.read_at) markRead([n.id]); }}>${describe(n)}</a>` : html`<span>${describe(n)}</span>`}
              <div class="muted small"><${Time} value=${n.created_at} />
                ${n.read_at ? '' : html` · <span class="new-label">${t('notif.unread')}</span>`}</div>
            </div>
            ${!n.read_at ? html`<button type="button" class="btn btn-small btn-ghost" onClick=${() => markRead([n.id])}>
              ${t('notif.mark_read')}</button>` : null}
          </li>`)}
        </ul>`}`;
    }}</${Loaded}>
  </div>`;
}
