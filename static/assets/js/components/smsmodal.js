// smsmodal.js — the SMS modal: one thread at a time
// with a number switcher, live delivery ticks, "Ana is typing…", and a
// composer with a segment counter and idempotent sends.

import { reviewBanner, GATE_ERRORS } from './consent.js';
import { h, replace, showError } from '../dom.js';
import { get, post, randomKey, isAbort, ApiError } from '../api.js';
import { store, on, putContact, markCommunicated } from '../store.js';
import { markRead, sendTyping, cancelTyping } from '../session.js';
import { countSegments, describeCount, MAX_CHARACTERS } from '../segments.js';
import { threadMessage, fillThreadMessage } from './messages.js';
import { mergeMessage } from '../inbox.js';
import { claimControls } from './claim.js';
import { templatePicker, showPreview, plainCharacters, scheduleControls, onMessageAction } from './compose.js';

const PAGE = 50;
/** The modal's bubbles carry their actions (cancel a scheduled text, resend). */
const ACTIONS = { actions: true };
const TYPING_SHOWN_MS = 4000;

/** Drafts per contact survive closing the modal: text and the idempotency key of its last try. */
const drafts = new Map(); // contact id → {text, sig, key}

/** @type {HTMLDialogElement|null} */
let dlg = null;
/** The open modal's state, or null. */
let M = null;

/**
 * What a recruiter reads when a send fails.
 * @param {any} err
 */
export function sendErrorText(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong. Press Send again — the message will not be sent twice.';
  switch (err.code) {
    case 'opted_out':
      return 'This candidate has opted out of text messages — email or call them instead.';
    case 'not_assigned':
      return 'You are not assigned to this number, so you cannot text from it. Ask an admin to assign you, or pick another number.';
    case 'sms_disabled':
      return 'Text messaging is turned off for your company. An admin can turn it on under Numbers.';
    case 'invalid_body':
      return `The message is empty or longer than ${MAX_CHARACTERS} characters.`;
    case 'number_required':
      return 'Choose which of your numbers to text from.';
    case 'idempotency_mismatch':
      return 'This message changed since the last try. Press Send again.';
    case 'not_found':
      return 'This contact is no longer available to you.';
    case 'invalid_send_at':
      return 'Choose a time in the future (within a year) to schedule this text.';
    case 'not_failed':
      return 'Only a failed text can be sent again.';
    case 'opt_out_review':
    case 'no_consent':
      return GATE_ERRORS[err.code];
    case 'network':
      return 'Could not reach the server. Check your connection and press Send again — the message will not be sent twice.';
    default:
      break;
  }
  if (err.status === 429) return 'Too many messages at once. Wait a moment, then press Send again.';
  if (err.status >= 500) return `The server had a problem (${err.status}). Press Send again — the message will not be sent twice.`;
  return err.message || 'The message could not be sent.';
}

const OPTED_OUT = 'This candidate has opted out of text messages — email or call them instead.';

/**
 * Opens the modal on a contact, showing its most recent thread (or the one
 * given), scrolled to a message when one is given (a search hit).
 * @param {any} contact
 * @param {{threadId?: number, messageId?: number, opener?: Element|null}=} opts
 */
export function openSmsModal(contact, opts = {}) {
  if (!contact || contact.id == null) return;
  if (M) teardown();
  ensureDialog();
  const ac = new AbortController();
  M = {
    contact: store.contacts.get(contact.id) || contact,
    opener: opts.opener || document.activeElement,
    threads: new Map(), // number id → thread of this contact
    thread: null,
    numberId: null, // chosen number when there is no thread yet
    messages: new Map(),
    // The latest status event of every message, shown or not yet: a status
    // can overtake the fetch or the send answer that brings its message.
    statuses: new Map(),
    hasMore: false,
    loadSeq: 0,
    sending: false,
    reading: false,
    loading: true,
    typers: new Map(),
    focusMessage: opts.messageId ?? null,
    ac,
    els: build(),
  };
  if (opts.threadId != null) {
    const known = store.inbox.get(opts.threadId);
    if (known) {
      M.thread = known;
      M.threads.set(known.number?.id, known);
    }
  }
  subscribe(ac.signal);
  render();
  /** @type {HTMLDialogElement} */ (dlg).showModal();
  M.els.compose.focus();
  load(opts.threadId ?? null);
}

