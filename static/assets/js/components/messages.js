// messages.js — how one message reads: direction, sender, time, delivery
// status with its tick. Shared by the SMS modal and the profile history.

import { h, replace } from '../dom.js';
import { messageTime, fullTime, isoTime } from '../time.js';
import { heldNotice, mediaImages } from './consent.js';
import { messageActions } from './compose.js';

/** Words and ticks for each status. */
const STATUS = {
  received: { text: 'Received', tick: '' },
  queued: { text: 'Queued', tick: '◷' },
  sent: { text: 'Sent', tick: '✓' },
  delivered: { text: 'Delivered', tick: '✓✓' },
  undelivered: { text: 'Not delivered', tick: '!' },
  failed: { text: 'Failed', tick: '!' },
  // The send may have reached Plivo (the server died or timed out mid-call):
  // never sent again blindly; a report from Plivo or a timeout settles it.
  unknown: { text: 'Not confirmed yet, checking with Plivo', tick: '?' },
  scheduled: { text: 'Scheduled', tick: '☾' },
  canceled: { text: 'Not sent', tick: '!' },
};

/**
 * What a missed text says: an inbound text found in Plivo's records that no
 * webhook brought (the server was down); Plivo keeps no copy of its words.
 * @param {any} m Message
 */
export function missedText(m) {
  return `Text missed at ${messageTime(m.created_at)} while the server was down \u2014 Plivo keeps no copy of its words. Call or text them.`;
}

/** The notice a missed text shows instead of its words, or null. */
export function missedNotice(m) {
  if (!m?.missed) return null;
  return h('p', { class: 'msg-missed', testid: 'message-missed', role: 'note' },
    h('span', { class: 'msg-missed-icon', 'aria-hidden': 'true' }, '\u26a0 '), missedText(m));
}

/** "Delivered" etc. */
export function statusText(status) {
  return STATUS[status]?.text ?? (status || '');
}

/** Why a message failed, in words, or ''. */
export function failureReason(m) {
  if (m.status === 'canceled') return m.error_reason || 'It was not sent.';
  if (m.status !== 'failed' && m.status !== 'undelivered') return '';
  const reason = m.error_reason || '';
  const code = m.error_code ? `error ${m.error_code}` : '';
  return [reason, code].filter(Boolean).join(' · ') || 'The carrier did not deliver it.';
}

/** Who wrote the message: the contact, a user, or an automatic reply. */
export function senderName(m, contact) {
  if (m.direction === 'inbound') return contact?.name || contact?.phone || 'Candidate';
  return m.sent_by?.name || m.sent_by?.email || 'Automatic reply';
}

/** The status badge of an outbound message (updated in place on message.status). */
export function statusBadge(m) {
  const st = STATUS[m.status] || { text: m.status || '', tick: '' };
  const failed = m.status === 'failed' || m.status === 'undelivered' || m.status === 'canceled';
  return h('span', {
    class: ['msg-status', failed && 'msg-status-failed', m.status === 'delivered' && 'msg-status-delivered',
      m.status === 'unknown' && 'msg-status-unknown'],
    title: m.status === 'unknown'
      ? 'The server lost track of this text while sending it. It will not be sent twice; Plivo\u2019s report settles it.'
      : undefined,
    testid: 'message-status',
    'data-status': m.status,
  },
  st.tick ? h('span', { class: 'tick', 'aria-hidden': 'true' }, st.tick) : null,
  st.text);
}

/**
 * One message bubble of the SMS modal's thread; with opts.actions, a
 * scheduled text's cancel and a failed one's resend.
 * @param {any} m Message
 * @param {any} contact
 * @param {{actions?: boolean}=} opts
 */
export function threadMessage(m, contact, opts) {
  const li = h('li', {
    class: ['msg', m.direction === 'inbound' ? 'msg-in' : 'msg-out'],
    testid: 'thread-message',
    'data-direction': m.direction,
    'data-status': m.status,
    'data-message-id': m.id,
  });
  fillThreadMessage(li, m, contact, opts);
  return li;
}

/** (Re)fills a bubble, e.g. after its status changed or its words arrived. */
export function fillThreadMessage(li, m, contact, opts = {}) {
  li.setAttribute('data-status', m.status);
  if (m.missed) li.setAttribute('data-missed', 'true');
  else li.removeAttribute('data-missed');
  li.classList.toggle('msg-is-missed', Boolean(m.missed));
  const reason = failureReason(m);
  replace(li,
    missedNotice(m) || h('p', { class: 'msg-body' }, m.body || ''),
    h('p', { class: 'msg-meta' },
      h('span', { class: 'msg-sender' }, senderName(m, contact)),
      ' · ',
      h('time', { datetime: isoTime(m.created_at), title: fullTime(m.created_at) }, messageTime(m.created_at)),
      m.direction === 'outbound' ? [' · ', statusBadge(m)] : null,
      m.segments > 1 ? h('span', { class: 'msg-segments' }, ` · ${m.segments} segments`) : null),
    reason ? h('p', { class: 'msg-error', testid: 'message-error' }, reason) : null,
    m.hold_note || !opts?.actions ? heldNotice(m) : null,
    opts?.actions ? messageActions(m) : null,
    m.flagged ? h('p', { class: 'msg-flag', testid: 'message-flag' },
      'Mentions an opt-out word. If they want no more texts, stop texting them.') : null,
    mediaImages(m) || attachments(m),
  );
}

/** Links to an MMS message's media (only http(s) URLs become links). */
export function attachments(m) {
  const urls = (m.media_urls || []).filter((u) => /^https?:\/\//i.test(String(u)));
  if (urls.length === 0) return null;
  return h('p', { class: 'msg-media' }, urls.map((u, i) => [
    i ? ' · ' : '',
    h('a', { href: u, target: '_blank', rel: 'noopener noreferrer', 'data-external': '' }, `Attachment ${i + 1}`),
  ]));
}
