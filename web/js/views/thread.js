// One thread: posts, the question flow, attachments, replies, escalation and moderation tools.
import { html, useState, useEffect } from '../html.js';
import * as api from '../api.js';
import { t, errorText } from '../../i18n/index.js';
import { state, on, isSecretariat, toast } from '../store.js';
import {
  Loaded, useApi, useAction, ErrorBox, Notice, Time, VisibilityBadge, StatusBadge, KindBadge, RoleTag,
  MarkdownEditor, PostHtml, VISIBILITIES, useId,
} from '../components.js';
import { bytes, jst, parseTime } from '../format.js';

// An author may edit a post for 24 hours after writing it (the secretariat at any time).
const EDIT_WINDOW_MS = 24 * 3600 * 1000;

export function ThreadView({ id, query }) {
  const res = useApi('/threads/' + encodeURIComponent(id), [id]);

  useEffect(() => {
    let timer = null;
    const kick = (d) => {
      if (d && String(d.thread_id) === String(id)) { clearTimeout(timer); timer = setTimeout(res.reload, 300); }
    };
    const offs = [on('post', kick), on('thread', kick)];
    return () => { clearTimeout(timer); offs.forEach((f) => f()); };
  }, [id, res.reload]);

  // Jump to a post given as ?post=ID (from search results and notifications).
  useEffect(() => {
    if (res.data && query.post) {
      const el = document.getElementById('post-' + query.post);
      if (el) { el.scrollIntoView({ block: 'start' }); el.focus({ preventScroll: true }); }
    }
  }, [res.data && res.data.thread && res.data.thread.id, query.post]);

  return html`<${Loaded} res=${res}>${(data) => html`<${ThreadBody} data=${data} reload=${res.reload} />`}</${Loaded}>`;
}

function ThreadBody({ data, reload }) {
  const user = state.user;
  // GET /threads/{id}: {thread:{…, author:{id,name,role}, following, unread}, posts:[…], page}
  const { thread, posts } = data;
  const sec = isSecretariat(user);
  const isAuthor = thread.author.id === user.id;
  const isQuestion = thread.kind === 'question';
  const canDecide = isQuestion && (isAuthor || sec);
  const cats = useApi('/categories');
  const catList = cats.data ? cats.data.categories : [];
  const cat = catList.find((c) => c.id === thread.category_id);

  return html`<article class="thread" data-testid="thread-view" data-thread-id=${thread.id}>
    <nav class="crumbs" aria-label=${t('nav.breadcrumb')}>
      <a href="#/">${t('nav.home')}</a>
      ${thread.category_id ? html` <span aria-hidden="true">›</span> <a href=${'#/categories/' + thread.category_id}>
        ${cat ? cat.name : t('thread.category')}</a>` : null}
    </nav>
    <header class="thread-head">
      <div class="badges">
        ${thread.pinned ? html`<span class="badge pin">${t('thread.pinned')}</span>` : null}
        <${VisibilityBadge} value=${thread.visibility} />
        <${KindBadge} kind=${thread.kind} />
        <${StatusBadge} thread=${thread} />
        ${thread.locked ? html`<span class="badge locked" data-testid="badge-locked">${t('thread.locked')}</span>` : null}
      </div>
      <div class="title-row">
        <h1 tabindex="-1" data-page-title data-testid="thread-title">${thread.title}</h1>
        <${FollowButton} thread=${thread} reload=${reload} />
      </div>
      <p class="audience" data-testid="thread-audience">
        <span class="audience-label">${t('thread.audience')}</span> ${t('vis.' + thread.visibility + '.who')}</p>
      ${thread.tags.length ? html`<ul class="tags" aria-label=${t('thread.tags')}>
        ${thread.tags.map((tg) => html`<li class="tag">${tg}</li>`)}</ul>` : null}
    </header>

    ${isQuestion ? html`<${QuestionBar} thread=${thread} canDecide=${canDecide} reload=${reload} />` : null}

    <div class="thread-layout">
      <div class="thread-posts">
        <ol class="posts" data-testid="posts">
          ${posts.map((p, i) => html`<${PostItem} key=${p.id} post=${p} thread=${thread} first=${i === 0}
            canAccept=${canDecide && i > 0 && thread.status !== 'resolved'} reload=${reload} />`)}
        </ol>
        <${Attachments} thread=${thread} />
        <${Reply} thread=${thread} reload=${reload} />
      </div>
      ${sec ? html`<aside class="thread-side" aria-label=${t('thread.staff_tools')}>
        ${isQuestion && thread.status !== 'resolved' ? html`<${EscalatePanel} thread=${thread} reload=${reload} />` : null}
        <${ModeratePanel} thread=${thread} categories=${catList} reload=${reload} />
      </aside>` : null}
    </div>
  </article>`;
}

