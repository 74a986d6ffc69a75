// Entry point: asks who is signed in, then renders the screen for the current hash route.
import { html, render, useState, useEffect } from './html.js';
import * as api from './api.js';
import { state, setState, subscribe, emit, toast, isSecretariat } from './store.js';
import { parseHash, go } from './router.js';
import { t, errorText } from '../i18n/index.js';
import { NotFound, Loading } from './components.js';
import { Login, Invite } from './views/auth.js';
import { Consent } from './views/consent.js';
import { Home, CategoryView } from './views/threads.js';
import { ThreadView } from './views/thread.js';
import { NewThread } from './views/compose.js';
import { Search } from './views/search.js';
import { Notifications, refreshUnread } from './views/notifications.js';
import { Escalations, Triage } from './views/questions.js';
import { Moderation, Audit } from './views/moderation.js';
import { ConsentReport, Documents } from './views/consents.js';
import { Registry } from './views/registry.js';
import { Account } from './views/account.js';
import { adoptUserLang, chooseLang } from './lang.js';
import { Apply, Applications, Lottery } from './views/applications.js';
import { Rounds, RoundView, Attendance, AttendanceReport, CalendarFeed } from './views/rounds.js';
import { Cases, CaseView, PublicCases, Booklet } from './views/cases.js';
import { Dispatch, CompanyVisits, DispatchReport } from './views/visits.js';

// ---- session ---------------------------------------------------------------------------

// GET /me: {user, pending_consents, csrf_token}
export function applyMe(me) {
  api.setCsrf(me.csrf_token);
  setState({ user: me.user, pending: me.pending_consents });
  adoptUserLang(me.user);
}

export async function refreshMe() {
  try {
    applyMe(await api.get('/me', { quiet: true }));
  } catch (e) {
    if (e.code === 'unauthenticated') { api.setCsrf(''); setState({ user: null, pending: [] }); }
  }
}

async function signOut() {
  try { await api.del('/session', { quiet: true }); } catch (_) { /* the session may be gone already */ }
  api.setCsrf('');
  stopEvents();
  setState({ user: null, pending: [], unread: 0, inactive: false });
  go('/');
}

api.hooks.unauthenticated = () => {
  if (state.user) toast(t('err.session_expired'), 'warn');
  api.setCsrf('');
  stopEvents();
  setState({ user: null, pending: [], inactive: false });
};
api.hooks.companyInactive = () => {
  // A withdrawn company's participants can reach no content at all: say so once, plainly.
  if (!state.inactive) setState({ inactive: true });
};
api.hooks.consentRequired = () => {
  // Show the consent screen (the 403 names no documents: /me says which); the route stays, so the
  // reader lands where they were going.
  setState({ pending: [{ kind: 'unknown' }] });
  refreshMe();
};

// ---- event stream ----------------------------------------------------------------------

let source = null;
let retryTimer = null;
function startEvents() {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/v1/events');
  source.onopen = () => setState({ live: true });
  for (const type of ['thread', 'post', 'notification']) {
    source.addEventListener(type, (ev) => {
      emit(type, JSON.parse(ev.data)); // {thread_id, post_id?} or a notification's {id, thread_id?}
      if (type === 'notification') {
        refreshUnread();
        toast(t('notif.new'), 'info');
      }
    });
  }
  source.onerror = () => {
    setState({ live: false });
    if (source && source.readyState === EventSource.CLOSED) {
      source = null;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => { if (canReadContent()) startEvents(); }, 15000);
    }
  };
}
function stopEvents() {
  clearTimeout(retryTimer);
  if (source) { source.close(); source = null; }
  setState({ live: false });
}

function canReadContent() {
  return !!state.user && (isSecretariat(state.user) || !state.pending.length);
}

// ---- routes ----------------------------------------------------------------------------

