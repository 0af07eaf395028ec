// profile.js — the Candidate Profile (/candidates/{id}): phone with the SMS
// icon next to it, consent with its source and date, and the expandable
// "SMS Message History", kept live.

import { h, replace, append } from '../dom.js';
import { get, post, isAbort, errorText } from '../api.js';
import { reviewBanner, heldNotice, mediaImages, GATE_ERRORS } from '../components/consent.js';
import { store, on, putContact, isAdmin } from '../store.js';
import { smsIcon } from '../components/smsicon.js';
import { senderName, statusBadge, failureReason, attachments, missedNotice } from '../components/messages.js';
import { fullTime, isoTime, longDate } from '../time.js';
import { pageHead, loadError, kindBadge, focusHeading } from './common.js';
import { mergeMessage } from '../inbox.js';

const HISTORY_LIMIT = 200;

const SOURCES = {
  application: 'when applying',
  ats: 'by the ATS',
  keyword: 'by text keyword',
  admin: 'by an admin',
  phone_changed: 'when the phone number changed',
  inbound: '(they texted first)',
  carrier: 'through their carrier',
  review: 'after a review',
  request: 'when asked by text',
};

/** What each ledger entry means, for the consent history. */
const ENTRY_TEXT = {
  application: 'Opted in when applying (ATS)',
  ats: 'Changed by the ATS',
  keyword: 'Texted a keyword',
  admin: 'Changed by an admin',
  phone_changed: 'Phone number changed: consent reset',
  inbound: 'Texted first: replies allowed for 24 hours',
  carrier: 'Carrier reported an opt-out',
  review: 'Possible opt-out reviewed',
  request: 'Asked for consent by text',
};

const STATES = { opted_in: 'Opted in', opted_out: 'Opted out', unknown: 'Not asked yet', implied: 'Texted you first' };

/** "Opted in when applying · 3 Mar 2025". */
export function consentText(sms) {
  const state = STATES[sms?.consent] || 'Unknown';
  const parts = [state];
  if (sms?.source && sms.consent !== 'unknown') parts[0] += ` ${SOURCES[sms.source] || `(${sms.source})`}`;
  if (sms?.changed_at) parts.push(longDate(sms.changed_at));
  return parts.join(' · ');
}