function FollowButton({ thread, reload }) {
  const [toggle, busy, error] = useAction(async () => {
    await api.request(thread.following ? 'DELETE' : 'POST', '/threads/' + thread.id + '/follow', thread.following ? undefined : {});
    reload();
  });
  return html`<div class="follow">
    <button type="button" class=${'btn btn-small' + (thread.following ? ' btn-primary' : '')} aria-pressed=${!!thread.following}
      disabled=${busy} data-testid="thread-follow" title=${t('thread.follow_hint')} onClick=${() => toggle()}>
      ${thread.following ? t('thread.following') : t('thread.follow')}</button>
    <${ErrorBox} error=${error} />
  </div>`;
}

function QuestionBar({ thread, canDecide, reload }) {
  const [reopen, busy, error] = useAction(async () => {
    await api.post('/threads/' + thread.id + '/reopen', {});
    toast(t('question.reopened'), 'success');
    reload();
  });
  return html`<div class=${'question-bar st-' + thread.status} data-testid="question-bar">
    <p><strong>${t('status.' + thread.status)}</strong> — ${t('question.explain.' + thread.status)}</p>
    ${thread.accepted_post_id ? html`<p><a href=${'#post-' + thread.accepted_post_id}
      onClick=${(e) => { e.preventDefault(); const el = document.getElementById('post-' + thread.accepted_post_id); if (el) { el.scrollIntoView(); el.focus(); } }}
      data-testid="goto-accepted">${t('question.goto_accepted')}</a></p>` : null}
    ${canDecide && thread.status === 'resolved' ? html`<button type="button" class="btn btn-small"
      data-testid="question-reopen" disabled=${busy} onClick=${() => reopen()}>${t('question.reopen')}</button>` : null}
    <${ErrorBox} error=${error} />
  </div>`;
}