/**
 * Opens the modal on a thread (from the inbox widget, a notification, or a
 * search hit, then at that message).
 */
export function openThreadModal(thread, opener, messageId) {
  if (!thread?.contact) return;
  openSmsModal(thread.contact, { threadId: thread.id, opener, messageId });
}

/** The open thread's id, or null. */
export function openThreadId() {
  return M?.thread?.id ?? null;
}

function ensureDialog() {
  if (dlg) return;
  dlg = /** @type {HTMLDialogElement} */ (h('dialog', {
    class: 'modal sms-modal',
    testid: 'sms-modal',
    'aria-labelledby': 'sms-modal-title',
    'aria-modal': 'true',
  }));
  // A close event is queued; when another contact's modal opened meanwhile
  // the dialog is open again and that modal must stay.
  dlg.addEventListener('close', () => {
    if (!dlg?.open) teardown();
  });
  dlg.addEventListener('keydown', trapFocus);
  // A click on the backdrop (outside the dialog box) closes it.
  dlg.addEventListener('click', (ev) => {
    if (ev.target === dlg) {
      const r = dlg.getBoundingClientRect();
      const inside = ev.clientX >= r.left && ev.clientX <= r.right && ev.clientY >= r.top && ev.clientY <= r.bottom;
      if (!inside) closeSmsModal();
    }
  });
  document.body.append(dlg);
}

/** Closes the modal. */
export function closeSmsModal() {
  if (dlg?.open) dlg.close();
  else teardown();
}

function teardown() {
  if (!M) return;
  const { ac, opener, els } = M;
  saveDraft();
  for (const t of M.typers.values()) clearTimeout(t.timer);
  if (M.thread) cancelTyping(M.thread.id);
  ac.abort();
  M = null;
  if (dlg?.open) dlg.close();
  els.root.remove();
  if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  else if (opener instanceof HTMLElement && opener.dataset.contactId) {
    // The icon was redrawn while the modal was open (blue turned green):
    // return focus to the icon that replaced it.
    const again = document.querySelector(`.sms-slot[data-contact-slot="${Number(opener.dataset.contactId)}"] button`);
    if (again instanceof HTMLElement) again.focus();
  }
}

function trapFocus(ev) {
  if (ev.key !== 'Tab' || !dlg) return;
  const items = [...dlg.querySelectorAll('button, [href], select, textarea, input, [tabindex]:not([tabindex="-1"])')]
    .filter((el) => !el.disabled && !el.hidden && el.getClientRects().length > 0);
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (ev.shiftKey && document.activeElement === first) {
    ev.preventDefault();
    last.focus();
  } else if (!ev.shiftKey && document.activeElement === last) {
    ev.preventDefault();
    first.focus();
  }
}

