// Search: GET /api/v1/search?q=. Snippets are shown as text; the query words are highlighted here.
import { html, useState } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { go } from '../router.js';
import { Loaded, PageHead, useApi } from '../components.js';
import { plainText } from '../format.js';

function highlight(text, q) {
  const words = q.split(/\s+/).filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  if (!words.length) return text;
  const re = new RegExp('(' + words.join('|') + ')', 'gi');
  return text.split(re).map((part, i) => (i % 2 ? html`<mark>${part}</mark>` : part));
}

export function Search({ query }) {
  const q = query.q || '';
  const [text, setText] = useState(q);
  const res = useApi(q ? '/search' + api.qs({ q }) : null, [q]);
  const submit = (e) => { e.preventDefault(); go('/search', { q: text.trim() }); };
  return html`<div class="search">
    <${PageHead} title=${t('search.title')} />
    <form class="search-form" role="search" onSubmit=${submit} data-testid="search-form">
      <label for="search-q" class="visually-hidden">${t('search.label')}</label>
      <input id="search-q" type="search" value=${text} placeholder=${t('search.placeholder')}
        data-testid="search-input" onInput=${(e) => setText(e.currentTarget.value)} />
      <button type="submit" class="btn btn-primary" data-testid="search-submit">${t('search.submit')}</button>
    </form>
    ${q ? html`<${Loaded} res=${res}>${(data) => {
      // {results:[{thread_id, post_id, title, snippet}], page}
      const list = data.results;
      if (!list.length) return html`<p class="muted" data-testid="search-empty">${t('search.none', { q })}</p>`;
      return html`<p class="muted small" aria-live="polite">${t('search.count', { n: list.length, q })}</p>
        <ol class="search-results" data-testid="search-results">
        ${list.map((r, i) => html`<li key=${i} class="result" data-testid="search-result" data-thread-id=${r.thread_id}>
          <a href=${'#/threads/' + r.thread_id + '?post=' + r.post_id} class="result-title">${plainText(r.title)}</a>
          <p class="snippet">${highlight(plainText(r.snippet), q)}</p>
        </li>`)}
      </ol>`;
    }}</${Loaded}>` : html`<p class="muted">${t('search.hint')}</p>`}
  </div>`;
}