/** @param {import('../router.js').PageContext} ctx */
export default async function profilePage(ctx) {
  const { main, signal, params } = ctx;
  const id = Number(params.id);
  let contact;
  try {
    contact = await get(`/api/contacts/${id}`, { signal });
  } catch (err) {
    if (isAbort(err)) return;
    append(main, h('p', { class: 'crumbs' }, h('a', { href: '/candidates' }, '← Candidate Pool')),
      loadError(err, err.status === 404 ? 'this profile (it does not exist)' : 'this profile'));
    return;
  }
  putContact(contact);

  const consent = h('dd', { testid: 'contact-consent' });
  // The icon sits inside contact-phone, right after the number; the
  // icon has no text, so contact-phone's text is the number alone.
  const phone = h('dd', { class: 'phone-line' },
    h('span', { testid: 'contact-phone', class: 'phone-wrap' },
      h('span', { class: 'phone' }, contact.phone || '—'), smsIcon(contact)));
  const renderConsent = (c) => {
    consent.textContent = consentText(c.sms);
    consent.dataset.consent = c.sms?.consent || '';
  };
  renderConsent(contact);

  // Consent: a possible opt-out to review, the ledger, and asking by text.
  const reviewSlot = h('div', { class: 'review-slot' });
  const historyList = h('ol', { class: 'consent-history', testid: 'consent-history', 'aria-label': 'Consent history, oldest first' });
  const ask = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'btn btn-small', testid: 'ask-consent' }, 'Ask for consent by text'));
  const askStatus = h('p', { class: 'muted small', testid: 'ask-consent-status', role: 'status' });
  const renderReview = (c) => {
    replace(reviewSlot, reviewBanner(c));
    ask.hidden = !(c.sms?.consent === 'unknown' || c.sms?.consent === 'implied') || Boolean(c.sms?.review);
  };
  renderReview(contact);
  async function loadConsent() {
    try {
      const res = await get(`/api/contacts/${id}/consent-history`, { signal });
      replace(historyList, (res?.entries || []).map((e) => h('li', {
        class: 'consent-entry', testid: 'consent-entry', 'data-source': e.source, 'data-state': e.state,
      },
      h('time', { datetime: isoTime(e.at) }, fullTime(e.at)), ' · ',
      h('span', { class: 'consent-what' }, ENTRY_TEXT[e.source] || e.source),
      e.keyword ? ` (${e.keyword})` : '',
      ' → ', h('strong', null, STATES[e.state] || e.state),
      e.user ? h('span', { class: 'muted' }, ` · by ${e.user.name || e.user.email}`) : null,
      e.note ? h('span', { class: 'muted' }, ` · ${e.note}`) : null)));
      if (!res?.entries?.length) replace(historyList, h('li', { class: 'muted' }, 'No consent changes recorded yet.'));
    } catch (err) {
      if (!isAbort(err)) replace(historyList, h('li', { class: 'form-error' }, `Could not load the consent history: ${errorText(err)}`));
    }
  }
  ask.addEventListener('click', async () => {
    ask.disabled = true;
    askStatus.textContent = 'Sending…';
    try {
      const res = await post(`/api/contacts/${id}/consent-request`, {});
      const m = res?.message;
      askStatus.textContent = m?.status === 'scheduled' ? `Consent request ${m.hold_note ? m.hold_note.charAt(0).toLowerCase() + m.hold_note.slice(1) : 'scheduled'}.` : 'Consent request sent. A YES from them opts them in.';
      loadConsent();
    } catch (err) {
      askStatus.textContent = GATE_ERRORS[err?.code] || (err?.code === 'number_required' ? 'You have several numbers: open the conversation and text them from the right one.' : errorText(err));
      ask.disabled = false;
    }
  });
  loadConsent();

  const toggle = h('button', {
    type: 'button', class: 'disclosure', testid: 'sms-history-toggle',
    'aria-expanded': 'false', 'aria-controls': 'sms-history',
  }, h('span', { class: 'chevron', 'aria-hidden': 'true' }), 'SMS Message History');
  const history = h('div', { id: 'sms-history', class: 'history', testid: 'sms-history', hidden: true, 'aria-busy': 'true' });
  const list = h('ol', { class: 'history-list', 'aria-label': 'Messages, oldest first' });
  const note = h('p', { class: 'muted' });
  const earlier = h('button', { type: 'button', class: 'btn btn-link', testid: 'history-load-earlier', hidden: true }, 'Load earlier messages');
  history.append(earlier, list, note);

  append(main, 
    h('p', { class: 'crumbs' }, h('a', { href: '/candidates' }, '← Candidate Pool')),
    pageHead(contact.name || contact.phone || `Contact #${id}`, kindBadge(contact.kind)),
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('dt', null, 'Phone'), phone,
        h('dt', null, 'Email'), h('dd', { testid: 'contact-email' }, contact.email || '—'),
        h('dt', null, 'Text messages'), consent,
        contact.external_id ? [h('dt', null, 'ATS id'), h('dd', null, contact.external_id)] : null)),
    reviewSlot,
    h('section', { class: 'card' }, h('h2', { class: 'section-title' }, 'Text message consent'),
      historyList, h('p', null, ask), askStatus),
    h('section', { class: 'card' }, h('h2', { class: 'section-title' }, toggle), history),
    isAdmin() ? h('p', { class: 'muted small' },
      h('a', { href: `/admin/reports/sms-activity?contact_id=${id}` }, 'See every number\u2019s messages with this contact in the SMS Activity report')) : null);

  /** @type {Map<number, any>} */
  const threads = new Map();
  /** @type {Map<number, any>} */
  const messages = new Map();
  let loaded = false;
  let hasMore = false;

  function numberOf(m) {
    return threads.get(m.thread_id)?.number;
  }

  function item(m) {
    const n = numberOf(m);
    const reason = failureReason(m);
    return h('li', {
      class: ['history-item', m.direction === 'inbound' ? 'history-in' : 'history-out'],
      testid: 'history-message', 'data-direction': m.direction, 'data-status': m.status, 'data-message-id': m.id,
      'data-missed': m.missed ? 'true' : undefined,
    },
    h('p', { class: 'history-meta' },
      h('span', { class: 'history-number', testid: 'history-number' }, n ? (n.label || n.e164) : ''),
      h('span', { class: 'history-direction' }, m.direction === 'inbound' ? '↙ Received' : '↗ Sent'),
      h('span', { class: 'history-sender' }, senderName(m, store.contacts.get(id) || contact)),
      h('time', { datetime: isoTime(m.created_at) }, fullTime(m.created_at)),
      m.direction === 'outbound' ? statusBadge(m) : null),
    missedNotice(m) || h('p', { class: 'history-body' }, m.body || ''),
    reason ? h('p', { class: 'msg-error' }, reason) : null,
    m.flagged ? h('p', { class: 'msg-flag' }, 'Mentions an opt-out word.') : null,
    heldNotice(m),
    mediaImages(m) || attachments(m));
  }

  function render() {
    const sorted = [...messages.values()].sort((a, b) => a.id - b.id);
    replace(list, sorted.map(item));
    earlier.hidden = !hasMore;
    note.textContent = sorted.length === 0
      ? 'No text messages with this contact on your numbers yet.'
      : isAdmin() ? 'Only messages on numbers you are assigned to are listed here; the SMS Activity report has them all.' : '';
  }

  async function load(before) {
    history.setAttribute('aria-busy', 'true');
    try {
      const res = await get(`/api/contacts/${id}/messages`, { query: { limit: HISTORY_LIMIT, before }, signal });
      for (const t of res?.threads || []) threads.set(t.id, t);
      const msgs = res?.messages || [];
      if (before == null) messages.clear();
      for (const m of msgs) messages.set(m.id, m);
      hasMore = msgs.length >= HISTORY_LIMIT;
      loaded = true;
      render();
    } catch (err) {
      if (isAbort(err)) return;
      replace(note, `Could not load the message history: ${errorText(err)}`);
    } finally {
      if (!signal.aborted) history.setAttribute('aria-busy', 'false');
    }
  }

  toggle.addEventListener('click', async () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    history.hidden = !open;
    if (open && !loaded) {
      note.textContent = 'Loading…';
      await load();
    }
  });
  earlier.addEventListener('click', () => {
    const oldest = Math.min(...messages.keys());
    if (Number.isFinite(oldest)) load(oldest);
  });

  on('contact', (c) => {
    if (c.id !== id) return;
    renderConsent(c);
    renderReview(c);
    loadConsent();
  }, signal);
  on('message', ({ thread, message }) => {
    if (!loaded || !message || thread?.contact?.id !== id) return;
    threads.set(thread.id, thread);
    messages.set(message.id, mergeMessage(messages.get(message.id), message));
    const li = item(messages.get(message.id));
    const old = list.querySelector(`[data-message-id="${Number(message.id)}"]`);
    if (old) old.replaceWith(li);
    else render();
  }, signal);
  on('status', (m) => {
    if (!messages.has(m.id)) return;
    messages.set(m.id, mergeMessage(messages.get(m.id), m));
    const old = list.querySelector(`[data-message-id="${Number(m.id)}"]`);
    if (old) old.replaceWith(item(messages.get(m.id)));
  }, signal);
  on('resync', () => {
    if (loaded) load();
  }, signal);
  focusHeading(main);
}