function build() {
  const title = h('h2', { id: 'sms-modal-title', class: 'modal-title' });
  const subtitle = h('p', { class: 'modal-subtitle muted' });
  const close = h('button', {
    type: 'button', class: 'icon-btn', testid: 'sms-close', 'aria-label': 'Close',
    on: { click: () => closeSmsModal() },
  }, h('span', { 'aria-hidden': 'true' }, '×'));
  const numberSelect = h('select', {
    testid: 'sms-number', id: 'sms-number', class: 'select',
    on: { change: () => chooseNumber(numberSelect.value ? Number(numberSelect.value) : null) },
  });
  const numberRow = h('div', { class: 'sms-number-row', hidden: true },
    h('label', { for: 'sms-number', class: 'field-label' }, 'Number'), numberSelect);
  const notice = h('p', { class: 'notice', testid: 'sms-notice', hidden: true });
  const claim = h('div', { class: 'claim-row', hidden: true, 'aria-live': 'polite' });
  const earlier = h('button', {
    type: 'button', class: 'btn btn-link', testid: 'sms-load-earlier', hidden: true,
    on: { click: () => loadEarlier() },
  }, 'Load earlier messages');
  const list = h('ol', { class: 'thread-list', testid: 'sms-thread', 'aria-label': 'Messages', role: 'log', 'aria-live': 'polite', 'aria-busy': 'true' });
  const empty = h('p', { class: 'thread-empty muted', hidden: true });
  const scroller = h('div', { class: 'thread-scroll' }, earlier, list, empty);
  const typing = h('p', { class: 'typing', testid: 'typing-indicator', 'aria-live': 'polite', hidden: true });
  const compose = /** @type {HTMLTextAreaElement} */ (h('textarea', {
    class: 'compose', testid: 'sms-compose', rows: 3, 'aria-describedby': 'sms-segments sms-limit',
    placeholder: 'Write a text…',
    on: { input: onInput, keydown: onComposeKey },
  }));
  const counter = h('span', { class: 'counter', id: 'sms-segments', testid: 'sms-segments' });
  const limit = h('span', { class: 'counter-limit', id: 'sms-limit', testid: 'sms-limit', hidden: true });
  const send = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'btn btn-primary', testid: 'sms-send' }, 'Send'));
  const error = h('p', { class: 'form-error', testid: 'sms-error', role: 'alert', hidden: true });
  const preview = h('p', { class: 'template-preview', testid: 'template-preview', 'aria-live': 'polite', hidden: true });
  const picker = templatePicker({ testid: 'template-picker', onPick: (t) => pickTemplate(t) });
  const schedule = scheduleControls(() => updateCounter());
  const plain = plainCharacters(compose, () => updateCounter());
  const form = h('form', { class: 'composer', on: { submit: (ev) => { ev.preventDefault(); doSend(); } } },
    h('div', { class: 'template-row' }, picker), preview,
    compose,
    h('div', { class: 'composer-foot' }, h('div', { class: 'counters' }, counter, limit), schedule.el, send),
    plain.el,
    error);
  // A possible opt-out waiting for a decision, above the composer.
  const review = h('div', { class: 'review-slot' });
  const root = h('div', { class: 'modal-body' },
    h('header', { class: 'modal-head' }, h('div', { class: 'modal-heading' }, title, subtitle), close),
    numberRow, claim, notice, scroller, typing, review, form);
  /** @type {HTMLDialogElement} */ (dlg).replaceChildren(root);
  list.addEventListener('click', (ev) => {
    const btn = ev.target instanceof Element ? ev.target.closest('[data-action]') : null;
    if (btn instanceof HTMLButtonElement) messageAction(btn);
  });
  return { root, title, subtitle, numberRow, numberSelect, claim, notice, earlier, list, empty, scroller, typing, review, compose, counter, limit, send, error, preview, picker, schedule, plain };
}

function subscribe(signal) {
  on('message', onMessage, signal);
  on('status', onStatus, signal);
  on('thread', (t) => {
    if (M?.thread && t.id === M.thread.id) {
      M.thread = { ...M.thread, ...t };
      M.threads.set(M.thread.number?.id, M.thread);
      renderNumbers();
      renderClaim();
    }
  }, signal);
  on('typing', onTyping, signal);
  on('contact', (c) => {
    if (M && c.id === M.contact.id) {
      M.contact = c;
      renderHeader();
    }
  }, signal);
  on('resync', () => {
    if (M) load(M.thread?.id ?? null);
  }, signal);
  on('me', () => {
    if (M) renderNumbers();
  }, signal);
  document.addEventListener('visibilitychange', () => maybeMarkRead(), { signal });
}

// ---- loading ----------------------------------------------------------------

async function load(threadId) {
  if (!M) return;
  const m = M;
  const seq = ++m.loadSeq;
  try {
    const res = await get(`/api/contacts/${m.contact.id}/messages`, { query: { limit: PAGE }, signal: m.ac.signal });
    if (M !== m || seq !== m.loadSeq) return;
    m.threads.clear();
    for (const t of res?.threads || []) {
      if (t.number) m.threads.set(t.number.id, t);
      if (t.contact && t.contact.id === m.contact.id) m.contact = t.contact;
    }
    let chosen = threadId != null ? [...m.threads.values()].find((t) => t.id === threadId) : null;
    if (!chosen && m.thread) chosen = m.threads.get(m.thread.number?.id) || null;
    if (!chosen) chosen = newestThread(m.threads);
    if (chosen) {
      await loadThread(chosen.id, seq);
    } else {
      m.thread = null;
      m.messages.clear();
      m.hasMore = false;
      const nums = myNumbers();
      m.numberId = nums.length === 1 ? nums[0].id : null;
      m.loading = false;
      render();
    }
  } catch (err) {
    if (isAbort(err) || M !== m) return;
    m.loading = false;
    render();
    showError(m.els.error, err instanceof ApiError && err.status === 404
      ? 'This contact is no longer available to you.'
      : `Could not load the messages: ${err.message}`);
  }
}

