// topbar.js — the bar on every signed-in page: app name, navigation (admin
// links for admins), search, the bell, the signed-in user and sign out.

import { h, replace } from '../dom.js';
import { store, on, isAdmin } from '../store.js';
import { createBell } from './bell.js';
import { createSearch } from './search.js';

/**
 * Fills the top bar.
 * @param {HTMLElement} bar
 * @param {{onSignOut: () => void}} opts
 */
export function mountTopbar(bar, opts) {
  const nav = h('ul', { class: 'nav-list' });
  const navEl = h('nav', { class: 'nav', 'aria-label': 'Main' }, nav);
  const who = h('span', { class: 'who', testid: 'current-user' });
  const liveDot = h('span', { class: 'live-dot', testid: 'live-status', 'data-state': store.live, role: 'status' });
  const account = h('a', { href: '/account', class: 'btn btn-quiet btn-small', testid: 'nav-account' }, 'Account');
  const signOut = h('button', { type: 'button', class: 'btn btn-quiet btn-small', testid: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => opts.onSignOut());

  function link(href, text, testid, match) {
    return h('li', null, h('a', { href, class: 'nav-link', testid, 'data-match': match }, text));
  }

  function renderNav() {
    const links = [
      link('/candidates', 'Candidates', 'nav-candidates', '^/(candidates(/.*)?)?$'),
      link('/jobs', 'Jobs', 'nav-jobs', '^/jobs(/.*)?$'),
      link('/templates', 'Templates', 'nav-templates', '^/templates$'),
    ];
    if (isAdmin()) {
      links.push(
        link('/admin/users', 'Users', 'nav-users', '^/admin/users$'),
        link('/admin/numbers', 'Numbers', 'nav-numbers', '^/admin/numbers$'),
        link('/admin/reports/sms-activity', 'SMS Activity', 'nav-report', '^/admin/reports/'),
        link('/admin/tokens', 'API tokens', 'nav-tokens', '^/admin/(tokens|webhooks)$'),
      );
    }
    if (store.dev) links.push(link('/dev/phone', 'Phone simulator', 'nav-phone', '^/dev/phone$'));
    replace(nav, links);
    markCurrent();
    const me = store.me;
    who.textContent = me ? `${me.name || me.email}${me.role === 'admin' ? ' (admin)' : ''}` : '';
    who.title = me?.email || '';
  }

  function markCurrent() {
    for (const a of nav.querySelectorAll('a')) {
      const re = new RegExp(a.getAttribute('data-match') || '^$');
      if (re.test(location.pathname)) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  function renderLive(state) {
    liveDot.setAttribute('data-state', state);
    const words = { open: 'Live', connecting: 'Connecting…', offline: 'Offline — reconnecting', stopped: '' };
    liveDot.textContent = '';
    liveDot.title = words[state] ?? '';
    liveDot.setAttribute('aria-label', words[state] || 'Not connected');
  }

  replace(bar,
    h('a', { href: '/', class: 'brand', 'aria-label': 'smsinbox, Candidate Pool' },
      h('img', { src: new URL('../../icon.svg', import.meta.url).href, alt: '', width: 24, height: 24 }),
      h('span', null, 'smsinbox')),
    navEl,
    createSearch(),
    h('div', { class: 'topbar-right' }, liveDot, createBell(), h('div', { class: 'user' }, who, account, signOut)));
  bar.hidden = false;

  on('me', renderNav);
  on('live', renderLive);
  document.addEventListener('routechange', markCurrent);
  renderNav();
  renderLive(store.live);
}