function PostItem({ post, thread, first, canAccept, reload }) {
  const user = state.user;
  const sec = isSecretariat(user);
  const mine = post.author.id === user.id;
  const accepted = thread.accepted_post_id === post.id;
  const [mode, setMode] = useState(null); // 'edit' | 'flag' | 'redact' | 'history'
  const { role, name } = post.author;

  const [accept, accepting, acceptError] = useAction(async () => {
    await api.post('/threads/' + thread.id + '/accept', { post_id: post.id });
    toast(t('question.accepted_toast'), 'success');
    reload();
  });
  const [hide, hiding, hideError] = useAction(async (un) => {
    await api.post('/posts/' + post.id + (un ? '/unhide' : '/hide'), {});
    reload();
  });

  let body;
  // A redacted post's text is the server's removal notice; a hidden one's is withheld ("") from all
  // but the secretariat.
  if (post.redacted) body = html`<div class="muted removed" data-testid="post-redacted"><${PostHtml} html=${post.html} /></div>`;
  else if (post.hidden && !post.html) body = html`<p class="muted removed">${t('post.hidden')}</p>`;
  else body = html`<${PostHtml} html=${post.html} />`;

  return html`<li class=${'post' + (accepted ? ' accepted' : '') + (post.hidden ? ' is-hidden' : '')}
      id=${'post-' + post.id} tabindex="-1" data-testid="post" data-post-id=${post.id}>
    <header class="post-head">
      <span class="avatar" aria-hidden="true">${(name || '?').slice(0, 1)}</span>
      <div class="post-who">
        <span class="post-author">${name}</span> <${RoleTag} role=${role} />
        <div class="muted small">
          <a class="permalink" href=${'#/threads/' + thread.id + '?post=' + post.id}><${Time} value=${post.created_at} /></a>
          ${post.edited_at ? html` · <span>${t('post.edited', { at: jst(post.edited_at) })}</span>` : null}
        </div>
      </div>
      ${accepted ? html`<span class="badge st-resolved accepted-mark" data-testid="accepted-answer">${t('question.accepted_answer')}</span>` : null}
      ${post.hidden ? html`<span class="badge locked">${t('post.hidden_badge')}</span>` : null}
    </header>
    <div class="post-body" data-testid="post-body">${body}</div>
    <div class="post-actions">
      ${canAccept && !accepted ? html`<button type="button" class="btn btn-small btn-accept" disabled=${accepting}
        data-testid="accept-answer" onClick=${() => accept()}>${t('question.accept')}</button>` : null}
      ${(sec || (mine && !thread.locked && Date.now() - parseTime(post.created_at).getTime() < EDIT_WINDOW_MS)) && !post.redacted ? html`<button type="button" class="btn btn-small btn-ghost" data-testid="post-edit"
        aria-expanded=${mode === 'edit'} onClick=${() => setMode(mode === 'edit' ? null : 'edit')}>${t('post.edit')}</button>` : null}
      ${post.edited_at ? html`<button type="button" class="btn btn-small btn-ghost" data-testid="post-history"
        aria-expanded=${mode === 'history'} onClick=${() => setMode(mode === 'history' ? null : 'history')}>${t('post.history')}</button>` : null}
      ${!mine && !sec ? html`<button type="button" class="btn btn-small btn-ghost" data-testid="post-flag"
        aria-expanded=${mode === 'flag'} onClick=${() => setMode(mode === 'flag' ? null : 'flag')}>${t('post.flag')}</button>` : null}
      ${sec ? html`<button type="button" class="btn btn-small btn-ghost" data-testid=${post.hidden ? 'post-unhide' : 'post-hide'}
          disabled=${hiding} onClick=${() => hide(!!post.hidden)}>${post.hidden ? t('mod.unhide') : t('mod.hide')}</button>
        ${!post.redacted ? html`<button type="button" class="btn btn-small btn-ghost btn-danger-text" data-testid="post-redact"
          aria-expanded=${mode === 'redact'} onClick=${() => setMode(mode === 'redact' ? null : 'redact')}>${t('mod.redact')}</button>` : null}` : null}
    </div>
    <${ErrorBox} error=${acceptError || hideError} />
    ${mode === 'edit' ? html`<${EditPost} post=${post} onDone=${() => { setMode(null); reload(); }} />` : null}
    ${mode === 'history' ? html`<${Revisions} post=${post} />` : null}
    ${mode === 'flag' ? html`<${FlagForm} post=${post} onDone=${() => setMode(null)} />` : null}
    ${mode === 'redact' ? html`<${RedactForm} post=${post} onDone=${() => { setMode(null); reload(); }} />` : null}
  </li>`;
}

function EditPost({ post, onDone }) {
  const [body, setBody] = useState(post.body);
  const [save, busy, error] = useAction(async (e) => {
    e.preventDefault();
    await api.patch('/posts/' + post.id, { body });
    onDone();
  });
  return html`<form class="inline-form" onSubmit=${save} data-testid="edit-form">
    <${MarkdownEditor} value=${body} onInput=${setBody} label=${t('post.edit_label')} testid="edit-body" rows="6" />
    <${ErrorBox} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn btn-primary btn-small" disabled=${busy} data-testid="edit-save">${t('common.save')}</button>
      <button type="button" class="btn btn-small btn-ghost" onClick=${onDone}>${t('common.cancel')}</button>
    </div>
  </form>`;
}

function Revisions({ post }) {
  const res = useApi('/posts/' + post.id + '/revisions');
  return html`<div class="revisions" data-testid="revisions">
    <h3 class="small-h">${t('post.history')}</h3>
    <${Loaded} res=${res}>${(data) => {
      // {revisions:[{id, post_id, body, html, author, created_at, replaced_at}]}, oldest first
      const list = data.revisions;
      if (!list.length) return html`<p class="muted">${t('post.no_revisions')}</p>`;
      return html`<ol class="rev-list">${list.map((r) => html`<li key=${r.id}>
        <div class="muted small"><${Time} value=${r.created_at} /> · ${r.author.name}</div>
        <pre class="rev-body">${r.body}</pre></li>`)}</ol>`;
    }}</${Loaded}>
  </div>`;
}