function newestThread(threads) {
  let best = null;
  for (const t of threads.values()) {
    const at = Date.parse(t.last_message_at || t.last_message?.created_at || '') || 0;
    const bt = best ? Date.parse(best.last_message_at || best.last_message?.created_at || '') || 0 : -1;
    if (!best || at > bt) best = t;
  }
  return best;
}

async function loadThread(threadId, seq = ++M.loadSeq) {
  const m = M;
  const res = await get(`/api/threads/${threadId}/messages`, { query: { limit: PAGE }, signal: m.ac.signal });
  if (M !== m || seq !== m.loadSeq) return;
  const thread = res?.thread || m.threads.get(m.thread?.number?.id) || { id: threadId };
  m.thread = thread;
  if (thread.number) m.threads.set(thread.number.id, thread);
  if (thread.contact && thread.contact.id === m.contact.id) m.contact = { ...m.contact, ...thread.contact };
  m.numberId = thread.number?.id ?? null;
  m.messages.clear();
  const msgs = res?.messages || [];
  for (const msg of msgs) m.messages.set(msg.id, mergeMessage(msg, m.statuses.get(msg.id)));
  m.hasMore = msgs.length >= PAGE;
  m.loading = false;
  render();
  scrollToEnd(true);
  maybeMarkRead();
  if (m.focusMessage != null) await revealMessage(m);
}

/**
 * Scrolls to the message the modal was opened at (a search hit), loading
 * earlier pages until it is there, and marks it.
 */
async function revealMessage(m) {
  const id = m.focusMessage;
  m.focusMessage = null;
  for (let i = 0; i < 40 && !m.messages.has(id) && m.hasMore && M === m; i++) await loadEarlier();
  if (M !== m) return;
  const li = m.els.list.querySelector(`[data-message-id="${Number(id)}"]`);
  if (!(li instanceof HTMLElement)) return;
  li.classList.add('msg-hit');
  li.dataset.hit = 'true';
  li.scrollIntoView({ block: 'center' });
}

async function loadEarlier() {
  if (!M?.thread || M.messages.size === 0) return;
  const m = M;
  const oldest = Math.min(...m.messages.keys());
  const before = m.els.scroller.scrollHeight;
  try {
    const res = await get(`/api/threads/${m.thread.id}/messages`, { query: { before: oldest, limit: PAGE }, signal: m.ac.signal });
    if (M !== m) return;
    const msgs = res?.messages || [];
    for (const msg of msgs) m.messages.set(msg.id, mergeMessage(msg, m.statuses.get(msg.id)));
    m.hasMore = msgs.length >= PAGE;
    renderMessages();
    // Keep the message the user was reading where it was.
    m.els.scroller.scrollTop += m.els.scroller.scrollHeight - before;
  } catch (err) {
    if (!isAbort(err)) showError(m.els.error, `Could not load earlier messages: ${err.message}`);
  }
}

function chooseNumber(numberId) {
  if (!M) return;
  showError(M.els.error, '');
  const t = numberId != null ? M.threads.get(numberId) : null;
  if (t) {
    M.thread = t;
    M.numberId = numberId;
    M.loading = true;
    render();
    loadThread(t.id).catch((err) => {
      if (!isAbort(err) && M) showError(M.els.error, `Could not load the messages: ${err.message}`);
    });
    return;
  }
  ++M.loadSeq;
  M.thread = null;
  M.numberId = numberId;
  M.messages.clear();
  M.hasMore = false;
  M.loading = false;
  render();
}

