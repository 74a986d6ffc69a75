// Categories and thread lists.
import { html, useEffect } from '../html.js';
import * as api from '../api.js';
import { t, errorText } from '../../i18n/index.js';
import { state, on, isSecretariat } from '../store.js';
import { href, go } from '../router.js';
import { Loaded, PageHead, useApi, VisibilityBadge, StatusBadge, KindBadge, Time, NotFound } from '../components.js';

/** Reload a list when the event stream says something changed (debounced). */
function useLiveReload(reload, types = ['thread', 'post']) {
  useEffect(() => {
    let timer = null;
    const kick = () => { clearTimeout(timer); timer = setTimeout(reload, 400); };
    const offs = types.map((ty) => on(ty, kick));
    return () => { clearTimeout(timer); offs.forEach((f) => f()); };
  }, [reload]);
}

export function Home({ query }) {
  const cats = useApi('/categories');
  return html`<div class="home">
    <${PageHead} title=${t('home.title')}>
      <a class="btn btn-primary" href="#/new" data-testid="new-thread">${t('thread.new')}</a>
    </${PageHead}>
    <p class="lead">${t('home.lead', { name: state.user ? state.user.name : '' })}</p>
    ${state.user && state.user.totp_setup_required ? html`<div class="alert alert-warn" role="status">
      ${t('home.totp_banner')} <a href="#/account">${t('home.totp_banner_link')}</a></div>` : null}
    <section aria-labelledby="cat-h" class="section">
      <h2 id="cat-h">${t('home.categories')}</h2>
      <${Loaded} res=${cats}>${(data) => {
        const list = data.categories; // {categories:[{id, slug, name, description, position, created_at}]}
        if (!list.length) return html`<p class="muted">${t('home.no_categories')}${isSecretariat(state.user) ? ' ' + t('home.no_categories_sec') : ''}</p>`;
        return html`<ul class="cat-grid" data-testid="category-list">
          ${list.map((c) => html`<li key=${c.id}><a class="cat-card" href=${'#/categories/' + c.id}
            data-testid=${'category-' + c.slug}>
            <span class="cat-name">${c.name}</span>
            ${c.description ? html`<span class="cat-desc">${c.description}</span>` : null}
          </a></li>`)}
        </ul>`;
      }}</${Loaded}>
      ${isSecretariat(state.user) ? html`<${NewCategory} onCreated=${cats.reload} />` : null}
    </section>
    <section aria-labelledby="recent-h" class="section">
      <h2 id="recent-h">${t('home.recent')}</h2>
      <${ThreadList} params=${{ page: query.page, kind: query.kind, status: query.status }} base="/" query=${query} />
    </section>
  </div>`;
}

export function CategoryView({ id, query }) {
  const cats = useApi('/categories');
  const list = cats.data ? cats.data.categories : [];
  const cat = list.find((c) => String(c.id) === String(id));
  if (cats.data && !cat) return html`<${NotFound} />`;
  return html`<div>
    <nav class="crumbs" aria-label=${t('nav.breadcrumb')}><a href="#/">${t('nav.home')}</a> <span aria-hidden="true">›</span> ${cat ? cat.name : ''}</nav>
    <${PageHead} title=${cat ? cat.name : t('common.loading')}>
      <a class="btn btn-primary" href=${href('/new', { category: id })} data-testid="new-thread">${t('thread.new')}</a>
    </${PageHead}>
    ${cat && cat.description ? html`<p class="lead">${cat.description}</p>` : null}
    <${ThreadList} params=${{ category_id: id, page: query.page, kind: query.kind, status: query.status }}
      base=${'/categories/' + id} query=${query} />
  </div>`;
}

function Filters({ base, query }) {
  const set = (k, v) => go(base, { ...query, [k]: v, page: '' });
  return html`<div class="filters" role="group" aria-label=${t('filter.label')}>
    <label>
      <span>${t('filter.kind')}</span>
      <select value=${query.kind || ''} data-testid="filter-kind" onChange=${(e) => set('kind', e.currentTarget.value)}>
        <option value="">${t('filter.all')}</option>
        <option value="question">${t('kind.question')}</option>
        <option value="discussion">${t('kind.discussion')}</option>
        <option value="announcement">${t('kind.announcement')}</option>
      </select>
    </label>
    <label>
      <span>${t('filter.status')}</span>
      <select value=${query.status || ''} data-testid="filter-status" onChange=${(e) => set('status', e.currentTarget.value)}>
        <option value="">${t('filter.all')}</option>
        ${['open', 'escalated', 'answered', 'resolved'].map((s) => html`<option value=${s}>${t('status.' + s)}</option>`)}
      </select>
    </label>
  </div>`;
}

