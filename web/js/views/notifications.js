// Notifications: the list (newest first) and the unread count in the navigation.
import { html, useEffect } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { setState, on } from '../store.js';
import { Loaded, PageHead, useApi, useAction, ErrorBox, Time } from '../components.js';
import { plainText } from '../format.js';

export async function refreshUnread() {
  try {
    const data = await api.get('/notifications', { quiet: true });
    setState({ unread: data.unread_count });
  } catch (_) { /* not fatal */ }
}

// {notifications:[{id, kind, thread_id, post_id, actor, text, created_at, read_at}], unread_count}
function describe(n) {
  return plainText(n.text);
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
              ${n.thread_id ? html`<a href=${'#/threads/' + n.thread_id + (n.post_id ? '?post=' + n.post_id : '')}
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