/** Viewing a thread with unread inbound messages while the tab is visible marks it read. */
async function maybeMarkRead() {
  if (!M || !M.thread || M.reading || !dlg?.open || document.visibilityState !== 'visible') return;
  const known = store.inbox.get(M.thread.id);
  const unread = (known ? known.unread_count : M.thread.unread_count) > 0;
  if (!unread) return;
  const m = M;
  m.reading = true;
  try {
    const t = await markRead(m.thread.id);
    if (M === m && t && m.thread && t.id === m.thread.id) m.thread = { ...m.thread, ...t };
  } catch (err) {
    if (!isAbort(err)) console.warn('mark read failed:', err.message);
  } finally {
    m.reading = false;
  }
}

// ---- live -------------------------------------------------------------------

function onMessage({ thread, message }) {
  if (!M || !thread || thread.contact?.id !== M.contact.id) return;
  if (thread.number) M.threads.set(thread.number.id, { ...(M.threads.get(thread.number.id) || {}), ...thread });
  if (M.thread && message && message.thread_id === M.thread.id) {
    M.thread = { ...M.thread, ...thread };
    renderClaim();
    addMessage(message);
    if (message.sent_by) clearTyper(message.sent_by.id);
    if (message.direction === 'inbound') maybeMarkRead();
  } else if (!M.thread && thread.number && (M.numberId === thread.number.id || (M.numberId == null && myNumbers().length <= 1))) {
    // The first message of a new thread on the number this modal is set to.
    M.thread = thread;
    M.numberId = thread.number.id;
    if (message) addMessage(message);
    if (message?.direction === 'inbound') maybeMarkRead();
  }
  renderNumbers();
}

function onStatus(message) {
  if (!M) return;
  M.statuses.set(message.id, mergeMessage(M.statuses.get(message.id), message));
  if (!M.messages.has(message.id)) return;
  const merged = mergeMessage(M.messages.get(message.id), message);
  M.messages.set(message.id, merged);
  const li = M.els.list.querySelector(`[data-message-id="${Number(message.id)}"]`);
  if (li) fillThreadMessage(/** @type {HTMLElement} */ (li), merged, M.contact, ACTIONS);
}

function onTyping({ thread_id: threadId, user }) {
  if (!M || !M.thread || threadId !== M.thread.id || !user) return;
  const prev = M.typers.get(user.id);
  if (prev) clearTimeout(prev.timer);
  const m = M;
  M.typers.set(user.id, {
    name: user.name || user.email || 'Someone',
    timer: setTimeout(() => {
      if (M === m) clearTyper(user.id);
    }, TYPING_SHOWN_MS),
  });
  renderTyping();
}

function clearTyper(userId) {
  const t = M?.typers.get(userId);
  if (!t) return;
  clearTimeout(t.timer);
  M.typers.delete(userId);
  renderTyping();
}

function addMessage(msg) {
  if (!M || !msg) return;
  const old = M.messages.get(msg.id);
  if (old) {
    onStatus(msg);
    return;
  }
  const merged = mergeMessage(msg, M.statuses.get(msg.id));
  M.messages.set(msg.id, merged);
  const list = M.els.list;
  const lastId = Math.max(-Infinity, ...[...M.messages.keys()].filter((id) => id !== msg.id));
  const nearEnd = isNearEnd();
  if (msg.id > lastId) list.append(threadMessage(merged, M.contact, ACTIONS));
  else renderMessages();
  M.els.empty.hidden = true;
  if (nearEnd || msg.direction === 'outbound') scrollToEnd(true);
}

// ---- composer ---------------------------------------------------------------

function onInput() {
  if (!M) return;
  updateCounter();
  if (M.thread && M.els.compose.value.trim() !== '') sendTyping(M.thread.id);
}

function onComposeKey(ev) {
  // Enter sends, Shift+Enter starts a new line (chat convention).
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey) {
    ev.preventDefault();
    doSend();
  }
}

function updateCounter() {
  if (!M) return;
  const { compose, counter, limit, send } = M.els;
  const c = countSegments(compose.value);
  counter.textContent = describeCount(c);
  counter.dataset.characters = String(c.characters);
  counter.dataset.encoding = c.encoding;
  counter.dataset.segments = String(c.segments);
  counter.classList.toggle('counter-over', c.tooLong);
  limit.hidden = !c.tooLong;
  limit.textContent = c.tooLong
    ? `Too long: texts are limited to ${MAX_CHARACTERS} characters. Remove ${c.characters - MAX_CHARACTERS}.`
    : '';
  const { schedule, plain } = M.els;
  send.disabled = M.sending || c.tooLong || compose.value.trim() === '' || (schedule.scheduled() && !schedule.value());
  if (!M.sending) send.textContent = schedule.scheduled() ? 'Schedule' : 'Send';
  plain.update();
}