function routeView(route, user) {
  const [a, b, c] = route.parts;
  const sec = isSecretariat(user);
  switch (a) {
    case undefined: return html`<${Home} query=${route.query} />`;
    case 'categories': return html`<${CategoryView} id=${b} query=${route.query} />`;
    case 'threads': return b ? html`<${ThreadView} id=${b} query=${route.query} />` : html`<${Home} query=${route.query} />`;
    case 'new': return html`<${NewThread} query=${route.query} />`;
    case 'search': return html`<${Search} query=${route.query} />`;
    case 'notifications': return html`<${Notifications} />`;
    case 'account': return html`<${Account} />`;
    case 'cases': return b ? html`<${CaseView} id=${b} user=${user} />` : html`<${Cases} user=${user} />`;
    case 'escalations': return user.role !== 'participant' ? html`<${Escalations} query=${route.query} />` : html`<${NotFound} />`;
    case 'triage': return sec ? html`<${Triage} />` : html`<${NotFound} />`;
    case 'moderation': return sec ? html`<${Moderation} />` : html`<${NotFound} />`;
    case 'audit': return sec ? html`<${Audit} />` : html`<${NotFound} />`;
    case 'consents': return sec ? html`<${ConsentReport} />` : html`<${NotFound} />`;
    case 'documents': return sec ? html`<${Documents} />` : html`<${NotFound} />`;
    case 'registry': return sec ? html`<${Registry} tab=${b} />` : html`<${NotFound} />`;
    case 'applications': return sec ? html`<${Applications} query=${route.query} />` : html`<${NotFound} />`;
    case 'lottery': return sec ? html`<${Lottery} />` : html`<${NotFound} />`;
    case 'rounds': return !b ? html`<${Rounds} />` : route.parts[2] === 'attendance' ? (sec ? html`<${Attendance} id=${b} />` : html`<${NotFound} />`) : html`<${RoundView} id=${b} />`;
    case 'attendance': return sec ? html`<${AttendanceReport} />` : html`<${NotFound} />`;
    case 'calendar': return html`<${CalendarFeed} />`;
    case 'dispatch': return html`<${Dispatch} />`;
    case 'dispatch-report': return sec ? html`<${DispatchReport} />` : html`<${NotFound} />`;
    case 'companies': return b && c === 'visits' ? html`<${CompanyVisits} id=${b} />` : html`<${NotFound} />`;
    default: return html`<${NotFound} />`;
  }
}

function navItems(user) {
  const items = [
    { path: '/', key: 'nav.home', match: (p) => !p[0] || p[0] === 'categories' || p[0] === 'threads' || p[0] === 'new' },
    { path: '/search', key: 'nav.search' },
    { path: '/notifications', key: 'nav.notifications', count: true },
    { path: '/rounds', key: 'nav.rounds' },
    { path: '/calendar', key: 'nav.calendar' },
    { path: '/cases', key: 'nav.cases' },
    { path: '/dispatch', key: 'nav.dispatch', match: (p) => p[0] === 'dispatch' || p[0] === 'companies' },
  ];
  if (user.role === 'expert') items.push({ path: '/escalations', key: 'nav.my_escalations' });
  if (user.role === 'secretariat') {
    items.push(
      { path: '/triage', key: 'nav.triage' },
      { path: '/escalations', key: 'nav.escalations' },
      { path: '/moderation', key: 'nav.moderation' },
      { path: '/attendance', key: 'nav.attendance' },
      { path: '/consents', key: 'nav.consents' },
      { path: '/documents', key: 'nav.documents' },
      { path: '/registry', key: 'nav.registry' },
      { path: '/applications', key: 'nav.applications' },
      { path: '/lottery', key: 'nav.lottery' },
      { path: '/audit', key: 'nav.audit' },
      { path: '/dispatch-report', key: 'nav.dispatch_report' },
    );
  }
  return items;
}

function LangSwitch() {
  const other = state.lang === 'ja' ? 'en' : 'ja';
  const change = () => chooseLang(other).catch((e) => toast(errorText(e), 'error'));
  return html`<button type="button" class="btn btn-ghost btn-small lang-switch" data-testid="lang-switch"
    lang=${other} onClick=${change} aria-label=${t('lang.switch_label')}>${t('lang.other')}</button>`;
}

function Header({ user, onMenu, menuOpen, hasNav }) {
  return html`<header class="site-header">
    <div class="header-inner">
      ${hasNav ? html`<button type="button" class="btn btn-ghost menu-toggle" aria-expanded=${menuOpen}
        aria-controls="site-nav" data-testid="menu-toggle" onClick=${onMenu}>${t('nav.menu')}</button>` : null}
      <a class="brand" href="#/">
        <span class="brand-mark" aria-hidden="true"></span>
        <span class="brand-text">
          <span class="brand-name">${t('app.name')}</span>
          <span class="brand-sub">${t('app.subtitle')}</span>
        </span>
      </a>
      <div class="header-tools">
        <${LangSwitch} />
        ${user ? html`<a class="user-chip" href="#/account" data-testid="current-user">
            <span class="user-name">${user.name}</span>
            <span class="user-role">${t('role.' + user.role)}</span></a>
          <button type="button" class="btn btn-ghost btn-small" data-testid="sign-out" onClick=${signOut}>${t('nav.sign_out')}</button>`
        : null}
      </div>
    </div>
  </header>`;
}

