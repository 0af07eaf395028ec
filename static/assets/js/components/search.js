// search.js — the header's search: every message of the user's numbers and
// every contact of the company, by words ("interv" finds "interview"), as the
// user types. A message hit opens its thread in the SMS modal at that
// message; a contact hit opens the contact's profile.

import { h, replace, showError } from '../dom.js';
import { get, isAbort, errorText } from '../api.js';
import { store, putContact } from '../store.js';
import { navigate } from '../router.js';
import { relativeTime, fullTime } from '../time.js';
import { openThreadModal } from './smsmodal.js';

const DEBOUNCE_MS = 250;

/** Whether a query has something to search for: a letter or a digit. */
export function searchable(q) {
  return /[\p{L}\p{N}]/u.test(q || '');
}

/**
 * The snippet as text with its matches marked: text nodes and <mark>
 * elements, never markup from the server. Highlights are [start, end) in
 * characters (code points).
 * @param {string} snippet
 * @param {number[][]} highlights
 */
export function markSnippet(snippet, highlights) {
  const chars = Array.from(snippet || '');
  const out = [];
  let at = 0;
  for (const [start, end] of highlights || []) {
    if (start < at || end <= start || end > chars.length) continue;
    if (start > at) out.push(chars.slice(at, start).join(''));
    out.push(h('mark', null, chars.slice(start, end).join('')));
    at = end;
  }
  if (at < chars.length) out.push(chars.slice(at).join(''));
  return out;
}

/** Builds the search box and its results; returns the wrapper element. */
export function createSearch() {
  const input = /** @type {HTMLInputElement} */ (h('input', {
    type: 'search', class: 'input search-input', testid: 'search-input', id: 'search-input',
    placeholder: 'Search messages and contacts', autocomplete: 'off', spellcheck: 'false',
    'aria-label': 'Search messages and contacts', 'aria-controls': 'search-results', 'aria-expanded': 'false',
  }));
  const status = h('p', { class: 'search-status muted small', role: 'status', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error small', testid: 'search-error', role: 'alert', hidden: true });
  const messages = h('ul', { class: 'search-list', 'aria-label': 'Messages' });
  const contacts = h('ul', { class: 'search-list', 'aria-label': 'Contacts' });
  const more = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'btn btn-small btn-quiet', testid: 'search-more', hidden: true }, 'More messages'));
  const panel = h('div', {
    id: 'search-results', class: 'popover search-results', testid: 'search-results', hidden: true, tabindex: '-1',
    role: 'region', 'aria-label': 'Search results',
  }, status, error, contacts, messages, h('div', { class: 'more-row' }, more));
  const wrap = h('div', { class: 'search', role: 'search' }, input, panel);

  let timer = null;
  let ac = null;
  let query = '';
  let cursor = null;

  const open = () => {
    panel.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  };
  const close = () => {
    panel.hidden = true;
    input.setAttribute('aria-expanded', 'false');
  };

  async function run(q, next) {
    if (ac) ac.abort();
    ac = new AbortController();
    const signal = ac.signal;
    showError(error, '');
    status.textContent = 'Searching…';
    open();
    try {
      const res = await get('/api/search', { query: { q, cursor: next || '' }, signal });
      if (q !== query) return;
      if (!next) {
        replace(messages);
        replace(contacts, (res?.contacts || []).map(contactItem));
      }
      for (const hit of res?.messages || []) messages.append(messageItem(hit));
      cursor = res?.next_cursor ?? null;
      more.hidden = !cursor;
      const n = messages.children.length + contacts.children.length;
      status.textContent = n === 0 ? `Nothing found for “${q}”.` : '';
    } catch (err) {
      if (isAbort(err)) return;
      status.textContent = '';
      showError(error, `Search failed: ${errorText(err)}`);
    }
  }

  function messageItem(hit) {
    const m = hit.message || {};
    const c = hit.contact || {};
    const who = m.direction === 'outbound' ? `${m.sent_by?.name || 'Auto-reply'} → ${c.name || c.phone || ''}` : c.name || c.phone || 'Unknown';
    const btn = h('button', { type: 'button', class: 'search-open', 'aria-label': `Open the message from ${who}` },
      h('span', { class: 'inbox-line' },
        h('span', { class: 'inbox-name' }, who),
        h('time', { class: 'inbox-time', title: fullTime(m.created_at) }, relativeTime(m.created_at))),
      h('span', { class: 'search-snippet' }, markSnippet(hit.snippet, hit.highlights)));
    btn.addEventListener('click', () => {
      close();
      if (c.id != null) putContact(c);
      const known = store.inbox.get(hit.thread_id);
      openThreadModal(known || { id: hit.thread_id, contact: c }, input, m.id);
    });
    return h('li', { class: 'search-item', testid: 'search-result', 'data-thread-id': hit.thread_id, 'data-message-id': m.id }, btn);
  }

  function contactItem(c) {
    putContact(c);
    const a = h('a', { href: `/candidates/${Number(c.id)}`, class: 'search-open' },
      h('span', { class: 'inbox-name' }, c.name || c.phone),
      h('span', { class: 'inbox-number' }, [c.phone, c.email].filter(Boolean).join(' · ')));
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      close();
      navigate(`/candidates/${Number(c.id)}`);
    });
    return h('li', { class: 'search-item', testid: 'search-contact', 'data-contact-id': c.id }, a);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    query = input.value.trim();
    if (!searchable(query)) {
      if (ac) ac.abort();
      close();
      return;
    }
    timer = setTimeout(() => run(query, null), DEBOUNCE_MS);
  });
  input.addEventListener('focus', () => {
    if (searchable(input.value.trim()) && (messages.children.length || contacts.children.length)) open();
  });
  more.addEventListener('click', (ev) => {
    ev.stopPropagation();
    if (cursor) run(query, cursor);
  });
  wrap.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !panel.hidden) {
      ev.stopPropagation();
      close();
      input.focus();
    }
  });
  document.addEventListener('click', (ev) => {
    if (!panel.hidden && !wrap.contains(/** @type {Node} */ (ev.target))) close();
  });
  document.addEventListener('routechange', close);
  return wrap;
}