/** A template was chosen: the server renders it for this contact, into the composer. */
async function pickTemplate(t) {
  if (!M) return;
  const m = M;
  const { preview, compose } = m.els;
  if (!t) {
    preview.hidden = true;
    preview.replaceChildren();
    return;
  }
  const numberId = m.thread?.number?.id ?? m.numberId ?? null;
  const p = await showPreview(preview, t.id, { contact_id: m.contact.id, number_id: numberId }, m.ac.signal);
  if (M !== m || !p) return;
  compose.value = p.body;
  updateCounter();
  compose.focus();
}

/** Cancels a scheduled text or resends a failed one (the bubble's buttons). */
async function messageAction(btn) {
  if (!M) return;
  const m = M;
  btn.disabled = true;
  try {
    const msg = await onMessageAction(btn.dataset.action || '', Number(btn.dataset.messageId));
    if (M !== m || !msg) return;
    if (m.messages.has(msg.id)) onStatus(msg);
    else addMessage(msg);
  } catch (err) {
    if (M === m) showError(m.els.error, btn.dataset.action === 'resend' ? sendErrorText(err) : `Could not cancel it: ${err.message}`);
    btn.disabled = false;
  }
}

function saveDraft() {
  if (!M) return;
  const text = M.els.compose.value;
  const d = drafts.get(M.contact.id);
  if (text) drafts.set(M.contact.id, { ...(d || {}), text });
  else drafts.delete(M.contact.id);
}

async function doSend() {
  if (!M || M.sending) return;
  const m = M;
  const { compose, send, error } = m.els;
  const body = compose.value;
  const c = countSegments(body);
  if (body.trim() === '' || c.tooLong) return;
  const numberId = m.thread?.number?.id ?? m.numberId ?? null;
  // One key per composed message, kept across retries of that same message.
  const sig = JSON.stringify([m.contact.id, numberId, body, m.els.schedule.value()]);
  let d = drafts.get(m.contact.id);
  if (!d || d.sig !== sig || !d.key) {
    d = { text: body, sig, key: randomKey() };
    drafts.set(m.contact.id, d);
  }
  m.sending = true;
  compose.readOnly = true;
  send.textContent = 'Sending…';
  send.setAttribute('aria-busy', 'true');
  updateCounter();
  showError(error, '');
  try {
    const payload = numberId != null ? { body, number_id: numberId } : { body };
    const sendAt = m.els.schedule.value();
    if (sendAt) payload.send_at = sendAt;
    const res = await post(`/api/contacts/${m.contact.id}/messages`, payload, {
      headers: { 'Idempotency-Key': d.key },
    });
    drafts.delete(m.contact.id);
    if (m.thread) cancelTyping(m.thread.id);
    if (M !== m) return;
    compose.value = '';
    m.els.schedule.reset();
    m.els.preview.hidden = true;
    m.els.picker.value = '';
    const msg = res?.message;
    markCommunicated(m.contact.id);
    if (msg) {
      if (m.thread && msg.thread_id === m.thread.id) addMessage(msg);
      else {
        await loadThread(msg.thread_id).catch(() => {});
        addMessage(msg);
      }
    }
  } catch (err) {
    if (err instanceof ApiError && err.code === 'idempotency_mismatch') drafts.delete(m.contact.id);
    if (err instanceof ApiError && err.code === 'opted_out' && m.contact.sms?.consent !== 'opted_out') {
      putContact({ ...m.contact, sms: { ...(m.contact.sms || {}), consent: 'opted_out', icon: 'hidden' } });
    }
    if (M === m) showError(error, sendErrorText(err));
  } finally {
    m.sending = false;
    compose.readOnly = false;
    send.removeAttribute('aria-busy');
    if (M === m) {
      updateCounter();
      compose.focus();
    }
  }
}

// ---- rendering --------------------------------------------------------------

