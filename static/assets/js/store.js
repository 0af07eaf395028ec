// store.js — what the tab knows: the signed-in user, the inbox, the latest
// copy of each contact seen, plus a small event emitter so that components
// update themselves when something changes.
//
// Emitted events (detail):
//   me       the user (GET /api/me) changed
//   inbox    the inbox model changed (bell, widget, title)
//   contact  a contact changed (icons, profile, modal)
//   message  {thread, message, stale, updated?} message.created, and
//            message.updated (a missed text's words: replace it in place)
//   status   message — message.status
//   thread   thread — a thread's read state changed
//   typing   {thread_id, user}
//   resync   topic — refetch over REST what the topic feeds (also after
//            bulk.queued and bulk.canceled on a number's topic)
//   bulk     a bulk send's progress (bulk.progress: the signed-in user's own)
//   company  company.updated
//   number   number.updated
//   webhook  webhook.disabled (an endpoint failed for 72 h)
//   live     'connecting' | 'open' | 'offline' | 'stopped'

import { InboxModel } from './inbox.js';

export const store = {
  /** @type {any} User with numbers, or null when signed out */
  me: null,
  /** whether the server runs in dev mode (the phone simulator exists) */
  dev: false,
  inbox: new InboxModel(),
  /** the next_cursor of the inbox's first page (hello, GET /api/inbox), or null */
  inboxNext: null,
  /** @type {Map<number, any>} contact id → latest Contact */
  contacts: new Map(),
  live: 'stopped',
};

const bus = new EventTarget();

/**
 * Subscribes to an event; returns the unsubscribe function. With a signal,
 * the subscription ends when the signal aborts (a page navigated away).
 * @param {string} type
 * @param {(detail: any) => void} fn
 * @param {AbortSignal=} signal
 */
export function on(type, fn, signal) {
  const listener = (ev) => fn(/** @type {CustomEvent} */ (ev).detail);
  bus.addEventListener(type, listener, { signal });
  return () => bus.removeEventListener(type, listener);
}

/** Emits an event to every subscriber. */
export function emit(type, detail) {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

export function isAdmin() {
  return store.me?.role === 'admin';
}

/** Records a contact seen in a response or event and tells the icons. */
export function putContact(contact) {
  if (!contact || contact.id == null) return;
  store.contacts.set(contact.id, contact);
  emit('contact', contact);
}

/** Records contacts from a list response without emitting per contact. */
export function rememberContacts(list) {
  for (const c of list || []) if (c && c.id != null) store.contacts.set(c.id, c);
}

/**
 * A message was exchanged with the contact: a blue icon turns green.
 * Hidden stays hidden (consent is the server's business).
 */
export function markCommunicated(contactId) {
  const c = store.contacts.get(contactId);
  if (c && c.sms && c.sms.icon === 'blue') {
    putContact({ ...c, sms: { ...c.sms, icon: 'green' } });
  } else if (!c) {
    emit('contact-green', contactId);
  }
}

/** Forgets everything about the signed-in user. */
export function clearSession() {
  store.me = null;
  store.inbox.reset([]);
  store.contacts.clear();
  emit('inbox');
  emit('me', null);
}
