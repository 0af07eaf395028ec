// main.js — boots the app: routes, the signed-in shell (top bar, bell,
// websocket) and what a 401 does.

import { h } from './dom.js';
import { setUnauthenticatedHandler, errorText } from './api.js';
import { store, isAdmin, on } from './store.js';
import { startRouter, route, navigate, refresh, currentName } from './router.js';
import { loadMe, startLive, signOut, endSession } from './session.js';
import { mountTopbar } from './components/topbar.js';
import { setIconClick } from './components/smsicon.js';
import { openSmsModal, openThreadModal, closeSmsModal } from './components/smsmodal.js';
import { setNotificationClick } from './notify.js';
import loginPage from './pages/login.js';
import candidatesPage from './pages/candidates.js';
import profilePage from './pages/profile.js';
import { jobsPage, jobPage } from './pages/jobs.js';
import templatesPage from './pages/templates.js';
import usersPage from './pages/users.js';
import tokensPage from './pages/tokens.js';
import webhooksPage from './pages/webhooks.js';
import accountPage from './pages/account.js';
import numbersPage from './pages/numbers.js';
import reportPage from './pages/report.js';
import devPhonePage from './pages/devphone.js';
import notFoundPage, { forbiddenPage } from './pages/notfound.js';

store.dev = document.body.dataset.dev === 'true';

// Embedded in the host ATS (?embed=1, kept for the tab's life): the inbox,
// the bell and the SMS modal without the app's own navigation, brand or
// account menu (app.css hides them under [data-embed]).
try {
  const asked = new URLSearchParams(location.search).get('embed');
  if (asked === '1') sessionStorage.setItem('smsinbox.embed', '1');
  if (asked === '0') sessionStorage.removeItem('smsinbox.embed');
  if (sessionStorage.getItem('smsinbox.embed') === '1') document.documentElement.dataset.embed = '1';
} catch {
  // Storage refused (a third-party frame may be denied it): the query alone decides.
  if (new URLSearchParams(location.search).get('embed') === '1') document.documentElement.dataset.embed = '1';
}

const topbar = /** @type {HTMLElement} */ (document.getElementById('topbar'));
let shellMounted = false;

/** Admin pages show "Admins only" to recruiters (the API answers them 403 anyway). */
const adminOnly = (page) => (ctx) => (isAdmin() ? page(ctx) : forbiddenPage(ctx));

const routes = [
  route('/login', 'login', (ctx) => loginPage(ctx, onSignedIn), { auth: false, bare: true }),
  route('/', 'candidates', candidatesPage),
  route('/candidates', 'candidates', candidatesPage),
  route('/candidates/:id', 'profile', profilePage),
  route('/jobs', 'jobs', jobsPage),
  route('/jobs/:id', 'job', jobPage),
  route('/account', 'account', accountPage),
  route('/templates', 'templates', templatesPage),
  route('/admin/users', 'users', adminOnly(usersPage)),
  route('/admin/tokens', 'tokens', adminOnly(tokensPage)),
  route('/admin/webhooks', 'webhooks', adminOnly(webhooksPage)),
  route('/admin/numbers', 'numbers', adminOnly(numbersPage)),
  route('/admin/reports/sms-activity', 'report', adminOnly(reportPage)),
];
if (store.dev) routes.push(route('/dev/phone', 'dev-phone', devPhonePage, { auth: false, bare: true }));

function currentPath() {
  return location.pathname + location.search;
}

/** The shell of a signed-in user: top bar, bell, websocket. */
function enterShell() {
  if (!shellMounted) {
    mountTopbar(topbar, { onSignOut });
    shellMounted = true;
  }
  startLive(() => onUnauthenticated());
}

function onSignedIn(_user, next) {
  enterShell();
  navigate(next, { replace: true });
}

async function onSignOut() {
  closeSmsModal();
  await signOut();
  topbar.hidden = true;
  navigate('/login');
}

/**
 * The session ended on the server — it expired, the user signed out
 * elsewhere or changed their password there, an admin deactivated them —
 * and the sign-in page says so.
 */
function onUnauthenticated() {
  const path = location.pathname;
  if (path === '/login' || path === '/dev/phone') return;
  closeSmsModal();
  endSession();
  topbar.hidden = true;
  navigate(`/login?ended=1&next=${encodeURIComponent(currentPath())}`, { replace: true });
}

/** Shown when the server cannot be reached on load. */
function offlinePage(err) {
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  const retry = h('button', { type: 'button', class: 'btn btn-primary', testid: 'retry' }, 'Try again');
  retry.addEventListener('click', () => navigate(currentPath(), { replace: true }));
  main.replaceChildren(h('div', { class: 'notice notice-error', role: 'alert', testid: 'page-error' },
    h('p', null, `Could not reach smsinbox: ${errorText(err)}`), retry));
  main.dataset.page = 'offline';
  main.setAttribute('aria-busy', 'false');
}

async function beforeEnter(r, path) {
  if (r.auth === false) {
    topbar.hidden = r.bare || !store.me;
    return true;
  }
  if (!store.me) {
    try {
      await loadMe();
    } catch (err) {
      if (err.status === 401) {
        const next = path === '/' ? '' : `?next=${encodeURIComponent(currentPath())}`;
        navigate(`/login${next}`, { replace: true });
      } else {
        offlinePage(err);
      }
      return false;
    }
    enterShell();
  }
  topbar.hidden = false;
  return true;
}

// The company topic feeds contacts (icons) and settings: after a resync or a
// settings change, the visible lists are fetched again. Number topics feed
// threads, which the inbox, the modal and the profile refetch themselves.
const LIVE_PAGES = new Set(['candidates', 'profile', 'job']);
on('resync', (topic) => {
  if (String(topic).startsWith('company:') && LIVE_PAGES.has(currentName())) refresh();
});
on('company', () => {
  if (LIVE_PAGES.has(currentName())) refresh();
});

setUnauthenticatedHandler(() => onUnauthenticated());
setIconClick((contact, opener) => openSmsModal(contact, { opener }));
setNotificationClick((thread) => openThreadModal(thread, null));

startRouter(routes, {
  notFound: route('/404', 'not-found', notFoundPage),
  beforeEnter,
});