/** The user's numbers plus the numbers of this contact's visible threads. */
function myNumbers() {
  const byId = new Map();
  for (const n of store.me?.numbers || []) byId.set(n.id, n);
  if (M) for (const t of M.threads.values()) if (t.number && !byId.has(t.number.id)) byId.set(t.number.id, t.number);
  return [...byId.values()];
}

function render() {
  if (!M) return;
  renderHeader();
  renderNumbers();
  renderClaim();
  renderMessages();
  renderTyping();
  const d = drafts.get(M.contact.id);
  if (d && !M.els.compose.value) M.els.compose.value = d.text || '';
  updateCounter();
}

function renderHeader() {
  const { title, subtitle, notice, error, compose } = M.els;
  const c = M.contact;
  title.textContent = c.name || c.phone || 'Contact';
  const kind = c.kind === 'hire' ? 'Hire' : c.kind === 'candidate' ? 'Candidate' : '';
  subtitle.textContent = [c.phone, kind].filter(Boolean).join(' · ');
  compose.setAttribute('aria-label', `Text message to ${c.name || c.phone || 'contact'}`);
  replace(M.els.review, reviewBanner(c));
  const optedOut = c.sms?.consent === 'opted_out';
  // Say it before the recruiter types, in the same words a refused send gets.
  if (optedOut) showError(error, OPTED_OUT);
  else if (error.textContent === OPTED_OUT) showError(error, '');
  notice.hidden = true;
  if (M.numberId == null && !M.thread && !M.loading && myNumbers().length === 0) {
    notice.textContent = 'You are not assigned to any number yet, so you cannot text. Ask an admin to assign you one.';
    notice.hidden = false;
  }
}

/** Who handles the open thread, with release and claim buttons. */
function renderClaim() {
  if (!M) return;
  const { claim, error } = M.els;
  const parts = claimControls(M.thread, (msg) => showError(error, msg));
  replace(claim, parts);
  claim.hidden = parts.length === 0;
}

function renderNumbers() {
  if (!M) return;
  const { numberRow, numberSelect } = M.els;
  const nums = myNumbers();
  const selected = M.thread?.number?.id ?? M.numberId;
  const options = [];
  if (selected == null) options.push(h('option', { value: '', selected: true, disabled: true }, 'Choose a number…'));
  for (const n of nums) {
    const t = M.threads.get(n.id);
    let label = n.label ? `${n.label} (${n.e164})` : n.e164;
    if (!t) label += ' — new conversation';
    else if (t.unread_count > 0) label += ` — ${t.unread_count} unread`;
    options.push(h('option', { value: n.id, selected: n.id === selected }, label));
  }
  replace(numberSelect, options);
  numberRow.hidden = nums.length <= 1;
}

function renderMessages() {
  const { list, empty, earlier } = M.els;
  const msgs = [...M.messages.values()].sort((a, b) => a.id - b.id);
  replace(list, msgs.map((m) => threadMessage(m, M.contact, ACTIONS)));
  list.setAttribute('aria-busy', String(M.loading));
  earlier.hidden = !M.hasMore;
  if (M.loading) {
    empty.textContent = 'Loading messages…';
    empty.hidden = false;
  } else if (msgs.length === 0) {
    const n = myNumbers().find((x) => x.id === (M.thread?.number?.id ?? M.numberId));
    empty.textContent = n
      ? `No messages with ${M.contact.name || 'this contact'} on ${n.label || n.e164} yet. Write the first one below.`
      : `No messages yet. ${myNumbers().length > 1 ? 'Choose a number, then write' : 'Write'} the first one below.`;
    empty.hidden = false;
  } else {
    empty.hidden = true;
  }
}

function renderTyping() {
  const { typing } = M.els;
  const names = [...M.typers.values()].map((t) => t.name);
  if (names.length === 0) {
    typing.hidden = true;
    typing.textContent = '';
    return;
  }
  typing.textContent = names.length === 1
    ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : 'Several people are typing…';
  typing.hidden = false;
}

function isNearEnd() {
  const el = M.els.scroller;
  return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
}

function scrollToEnd(force) {
  if (!M) return;
  const el = M.els.scroller;
  if (force || isNearEnd()) el.scrollTop = el.scrollHeight;
}
