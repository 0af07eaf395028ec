// bell.js — the bell and the inbox widget. The bell shows
// how many threads the user can see have unread messages; the widget lists
// the threads, unread first, with who read and who replied, and lets anyone
// mark a thread unread again for every assignee.

import { heldNotice, reviewBanner } from './consent.js';
import { missedText } from './messages.js';
import { h, s, replace, showError } from '../dom.js';
import { store, on } from '../store.js';
import { markUnread } from '../session.js';
import { relativeTime, fullTime } from '../time.js';
import { errorText } from '../api.js';
import { notificationState, askPermission } from '../notify.js';
import { openThreadModal } from './smsmodal.js';
import { claimBadge, releaseButton, claimer, canRelease } from './claim.js';
import { createPager, FILTER_LABELS } from './inboxpager.js';

const APP = 'smsinbox';

function bellSvg() {
  return s('svg', { viewBox: '0 0 24 24', width: 22, height: 22, 'aria-hidden': 'true', focusable: 'false' },
    s('path', {
      d: 'M12 2a6 6 0 0 0-6 6v3.6c0 .9-.3 1.7-.9 2.4L4 15.3V17h16v-1.7L18.9 14c-.6-.7-.9-1.5-.9-2.4V8a6 6 0 0 0-6-6zm-2.5 17a2.5 2.5 0 0 0 5 0h-5z',
      fill: 'currentColor',
    }));
}