function FlagForm({ post, onDone }) {
  const id = useId('flag');
  const [reason, setReason] = useState('');
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    await api.post('/posts/' + post.id + '/flags', { reason });
    toast(t('post.flagged'), 'success');
    onDone();
  });
  return html`<form class="inline-form" onSubmit=${send} data-testid="flag-form">
    <div class="field"><label for=${id}>${t('post.flag_reason')}</label>
      <input id=${id} required value=${reason} data-testid="flag-reason" onInput=${(e) => setReason(e.currentTarget.value)} /></div>
    <${ErrorBox} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn btn-small btn-primary" disabled=${busy} data-testid="flag-submit">${t('post.flag_send')}</button>
      <button type="button" class="btn btn-small btn-ghost" onClick=${onDone}>${t('common.cancel')}</button>
    </div>
  </form>`;
}

export function RedactForm({ post, onDone }) {
  const id = useId('redact');
  const [reason, setReason] = useState('');
  const [purge, setPurge] = useState(false);
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    await api.post('/posts/' + post.id + '/redact', { reason, purge });
    toast(t('mod.redacted'), 'success');
    onDone();
  });
  return html`<form class="inline-form danger-zone" onSubmit=${send} data-testid="redact-form">
    <p class="small">${t('mod.redact_explain')}</p>
    <div class="field"><label for=${id}>${t('mod.reason')}</label>
      <input id=${id} required value=${reason} data-testid="redact-reason" onInput=${(e) => setReason(e.currentTarget.value)} /></div>
    <label class="check"><input type="checkbox" checked=${purge} data-testid="redact-purge"
      onChange=${(e) => setPurge(e.currentTarget.checked)} /><span>${t('mod.purge')}</span></label>
    <${ErrorBox} error=${error} />
    <div class="form-actions">
      <button type="submit" class="btn btn-small btn-danger" disabled=${busy} data-testid="redact-submit">${t('mod.redact_do')}</button>
      <button type="button" class="btn btn-small btn-ghost" onClick=${onDone}>${t('common.cancel')}</button>
    </div>
  </form>`;
}

/** Upload files (raw bytes) to a thread; returns the list of errors. */
export async function uploadFiles(threadId, files) {
  const errors = [];
  for (const f of files) {
    try {
      await api.request('POST', '/threads/' + threadId + '/attachments' + api.qs({ filename: f.name }), f,
        { raw: true, contentType: f.type || 'application/octet-stream' });
    } catch (e) {
      errors.push(f.name + ': ' + errorText(e));
    }
  }
  return errors;
}

// A paperclip drawn inline: the emoji has no glyph in the fonts the page ships with.
function PaperclipIcon() {
  return html`<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
    <path d="M10.5 4.5 5.6 9.4a1.3 1.3 0 0 0 1.9 1.9l5.2-5.2a2.6 2.6 0 0 0-3.7-3.7L3.7 7.7a3.9 3.9 0 0 0 5.5 5.5l4.3-4.3"
      fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" stroke-linejoin="round" /></svg>`;
}