export function ThreadList({ params, base, query }) {
  const path = '/threads' + api.qs(params);
  const res = useApi(path, [path]);
  useLiveReload(res.reload);
  const page = Number(params.page || 1);
  return html`<div class="thread-list-wrap">
    <${Filters} base=${base} query=${query} />
    <${Loaded} res=${res}>${(data) => {
      // {threads:[…], total, page, per_page}
      const { threads, total } = data;
      const perPage = data.per_page;
      if (!threads.length) return html`<p class="empty muted" data-testid="thread-list-empty">${t('threads.none')}</p>`;
      return html`<ul class="thread-list" data-testid="thread-list">
          ${threads.map((th) => html`<${ThreadRow} key=${th.id} th=${th} />`)}
        </ul>
        <p class="muted small">${t('threads.total', { n: total })}</p>
        ${total > perPage ? html`<nav class="pager" aria-label=${t('pager.label')}>
          ${page > 1 ? html`<a class="btn btn-small" href=${href(base, { ...query, page: page - 1 })}>${t('pager.prev')}</a>` : null}
          <span>${t('pager.page', { n: page, of: Math.ceil(total / perPage) })}</span>
          ${page * perPage < total ? html`<a class="btn btn-small" href=${href(base, { ...query, page: page + 1 })}>${t('pager.next')}</a>` : null}
        </nav>` : null}`;
    }}</${Loaded}>
  </div>`;
}

function ThreadRow({ th }) {
  const { unread } = th;
  const replies = Math.max(0, th.post_count - 1);
  return html`<li class=${'thread-row' + (unread ? ' unread' : '') + (th.pinned ? ' pinned' : '')}
      data-testid="thread-row" data-thread-id=${th.id}>
    <div class="thread-main">
      <div class="badges">
        ${th.pinned ? html`<span class="badge pin">${t('thread.pinned')}</span>` : null}
        <${VisibilityBadge} value=${th.visibility} />
        <${KindBadge} kind=${th.kind} />
        <${StatusBadge} thread=${th} />
        ${th.locked ? html`<span class="badge locked">${t('thread.locked')}</span>` : null}
      </div>
      <a class="thread-title" href=${'#/threads/' + th.id} data-testid="thread-link">${th.title}</a>
      <div class="thread-meta muted">
        <span>${th.author.name}</span>
        <span><${Time} value=${th.last_post_at} /></span>
        <span>${t('threads.replies', { n: replies })}</span>
      </div>
    </div>
    ${unread ? html`<span class="unread-count" data-testid="thread-unread"
      aria-label=${t('threads.unread', { n: unread })}>${unread}</span>` : null}
  </li>`;
}

function NewCategory({ onCreated }) {
  // Kept in a <details> so it does not crowd the page.
  const submit = async (e) => {
    e.preventDefault();
    const f = e.currentTarget;
    const body = { slug: f.slug.value.trim(), name: f.cname.value.trim(), description: f.description.value.trim() };
    const out = f.querySelector('.form-msg');
    try {
      await api.post('/categories', body);
      f.reset();
      out.textContent = t('common.saved');
      onCreated();
    } catch (err) {
      out.textContent = errorText(err);
    }
  };
  return html`<details class="panel admin-box">
    <summary data-testid="category-new-toggle">${t('category.new')}</summary>
    <form onSubmit=${submit} class="grid-form" data-testid="category-form">
      <div class="field"><label for="cat-slug">${t('category.slug')}</label>
        <input id="cat-slug" name="slug" required pattern="[a-z0-9\\-]+" data-testid="category-slug" /></div>
      <div class="field"><label for="cat-name">${t('category.name')}</label>
        <input id="cat-name" name="cname" required data-testid="category-name" /></div>
      <div class="field wide"><label for="cat-desc">${t('category.description')}</label>
        <input id="cat-desc" name="description" data-testid="category-description" /></div>
      <div class="form-actions wide"><button class="btn btn-primary" type="submit" data-testid="category-submit">${t('common.create')}</button>
        <span class="form-msg" role="status"></span></div>
    </form>
  </details>`;
}
