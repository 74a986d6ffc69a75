// Shared building blocks: data loading, badges, error boxes, the Markdown editor,
// the visibility picker. Everything is plain Preact + htm; no inline styles anywhere.
import { html, useState, useEffect, useRef, useCallback } from './html.js';
import * as api from './api.js';
import { t, errorText } from '../i18n/index.js';
import { jst, iso } from './format.js';
import { state } from './store.js';

/** Load an API resource; reload() fetches again. path null = do nothing. */
export function useApi(path, deps = []) {
  const [res, setRes] = useState({ data: null, error: null, loading: !!path });
  const seq = useRef(0);
  const load = useCallback(async (silent) => {
    if (!path) { setRes({ data: null, error: null, loading: false }); return; }
    const my = ++seq.current;
    if (!silent) setRes((r) => ({ ...r, loading: true, error: null }));
    try {
      const data = await api.get(path);
      if (my === seq.current) setRes({ data, error: null, loading: false });
    } catch (error) {
      if (my === seq.current) setRes((r) => ({ data: silent ? r.data : null, error, loading: false }));
    }
  }, [path, ...deps]);
  useEffect(() => { load(false); }, [load]);
  // A stable reload function, so that effects depending on it are not torn down on every render
  // (which would cancel a pending live-update reload).
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useRef(() => loadRef.current(true)).current;
  return { ...res, reload };
}

/** Run an async action with busy/error state; returns [run, busy, error, setError]. */
export function useAction(fn) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (...args) => {
    setBusy(true); setError(null);
    try { return await fn(...args); }
    catch (e) { setError(e); return undefined; }
    finally { setBusy(false); }
  };
  return [run, busy, error, setError];
}

export function ErrorBox({ error, testid = 'error' }) {
  if (!error) return null;
  const text = typeof error === 'string' ? error : errorText(error);
  return html`<div class="alert alert-error" role="alert" data-testid=${testid}
    data-code=${error.code || ''}>${text}</div>`;
}

export function Notice({ children, kind = 'info', testid }) {
  return html`<div class=${'alert alert-' + kind} role="status" data-testid=${testid}>${children}</div>`;
}

export function Loading() {
  return html`<p class="loading" role="status">${t('common.loading')}</p>`;
}

export function Time({ value }) {
  if (!value) return null;
  return html`<time datetime=${iso(value)}>${jst(value)}</time>`;
}

/** Full-page "not found or not yours" — the API answers 404 for both on purpose. */
export function NotFound() {
  return html`<section class="panel empty" data-testid="not-found">
    <h1>${t('notfound.title')}</h1>
    <p>${t('notfound.body')}</p>
    <p><a class="btn" href="#/">${t('nav.home')}</a></p>
  </section>`;
}

/** Show loading / error / content for a useApi result. */
export function Loaded({ res, children }) {
  if (res.loading && !res.data) return html`<${Loading} />`;
  if (res.error && !res.data) {
    if (res.error.code === 'not_found') return html`<${NotFound} />`;
    if (res.error.code === 'consent_required' || res.error.code === 'unauthenticated') return html`<${Loading} />`;
    return html`<${ErrorBox} error=${res.error} />`;
  }
  if (!res.data) return null;
  return children(res.data);
}

export const VISIBILITIES = ['community', 'group', 'company', 'staff'];

export function VisibilityBadge({ value }) {
  if (!value) return null;
  return html`<span class=${'badge vis-' + value} data-testid="badge-visibility" data-value=${value}
    title=${t('vis.' + value + '.who')}>${t('vis.' + value)}</span>`;
}

export function StatusBadge({ thread }) {
  if (!thread || thread.kind !== 'question' || !thread.status) return null;
  return html`<span class=${'badge st-' + thread.status} data-testid="badge-status"
    data-value=${thread.status}>${t('status.' + thread.status)}</span>`;
}

export function KindBadge({ kind }) {
  if (!kind || kind === 'discussion') return null;
  return html`<span class=${'badge kind-' + kind}>${t('kind.' + kind)}</span>`;
}

export function RoleTag({ role }) {
  if (!role || role === 'participant') return null;
  return html`<span class=${'role-tag role-' + role}>${t('role.' + role)}</span>`;
}