/** Builds the bell and its widget; returns the wrapper element. */
export function createBell() {
  const count = h('span', { class: 'badge', testid: 'bell-count', hidden: true, 'aria-hidden': 'true' });
  const bell = h('button', {
    type: 'button', class: 'icon-btn bell', testid: 'bell', 'data-unread': '0',
    'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'inbox-widget',
    'aria-label': 'Inbox, no unread conversations',
  }, bellSvg(), count);
  const summary = h('span', { class: 'muted small' });
  const notifyBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'notify-enable', hidden: true }, 'Turn on desktop notifications');
  const notifyNote = h('p', { class: 'muted small', testid: 'notify-state', hidden: true });
  const error = h('p', { class: 'form-error small', testid: 'inbox-error', role: 'alert', hidden: true });
  const list = h('ul', { class: 'inbox-list', 'aria-label': 'Conversations' });
  const empty = h('p', { class: 'inbox-empty muted' }, 'No conversations on your numbers yet.');
  // Filters and pages: the widget shows the threads this tab knows that
  // the filter keeps, and loads more from the server as the list scrolls.
  const pager = createPager();
  const filter = /** @type {HTMLSelectElement} */ (h('select', { class: 'select select-small', testid: 'inbox-filter', id: 'inbox-filter' },
    Object.entries(FILTER_LABELS).map(([value, label]) => h('option', { value, selected: value === pager.filter }, label))));
  const more = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'btn btn-small btn-quiet inbox-more', testid: 'inbox-more', hidden: true },
    'Load more'));
  const filterRow = h('div', { class: 'inbox-filter-row' }, h('label', { for: 'inbox-filter', class: 'small muted' }, 'Show'), filter);
  const widget = h('div', {
    id: 'inbox-widget', class: 'popover inbox-widget', testid: 'inbox-widget', role: 'dialog',
    'aria-label': 'Inbox', hidden: true, tabindex: '-1',
  },
  h('div', { class: 'popover-head' }, h('h2', { class: 'popover-title' }, 'Inbox'), summary),
  filterRow,
  h('div', { class: 'notify-row' }, notifyBtn, notifyNote),
  error, list, empty, h('div', { class: 'more-row' }, more));
  const wrap = h('div', { class: 'bell-wrap' }, bell, widget);

  let timer = null;
  const isOpen = () => !widget.hidden;

  filter.addEventListener('change', () => {
    pager.choose(filter.value).catch((err) => showError(error, `Could not load the conversations: ${errorText(err)}`));
    renderList();
  });
  const loadMore = () => {
    pager.more().catch((err) => showError(error, `Could not load more conversations: ${errorText(err)}`));
    renderMore();
  };
  more.addEventListener('click', (ev) => {
    ev.stopPropagation();
    loadMore();
  });
  // The list loads more by itself when its end scrolls into view.
  if (typeof IntersectionObserver === 'function') {
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !widget.hidden && pager.hasMore() && !pager.loading) loadMore();
    }, { root: widget }).observe(more);
  }

  function renderMore() {
    more.hidden = !pager.hasMore();
    more.disabled = pager.loading;
    more.textContent = pager.loading ? 'Loading…' : 'Load more';
  }

  function open() {
    widget.hidden = false;
    bell.setAttribute('aria-expanded', 'true');
    showError(error, '');
    renderNotify();
    renderList();
    widget.focus();
    timer = setInterval(renderList, 30_000);
  }

  function close(focusBell) {
    if (!isOpen()) return;
    widget.hidden = true;
    bell.setAttribute('aria-expanded', 'false');
    clearInterval(timer);
    if (focusBell) bell.focus();
  }

  bell.addEventListener('click', () => (isOpen() ? close(false) : open()));
  wrap.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && isOpen()) {
      ev.stopPropagation();
      close(true);
    }
  });
  document.addEventListener('click', (ev) => {
    if (isOpen() && !wrap.contains(/** @type {Node} */ (ev.target))) close(false);
  });
  document.addEventListener('routechange', () => close(false));

  notifyBtn.addEventListener('click', async () => {
    await askPermission();
    renderNotify();
  });

  function renderNotify() {
    const st = notificationState();
    notifyBtn.hidden = st !== 'default';
    notifyNote.hidden = st === 'default' || st === 'unsupported';
    notifyNote.textContent = st === 'granted'
      ? 'Desktop notifications are on for new replies while this tab is in the background.'
      : st === 'denied' ? 'Desktop notifications are blocked in your browser settings.' : '';
  }

  function renderBell() {
    const n = store.inbox.unread;
    bell.setAttribute('data-unread', String(n));
    bell.classList.toggle('bell-active', n > 0);
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    bell.setAttribute('aria-label', n === 0
      ? 'Inbox, no unread conversations'
      : `Inbox, ${n} unread ${n === 1 ? 'conversation' : 'conversations'}`);
    summary.textContent = n === 0 ? 'All read' : `${n} unread`;
    document.title = n > 0 ? `(${n}) ${APP}` : APP;
  }

  // One item per thread, kept across renders: a live event updates the
  // item in place and moves only what changed place, so that an item's
  // buttons stay the same elements — a click in flight still lands, and a
  // keyboard user's focus stays where it was.
  /** @type {Map<number, {li: HTMLElement, openBtn: HTMLElement, unreadBtn: HTMLButtonElement, extra: HTMLElement, releaseSlot: HTMLElement, thread: any, key: string}>} */
  const items = new Map();

  function renderList() {
    pager.sync();
    const threads = store.inbox.sorted().filter((t) => pager.keeps(t));
    const now = Date.now();
    const order = threads.map((t) => {
      let item = items.get(t.id);
      if (!item) {
        item = createItem();
        items.set(t.id, item);
      }
      updateItem(item, t, now);
      return item.li;
    });
    const shown = new Set(threads.map((t) => t.id));
    for (const [id, item] of items) {
      if (!shown.has(id)) {
        item.li.remove();
        items.delete(id);
      }
    }
    order.forEach((li, i) => {
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
    });
    empty.hidden = threads.length > 0;
    empty.textContent = pager.filter === 'all' ? 'No conversations on your numbers yet.' : 'No conversations here.';
    renderMore();
  }

  function createItem() {
    const openBtn = h('button', { type: 'button', class: 'inbox-open', testid: 'inbox-open' });
    const unreadBtn = /** @type {HTMLButtonElement} */ (h('button', {
      type: 'button', class: 'btn btn-small btn-quiet', testid: 'mark-unread',
    }, 'Mark unread'));
    // A text held by quiet hours, a possible opt-out to review.
    const extra = h('div', { class: 'inbox-extra' });
    const releaseSlot = h('span', { class: 'inbox-release' });
    const li = h('li', { testid: 'inbox-item' }, openBtn, extra, h('span', { class: 'inbox-actions' }, releaseSlot, unreadBtn));
    const item = { li, openBtn, unreadBtn, extra, releaseSlot, thread: null, key: '' };
    unreadBtn.addEventListener('click', async (ev) => {
      ev.stopPropagation();
      unreadBtn.disabled = true;
      try {
        await markUnread(item.thread.id);
      } catch (err) {
        showError(error, `Could not mark it unread: ${errorText(err)}`);
        unreadBtn.disabled = false;
      }
    });
    const openIt = () => {
      close(false);
      openThreadModal(store.inbox.get(item.thread.id) || item.thread, bell);
    };
    openBtn.addEventListener('click', (ev) => {
      ev.stopPropagation();
      openIt();
    });
    // A click anywhere on the item but its buttons opens it too.
    li.addEventListener('click', (ev) => {
      if (!(/** @type {Element} */ (ev.target)).closest('button')) openIt();
    });
    return item;
  }

  function updateItem(item, t, now) {
    item.thread = t;
    // The contact as last announced: its review state changes without the thread.
    const contact = (t.contact && store.contacts.get(t.contact.id)) || t.contact || {};
    const name = contact.name || contact.phone || 'Unknown';
    const unread = t.unread_count > 0;
    const last = t.last_message;
    const at = t.last_message_at || last?.created_at;
    let preview = last?.body || '';
    if (last && last.direction === 'outbound') preview = `${last.sent_by?.name || 'Auto-reply'}: ${preview}`;
    // A missed text has no words: the item says so, plainly.
    const missed = Boolean(last?.missed);
    if (missed) preview = missedText(last);
    const number = t.number ? (t.number.label ? `${t.number.label} · ${t.number.e164}` : t.number.e164) : '';
    const readBy = !unread && t.read_by
      ? `Read by ${t.read_by.name || t.read_by.email}${relativeTime(t.read_at, now) ? ` · ${relativeTime(t.read_at, now)}` : ''}`
      : '';
    const repliedBy = t.replied_by ? `Replied by ${t.replied_by.name || t.replied_by.email}` : '';
    const when = relativeTime(at, now);
    // What the item shows: when none of it changed, the item is left alone.
    const key = JSON.stringify([name, t.unread_count || 0, preview, number, readBy, repliedBy, when, at, t.read_at, t.number?.label,
      Boolean(contact.sms?.review), contact.sms?.review_reason, last?.status, last?.hold_note, missed,
      claimer(t)?.id ?? null, t.claim_expires_at ?? null, canRelease(t)]);
    if (key === item.key) return;
    item.key = key;

    const { li, openBtn, unreadBtn, releaseSlot } = item;
    li.className = unread ? 'inbox-item is-unread' : 'inbox-item';
    li.setAttribute('data-thread-id', String(t.id));
    li.setAttribute('data-unread', String(t.unread_count || 0));
    if (missed) li.setAttribute('data-missed', 'true');
    else li.removeAttribute('data-missed');
    const attrib = [];
    if (readBy) attrib.push(h('span', { class: 'read-by', testid: 'read-by', title: fullTime(t.read_at) }, readBy));
    if (repliedBy) attrib.push(h('span', { class: 'replied-by', testid: 'replied-by' }, repliedBy));
    const badge = claimBadge(t);
    if (badge) attrib.push(badge);
    replace(releaseSlot, releaseButton(t, (msg) => showError(error, msg)));
    openBtn.setAttribute('aria-label', `Open conversation with ${name}${unread ? `, ${t.unread_count} unread` : ''}`);
    replace(openBtn,
      h('span', { class: 'inbox-line' },
        unread ? h('span', { class: 'unread-dot', 'aria-hidden': 'true' }) : null,
        h('span', { class: 'inbox-name' }, name),
        h('time', { class: 'inbox-time', title: fullTime(at) }, when)),
      h('span', { class: 'inbox-number' }, number),
      h('span', { class: ['inbox-preview', missed && 'inbox-preview-missed'] }, preview),
      attrib.length ? h('span', { class: 'inbox-attrib' }, attrib) : null);
    replace(item.extra, heldNotice(last), reviewBanner(contact, { compact: true }));
    unreadBtn.disabled = unread;
    unreadBtn.setAttribute('aria-label', `Mark the conversation with ${name} unread for everyone on ${t.number?.label || 'this number'}`);
    unreadBtn.title = unread ? 'Already unread' : 'Mark unread for everyone on this number';
  }

  on('inbox', () => {
    renderBell();
    renderList();
  });
  on('contact', () => renderList());
  renderBell();
  renderList();
  return wrap;
}
