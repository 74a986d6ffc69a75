// Start a new thread: category, kind, who may read it (in plain words), title, body, tags, files.
import { html, useState, useEffect } from '../html.js';
import * as api from '../api.js';
import { t } from '../../i18n/index.js';
import { state, isSecretariat, toast } from '../store.js';
import { go } from '../router.js';
import { ErrorBox, Field, Loaded, MarkdownEditor, PageHead, useApi, useAction, useId, VisibilityPicker } from '../components.js';
import { uploadFiles } from './thread.js';

export function NewThread({ query }) {
  const user = state.user;
  const cats = useApi('/categories');
  const ids = { cat: useId('cat'), title: useId('title'), tags: useId('tags'), kind: useId('kind'), files: useId('files'), scope: useId('scope') };
  const sec = isSecretariat(user);
  // The secretariat has no company or group of its own: a company or group thread names one.
  const companies = useApi(sec ? '/companies' : null);
  const groups = useApi(sec ? '/groups' : null);
  const [scope, setScope] = useState('');
  const [category, setCategory] = useState(query.category || '');
  const [kind, setKind] = useState(query.kind || 'question');
  const [visibility, setVisibility] = useState(user.role === 'participant' ? 'company' : 'community');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [tags, setTags] = useState('');
  const [files, setFiles] = useState([]);

  useEffect(() => {
    if (!category && cats.data) {
      const list = cats.data.categories;
      if (list.length) setCategory(String(list[0].id));
    }
  }, [cats.data]);

  const [submit, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const payload = {
      category_id: Number(category), title: title.trim(), body, kind, visibility,
      tags: tags.split(/[,、]/).map((s) => s.trim()).filter(Boolean),
    };
    if (sec && visibility === 'company') payload.company_id = Number(scope);
    if (sec && visibility === 'group') payload.group_id = Number(scope);
    const r = await api.post('/threads', payload);
    const { id } = r; // 201: the thread, with first_post_id
    if (files.length) {
      const errs = await uploadFiles(id, files);
      if (errs.length) toast(errs.join(' / '), 'warn');
    }
    toast(t('compose.created'), 'success');
    go('/threads/' + id);
  });

  return html`<div class="compose">
    <${PageHead} title=${t('compose.title')} />
    <${Loaded} res=${cats}>${(data) => {
      const list = data.categories;
      if (!list.length) return html`<p class="muted">${t('home.no_categories')}</p>`;
      return html`<form class="panel form" onSubmit=${submit} data-testid="compose-form">
        <div class="grid-2">
          <${Field} id=${ids.cat} label=${t('compose.category')} required>
            <select id=${ids.cat} value=${category} required data-testid="compose-category"
              onChange=${(e) => setCategory(e.currentTarget.value)}>
              ${list.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
            </select>
          </${Field}>
          <${Field} id=${ids.kind} label=${t('compose.kind')} required>
            <select id=${ids.kind} value=${kind} data-testid="compose-kind" onChange=${(e) => setKind(e.currentTarget.value)}>
              <option value="question">${t('kind.question')}</option>
              <option value="discussion">${t('kind.discussion')}</option>
              ${isSecretariat(user) ? html`<option value="announcement">${t('kind.announcement')}</option>` : null}
            </select>
          </${Field}>
        </div>
        <p class="hint">${t('compose.kind_hint.' + kind)}</p>
        <${VisibilityPicker} value=${visibility} onChange=${(v) => { setVisibility(v); setScope(''); }} user=${user} />
        ${sec && (visibility === 'company' || visibility === 'group') ? html`<${Field} id=${ids.scope}
            label=${t(visibility === 'company' ? 'compose.for_company' : 'compose.for_group')} required>
          <select id=${ids.scope} required value=${scope} data-testid="compose-scope" onChange=${(e) => setScope(e.currentTarget.value)}>
            <option value="">${t('common.choose')}</option>
            ${(visibility === 'company' ? (companies.data ? companies.data.companies : []) : (groups.data ? groups.data.groups : []))
              .map((x) => html`<option value=${x.id}>${x.name}</option>`)}
          </select>
        </${Field}>` : null}
        <${Field} id=${ids.title} label=${t('compose.thread_title')} required>
          <input id=${ids.title} required maxlength="200" value=${title} data-testid="compose-title"
            onInput=${(e) => setTitle(e.currentTarget.value)} />
        </${Field}>
        <${MarkdownEditor} value=${body} onInput=${setBody} testid="composer-body" rows="10" />
        <${Field} id=${ids.tags} label=${t('compose.tags')} hint=${t('compose.tags_hint')}>
          <input id=${ids.tags} value=${tags} data-testid="compose-tags" aria-describedby=${ids.tags + '-hint'}
            onInput=${(e) => setTags(e.currentTarget.value)} />
        </${Field}>
        <${Field} id=${ids.files} label=${t('att.add')} hint=${t('compose.files_hint')}>
          <input id=${ids.files} type="file" multiple data-testid="compose-files"
            onChange=${(e) => setFiles(Array.from(e.currentTarget.files || []))} />
        </${Field}>
        <div class="summary-box" data-testid="compose-audience">
          <strong>${t('compose.who_reads')}</strong> ${t('vis.' + visibility + '.who')}
        </div>
        <${ErrorBox} error=${error} testid="compose-error" />
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="compose-submit">
            ${busy ? t('common.working') : t('compose.submit')}</button>
          <a class="btn btn-ghost" href=${category ? '#/categories/' + category : '#/'}>${t('common.cancel')}</a>
        </div>
      </form>`;
    }}</${Loaded}>
  </div>`;
}