/** A labelled form field. */
export function Field({ id, label, hint, children, required }) {
  return html`<div class="field">
    <label for=${id}>${label}${required ? html`<span class="req" aria-hidden="true"> *</span>` : null}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${id + '-hint'}>${hint}</p>` : null}
  </div>`;
}

let uid = 0;
export function useId(prefix = 'f') {
  const ref = useRef(null);
  if (ref.current === null) ref.current = prefix + '-' + (++uid);
  return ref.current;
}

/**
 * Markdown editor with a write / preview switch. The preview is the server's own
 * rendering (POST /api/v1/markdown/preview), so what you see is what will be stored.
 */
export function MarkdownEditor({ value, onInput, label, testid = 'composer-body', rows = 8, required = true }) {
  const id = useId('md');
  const [tab, setTab] = useState('write');
  const [preview, setPreview] = useState({ html: '', error: null, loading: false });
  const showPreview = async () => {
    setTab('preview');
    setPreview({ html: '', error: null, loading: true });
    try {
      const r = await api.post('/markdown/preview', { body: value }); // {html}
      setPreview({ html: r.html, error: null, loading: false });
    } catch (error) {
      setPreview({ html: '', error, loading: false });
    }
  };
  return html`<div class="md-editor">
    <div class="md-head">
      <label for=${id} class="md-label">${label || t('composer.body')}</label>
      <div class="tabs" role="tablist" aria-label=${t('composer.mode')}>
        <button type="button" role="tab" class="tab" aria-selected=${tab === 'write'}
          data-testid=${testid + '-write'} onClick=${() => setTab('write')}>${t('composer.write')}</button>
        <button type="button" role="tab" class="tab" aria-selected=${tab === 'preview'}
          data-testid=${testid + '-preview'} onClick=${showPreview}>${t('composer.preview')}</button>
      </div>
    </div>
    <textarea id=${id} rows=${rows} value=${value} required=${required} hidden=${tab !== 'write'}
      data-testid=${testid} aria-describedby=${id + '-hint'}
      onInput=${(e) => onInput(e.currentTarget.value)}></textarea>
    ${tab === 'preview' ? html`<div class="md-preview prose" data-testid=${testid + '-preview-pane'} aria-live="polite">
      ${preview.loading ? html`<${Loading} />` : null}
      <${ErrorBox} error=${preview.error} />
      ${!preview.loading && !preview.error ? (preview.html
        ? html`<div dangerouslySetInnerHTML=${{ __html: preview.html }}></div>`
        : html`<p class="muted">${t('composer.preview_empty')}</p>`) : null}
    </div>` : null}
    <p class="hint" id=${id + '-hint'}>${t('composer.md_hint')}</p>
  </div>`;
}

/** Visibility choice, spelled out as who will read the thread. */
export function VisibilityPicker({ value, onChange, user, name = 'visibility' }) {
  // Participants write within their company and group, never staff-only; experts have no company
  // or group of their own; the secretariat names one for a company or group thread.
  const options = {
    participant: ['community', 'group', 'company'],
    expert: ['community', 'staff'],
    secretariat: VISIBILITIES,
  }[user.role];
  return html`<fieldset class="vis-picker" data-testid="visibility-picker">
    <legend>${t('composer.visibility')}</legend>
    ${options.map((v) => html`<label class=${'vis-option' + (value === v ? ' selected' : '')} key=${v}>
      <input type="radio" name=${name} value=${v} checked=${value === v}
        data-testid=${'visibility-' + v} onChange=${() => onChange(v)} />
      <span class="vis-text">
        <span class=${'badge vis-' + v}>${t('vis.' + v)}</span>
        <span class="vis-who">${t('vis.' + v + '.who')}</span>
      </span>
    </label>`)}
  </fieldset>`;
}

/** Server-rendered, server-sanitised post HTML — the only place HTML from the API is used. */
export function PostHtml({ html: markup }) {
  return html`<div class="prose" dangerouslySetInnerHTML=${{ __html: markup || '' }}></div>`;
}

export function PageHead({ title, children }) {
  return html`<div class="page-head">
    <h1 tabindex="-1" data-page-title>${title}</h1>
    ${children ? html`<div class="page-actions">${children}</div>` : null}
  </div>`;
}

export function currentLang() { return state.lang; }