function Nav({ user, route, open, onNavigate }) {
  return html`<nav id="site-nav" class=${'site-nav' + (open ? ' open' : '')} aria-label=${t('nav.label')}>
    <ul>
      ${navItems(user).map((it) => {
        const current = it.match ? it.match(route.parts) : ('/' + (route.parts[0] || '')) === it.path;
        return html`<li key=${it.path}><a href=${'#' + it.path} aria-current=${current ? 'page' : undefined}
          data-testid=${'nav-' + it.path.replace(/\W/g, '') } onClick=${onNavigate}>
          <span>${t(it.key)}</span>
          ${it.count && state.unread ? html`<span class="count" data-testid="unread-notifications"
            aria-label=${t('notif.unread_count', { n: state.unread })}>${state.unread}</span>` : null}
        </a></li>`;
      })}
    </ul>
    <p class=${'live ' + (state.live ? 'on' : 'off')}>${state.live ? t('live.on') : t('live.off')}</p>
  </nav>`;
}

function Toast() {
  const tt = state.toast;
  return html`<div class="toast-region" aria-live="polite" role="status">
    ${tt ? html`<div class=${'toast toast-' + tt.kind} data-testid="toast">${tt.text}</div>` : null}
  </div>`;
}

function App() {
  const [, force] = useState(0);
  const [route, setRoute] = useState(parseHash());
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => subscribe(() => force((n) => n + 1)), []);
  useEffect(() => {
    const onHash = () => { setRoute(parseHash()); setMenuOpen(false); };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  // Move focus to the new page's heading so keyboard and screen-reader users follow the change.
  useEffect(() => {
    const el = document.querySelector('[data-page-title]');
    if (el && document.activeElement === document.body) el.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [route.path]);

  const user = state.user;
  const consentGated = !!user && !isSecretariat(user) && state.pending.length > 0;
  // The secretariat requires two-step sign-in for this account and it is not set up yet: the server
  // refuses content until it is (403 totp_setup_required), so the account page comes first.
  const twoStepGated = !!user && user.totp_setup_required;
  const gated = consentGated || twoStepGated;

  useEffect(() => {
    document.documentElement.lang = state.lang;
    document.title = t('app.title');
  }, [state.lang]);
  useEffect(() => {
    if (user && !gated) { startEvents(); refreshUnread(); } else stopEvents();
  }, [user && user.id, gated]);

  let main;
  if (!state.ready) main = html`<${Loading} />`;
  else if (route.parts[0] === 'invite' && route.parts[1]) main = html`<${Invite} token=${route.parts[1]}
    onSignedIn=${(r) => api.setCsrf(r.csrf_token)} afterSignIn=${refreshMe} />`;
  else if (route.parts[0] === 'apply') main = html`<${Apply} />`; // public: no sign-in
  else if (route.parts[0] === 'public') main = route.parts[1] === 'booklet' ? html`<${Booklet} />`
    : html`<${PublicCases} id=${route.parts[2]} />`; // the case collection's public pages: no sign-in
  else if (!user) main = html`<${Login} onSignedIn=${(r) => api.setCsrf(r.csrf_token)} afterSignIn=${refreshMe} />
    <p class="apply-link"><a href="#/apply" data-testid="apply-link">${t('apply.link')}</a></p>
    <p class="public-cases-link"><a href="#/public/cases" data-testid="login-cases-link">${t('login.cases_link')}</a></p>`;
  else if (state.inactive && user.role === 'participant') main = html`<section class="panel empty" data-testid="company-inactive">
      <h1 tabindex="-1" data-page-title>${t('inactive.title')}</h1><p>${t('err.company_inactive')}</p></section>`;
  else if (consentGated) main = html`<${Consent} user=${user} onDone=${refreshMe} />`;
  else if (twoStepGated) main = html`<${Account} />`;
  else main = routeView(route, user);

  const withNav = user && !gated && state.ready && !(state.inactive && user.role === 'participant');
  return html`<a class="skip-link" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>${t('nav.skip')}</a>
    <${Header} user=${user} hasNav=${withNav} menuOpen=${menuOpen} onMenu=${() => setMenuOpen(!menuOpen)} />
    <div class=${'layout' + (withNav ? ' with-nav' : '')}>
      ${withNav ? html`<${Nav} user=${user} route=${route} open=${menuOpen} onNavigate=${() => setMenuOpen(false)} />` : null}
      <main id="main" tabindex="-1" class="main">${main}</main>
    </div>
    <footer class="site-footer"><p>${t('app.footer')}</p></footer>
    <${Toast} />`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
refreshMe().finally(() => setState({ ready: true }));