function Attachments({ thread }) {
  const id = useId('att');
  // {attachments:[{id, thread_id, filename, size, sha256, created_at, …}]}
  const res = useApi('/threads/' + thread.id + '/attachments', [thread.id]);
  const list = res.data ? res.data.attachments : [];
  const reload = res.reload;
  useEffect(() => on('post', (d) => { if (d && String(d.thread_id) === String(thread.id)) reload(); }), [thread.id]);
  const [files, setFiles] = useState([]);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState([]);
  const upload = async (e) => {
    e.preventDefault();
    const form = e.currentTarget; // gone from the event once we await
    if (!files.length) return;
    setBusy(true);
    const errs = await uploadFiles(thread.id, files);
    setErrors(errs); setBusy(false);
    if (!errs.length) { setFiles([]); form.reset(); }
    reload();
  };
  return html`<section class="panel attachments" aria-labelledby=${id + '-h'} data-testid="attachments">
    <h2 id=${id + '-h'} class="small-h">${t('att.title')}</h2>
    ${list.length ? html`<ul class="att-list">
      ${list.map((a) => html`<li key=${a.id}><${PaperclipIcon} /><a href=${'/api/v1/attachments/' + a.id} download=${a.filename}
        data-testid="attachment-link">${a.filename}</a> <span class="muted small">${bytes(a.size)}</span></li>`)}
    </ul>` : html`<p class="muted small">${t('att.none')}</p>`}
    ${!thread.locked ? html`<form class="att-form" onSubmit=${upload}>
      <label for=${id}>${t('att.add')}</label>
      <input id=${id} type="file" multiple data-testid="attachment-input"
        onChange=${(e) => setFiles(Array.from(e.currentTarget.files || []))} />
      <button type="submit" class="btn btn-small" disabled=${busy || !files.length} data-testid="attachment-upload">
        ${busy ? t('common.working') : t('att.upload')}</button>
    </form>` : null}
    ${errors.map((m) => html`<div class="alert alert-error" role="alert">${m}</div>`)}
  </section>`;
}

function Reply({ thread, reload }) {
  const [body, setBody] = useState('');
  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    if (!body.trim()) throw { code: 'invalid' };
    await api.post('/threads/' + thread.id + '/posts', { body });
    setBody('');
    toast(t('reply.sent'), 'success');
    reload();
  });
  if (thread.locked) return html`<${Notice} kind="warn" testid="thread-locked">${t('reply.locked')}</${Notice}>`;
  return html`<section class="panel reply" aria-labelledby="reply-h">
    <h2 id="reply-h" class="small-h">${t('reply.title')}</h2>
    <form onSubmit=${send} data-testid="reply-form">
      <${MarkdownEditor} value=${body} onInput=${setBody} label=${t('reply.body')} testid="reply-body" rows="6" />
      <p class="hint">${t('reply.audience', { who: t('vis.' + thread.visibility + '.who') })}</p>
      <${ErrorBox} error=${error} testid="reply-error" />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled=${busy} data-testid="reply-submit">
          ${busy ? t('common.working') : t('reply.submit')}</button>
      </div>
    </form>
  </section>`;
}

function EscalatePanel({ thread, reload }) {
  const id = useId('esc');
  const [tags, setTags] = useState(thread.tags.join(', '));
  const [experts, setExperts] = useState(null);
  const [expertId, setExpertId] = useState('');
  const [note, setNote] = useState('');
  const [result, setResult] = useState(null);

  const [suggest, loading, suggestError] = useAction(async () => {
    const list = tags.split(/[,、\s]+/).map((s) => s.trim()).filter(Boolean);
    const byId = new Map();
    for (const tag of (list.length ? list : [''])) {
      const r = await api.get('/experts' + api.qs({ tag }));
      for (const ex of r.experts) if (!byId.has(ex.id)) byId.set(ex.id, ex);
    }
    const arr = [...byId.values()].sort((a, b) => a.open_escalations - b.open_escalations);
    setExperts(arr);
    if (arr.length && !expertId) setExpertId(String(arr[0].id));
  });
  useEffect(() => { suggest(); }, [thread.id]);

  const [send, busy, error] = useAction(async (e) => {
    e.preventDefault();
    const r = await api.post('/threads/' + thread.id + '/escalations', { expert_id: Number(expertId), note });
    setResult(r);
    toast(t('esc.created'), 'success');
    reload();
  });

  return html`<section class="panel side-panel" aria-labelledby=${id + '-h'} data-testid="escalate-panel">
    <h2 id=${id + '-h'} class="small-h">${t('esc.title')}</h2>
    <p class="small muted">${t('esc.explain')}</p>
    <div class="field">
      <label for=${id + '-tags'}>${t('esc.tags')}</label>
      <div class="input-row">
        <input id=${id + '-tags'} value=${tags} data-testid="escalate-tags" onInput=${(e) => setTags(e.currentTarget.value)} />
        <button type="button" class="btn btn-small" disabled=${loading} data-testid="escalate-suggest" onClick=${() => suggest()}>${t('esc.suggest')}</button>
      </div>
    </div>
    <${ErrorBox} error=${suggestError} />
    <form onSubmit=${send} data-testid="escalate-form">
      ${experts && !experts.length ? html`<p class="muted small">${t('esc.no_experts')}</p>` : null}
      ${experts && experts.length ? html`<fieldset class="expert-pick">
        <legend>${t('esc.choose')}</legend>
        ${experts.map((ex) => html`<label class="expert-option" key=${ex.id}>
          <input type="radio" name=${id + '-ex'} value=${ex.id} checked=${String(ex.id) === expertId}
            data-testid=${'escalate-expert-' + ex.id} onChange=${() => setExpertId(String(ex.id))} />
          <span><strong>${ex.name}</strong>
            <span class="muted small"> ${t('esc.open_count', { n: ex.open_escalations })}</span>
            ${ex.specialties.length ? html`<span class="tags">${ex.specialties.map((s) => html`<span class="tag">${s}</span>`)}</span>` : null}</span>
        </label>`)}
      </fieldset>` : null}
      <div class="field"><label for=${id + '-note'}>${t('esc.note')}</label>
        <textarea id=${id + '-note'} rows="3" value=${note} data-testid="escalate-note"
          onInput=${(e) => setNote(e.currentTarget.value)}></textarea></div>
      <${ErrorBox} error=${error} />
      <button type="submit" class="btn btn-primary btn-small" disabled=${busy || !expertId} data-testid="escalate-submit">${t('esc.submit')}</button>
    </form>
    ${result ? html`<${Notice} kind="success" testid="escalate-result">${t('esc.due', { at: jst(result.due_at) })}</${Notice}>` : null}
  </section>`;
}

