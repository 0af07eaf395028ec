// consent.js — what the compliance rules show a recruiter where they look:
// a text held by quiet hours, a possible opt-out waiting for a decision,
// and an MMS's images (fetched through the server, which holds Plivo's
// credentials).

import { h } from '../dom.js';
import { post, errorText } from '../api.js';
import { putContact } from '../store.js';

/** "Held until 8:00 AM candidate's time" on a text waiting for quiet hours to end, or null. */
export function heldNotice(m) {
  if (!m || m.status !== 'scheduled') return null;
  const text = m.hold_note || 'Scheduled';
  return h('p', { class: 'held-notice', testid: 'held-notice', title: m.send_at ? new Date(m.send_at).toString() : '' },
    h('span', { 'aria-hidden': 'true' }, '☾ '), text);
}

/**
 * The possible opt-out banner of a contact under review, with its two
 * decisions; null when there is nothing to review. The answer updates the
 * contact everywhere (the server announces it too).
 * @param {any} contact
 * @param {{compact?: boolean}=} opts
 */
export function reviewBanner(contact, opts = {}) {
  if (!contact?.sms?.review) return null;
  const error = h('span', { class: 'form-error', role: 'alert', hidden: true });
  const decide = async (decision, btn) => {
    btn.disabled = true;
    try {
      const c = await post(`/api/contacts/${contact.id}/consent-review`, { decision });
      putContact(c);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
      btn.disabled = false;
    }
  };
  const keep = h('button', { type: 'button', class: 'btn btn-small', testid: 'review-keep' }, 'Not an opt-out');
  const optout = h('button', { type: 'button', class: 'btn btn-small btn-danger', testid: 'review-optout' }, 'Opt them out');
  keep.addEventListener('click', (ev) => { ev.stopPropagation(); decide('keep', keep); });
  optout.addEventListener('click', (ev) => { ev.stopPropagation(); decide('opt_out', optout); });
  // A missed text's words are lost: it may have been STOP. Calling them is
  // how to find out.
  const missed = contact.sms.review_reason === 'missed';
  return h('div', { class: ['review-banner', opts.compact && 'review-banner-compact'], testid: 'review-banner', role: 'status',
    'data-reason': contact.sms.review_reason || 'asked_to_stop' },
    h('p', { class: 'review-text' },
      h('strong', null, missed ? 'A text from them was missed — review. ' : 'Possible opt-out — review. '),
      opts.compact ? null : missed
        ? 'Plivo keeps no copy of its words, so it may have asked to stop. Call them to find out; no text goes to them until someone decides.'
        : 'They may have asked not to be texted. No text goes to them until someone decides.'),
    h('p', { class: 'review-actions' }, keep, ' ', optout, ' ', error));
}

/** The images (and other media) of an inbound MMS, through the server's proxy. */
export function mediaImages(m) {
  const n = (m?.media_urls || []).length;
  if (!n || !m.id || m.direction !== 'inbound') return null;
  const items = [];
  for (let i = 0; i < n; i++) {
    const src = `/api/messages/${Number(m.id)}/media/${i}`;
    items.push(h('a', { href: src, target: '_blank', rel: 'noopener', class: 'msg-media-link' },
      h('img', { src, alt: `Attachment ${i + 1}`, loading: 'lazy', class: 'msg-image', testid: 'message-media' })));
  }
  return h('p', { class: 'msg-media' }, items);
}

/** Why a send was refused or held, for a recruiter, by the server's code. */
export const GATE_ERRORS = {
  opt_out_review: 'Possible opt-out — review. They may have asked not to be texted; decide before texting them again.',
  no_consent: 'This candidate has not agreed to texts (or texted you more than 24 hours ago). Ask for consent from their profile, or email or call them.',
  consent_request_recent: 'They were asked for consent in the last 30 days. Wait for their answer.',
  already_opted_in: 'They have agreed to texts already.',
  consent_forbidden: 'Only an admin or the ATS can change a candidate\u2019s consent.',
};