function ModeratePanel({ thread, categories, reload }) {
  const id = useId('mod');
  const [category, setCategory] = useState(String(thread.category_id));
  const [vis, setVis] = useState(thread.visibility);
  const [apply, busy, error] = useAction(async (change) => {
    await api.patch('/threads/' + thread.id, change);
    toast(t('common.saved'), 'success');
    reload();
  });
  return html`<section class="panel side-panel" aria-labelledby=${id + '-h'} data-testid="moderate-panel">
    <h2 id=${id + '-h'} class="small-h">${t('mod.thread_title')}</h2>
    <div class="button-row">
      <button type="button" class="btn btn-small" disabled=${busy} data-testid="thread-lock"
        onClick=${() => apply({ locked: !thread.locked })}>${thread.locked ? t('mod.unlock') : t('mod.lock')}</button>
      <button type="button" class="btn btn-small" disabled=${busy} data-testid="thread-pin"
        onClick=${() => apply({ pinned: !thread.pinned })}>${thread.pinned ? t('mod.unpin') : t('mod.pin')}</button>
    </div>
    <div class="field">
      <label for=${id + '-cat'}>${t('mod.move')}</label>
      <div class="input-row">
        <select id=${id + '-cat'} value=${category} data-testid="thread-category" onChange=${(e) => setCategory(e.currentTarget.value)}>
          ${categories.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
        </select>
        <button type="button" class="btn btn-small" disabled=${busy || String(thread.category_id) === category}
          data-testid="thread-move" onClick=${() => apply({ category_id: Number(category) })}>${t('mod.apply')}</button>
      </div>
    </div>
    <div class="field">
      <label for=${id + '-vis'}>${t('mod.visibility')}</label>
      <div class="input-row">
        <select id=${id + '-vis'} value=${vis} data-testid="thread-visibility" onChange=${(e) => setVis(e.currentTarget.value)}>
          ${VISIBILITIES.filter((v) => (v !== 'company' || thread.company_id !== null) && (v !== 'group' || thread.group_id !== null))
            .map((v) => html`<option value=${v}>${t('vis.' + v)}</option>`)}
        </select>
        <button type="button" class="btn btn-small" disabled=${busy || vis === thread.visibility}
          data-testid="thread-visibility-apply" onClick=${() => apply({ visibility: vis })}>${t('mod.apply')}</button>
      </div>
      <p class="hint">${t('vis.' + vis + '.who')}</p>
    </div>
    <${ErrorBox} error=${error} />
  </section>`;
}
