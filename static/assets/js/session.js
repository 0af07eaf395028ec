// session.js — signing in and out, loading the user and the inbox, and
// applying the websocket's events to the store.

import { api, get, post, del, isAbort } from './api.js';
import { createLive } from './live.js';
import { store, emit, putContact, markCommunicated, clearSession } from './store.js';
import { notifyReply } from './notify.js';

let live = null;
let inboxFetch = null;

/** Loads GET /api/me into the store; throws ApiError (401 when signed out). */
export async function loadMe() {
  const me = await get('/api/me');
  store.me = me;
  emit('me', me);
  return me;
}

/** Refetches the inbox over REST (resync, assignment change). */
export function refreshInbox() {
  if (inboxFetch) return inboxFetch;
  inboxFetch = get('/api/inbox')
    .then((res) => {
      store.inbox.reset(res?.threads || []);
      store.inboxNext = res?.next_cursor ?? null;
      for (const t of res?.threads || []) if (t.contact) store.contacts.set(t.contact.id, t.contact);
      emit('inbox');
    })
    .catch((err) => {
      if (!isAbort(err)) console.warn('inbox refresh failed:', err.message);
    })
    .finally(() => {
      inboxFetch = null;
    });
  return inboxFetch;
}

/** Signs in; returns the user. */
export async function signIn(email, password) {
  const res = await api('POST', '/api/session', { body: { email, password }, auth: false });
  await loadMe().catch(() => {
    store.me = res.user;
  });
  return store.me;
}

/** Signs out on the server, then locally. */
export async function signOut() {
  // The socket first: the server closes it with "session ended" once the
  // session is gone, which must not read as being signed out from elsewhere.
  if (live) live.stop();
  try {
    await del('/api/session', { auth: false });
  } catch {
    // Signing out locally still makes sense when the server is unreachable.
  }
  endSession();
}

/**
 * Changes the signed-in user's password (POST /api/me/password). Every
 * other session of the user ends; this one stays.
 */
export async function changePassword(current, next) {
  await post('/api/me/password', { current, new: next });
}

/** Forgets the session in this tab (after sign-out or a 401). */
export function endSession() {
  if (live) live.stop();
  clearSession();
}

function wsURL() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`;
}

/** Starts the tab's websocket (idempotent). */
export function startLive(onUnauthenticated) {
  if (!live) {
    live = createLive({
      fetchTicket: async () => (await post('/api/ws-ticket', undefined, { auth: false })).ticket,
      wsURL,
      onHello,
      onEvent: applyEvent,
      onResync,
      onTopics,
      onStatus: (s) => {
        store.live = s;
        emit('live', s);
      },
      onUnauthenticated,
      // The role changed: the socket reconnects by itself; the pages and
      // the navigation follow the new role.
      onAccountChanged: () => loadMe().catch(() => {}),
    });
    addEventListener('online', () => live.nudge());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') live.nudge();
    });
  }
  live.start();
  return live;
}

/** Sends a typing frame for the thread (throttled to one per 2 s). */
export function sendTyping(threadId) {
  return live ? live.sendTyping(threadId) : false;
}

/** Drops a pending typing frame (the message was sent, the modal closed). */
export function cancelTyping(threadId) {
  if (live) live.cancelTyping(threadId);
}

function onHello(data, info) {
  const inbox = data.inbox || {};
  store.inbox.reset(inbox.threads || []);
  store.inboxNext = inbox.next_cursor ?? null;
  for (const t of inbox.threads || []) if (t.contact) store.contacts.set(t.contact.id, t.contact);
  emit('inbox');
  for (const topic of info.resync) onResync(topic);
  if (!info.first) {
    // After a reconnect: assignments may have changed while we were away.
    if (info.added.length || info.forgotten.length) loadMe().catch(() => {});
  }
}

function onResync(topic) {
  refreshInbox();
  emit('resync', topic);
}

function onTopics(data) {
  for (const t of data.removed || []) {
    const m = /^number:(\d+)$/.exec(t);
    if (m) store.inbox.dropNumber(Number(m[1]));
  }
  emit('inbox');
  loadMe().catch(() => {});
  refreshInbox();
}

/**
 * Applies one event frame. stale: the event is older than the inbox of the
 * last hello (a replay after reconnect), so the inbox already reflects it.
 */
export function applyEvent(frame, { stale } = { stale: false }) {
  const d = frame.data || {};
  switch (frame.type) {
    case 'message.created': {
      const { thread, message } = d;
      if (!stale && thread) {
        store.inbox.messageCreated(thread, message);
        emit('inbox');
      }
      const contactId = thread?.contact?.id;
      if (contactId != null) markCommunicated(contactId);
      emit('message', { thread, message, stale });
      if (!stale && message?.direction === 'inbound') notifyReply(thread, message);
      break;
    }
    case 'message.updated': {
      // A missed text's words arrived (its late webhook): the same message,
      // replaced in place wherever it shows. The copy's missed is said
      // outright, so that merging it over the old copy clears the flag.
      const { thread } = d;
      const message = d.message ? { ...d.message, missed: Boolean(d.message.missed) } : null;
      if (!stale && thread) {
        if (thread.last_message && message && thread.last_message.id === message.id) thread.last_message = message;
        store.inbox.put(thread);
        emit('inbox');
      }
      if (message) emit('message', { thread, message, stale, updated: true });
      break;
    }
    case 'message.status':
      if (d.message) {
        if (store.inbox.messageStatus(d.message)) emit('inbox');
        emit('status', d.message);
      }
      break;
    case 'thread.read':
    case 'thread.unread':
    case 'thread.claimed':
    case 'thread.released':
    case 'thread.claim_lapsed':
      if (d.thread) {
        if (!stale) {
          store.inbox.put(d.thread);
          emit('inbox');
        }
        emit('thread', d.thread);
      }
      break;
    case 'bulk.queued':
    case 'bulk.canceled':
      // A bulk send queued or canceled many texts on a number at once: one
      // event for them all, so what the number feeds is fetched again.
      if (!stale) onResync(frame.topic);
      break;
    case 'bulk.progress':
      if (d.bulk_send) emit('bulk', d.bulk_send);
      break;
    case 'contact.updated':
      if (d.contact) putContact(d.contact);
      break;
    case 'number.updated':
      loadMe().catch(() => {});
      refreshInbox();
      emit('number', d.number || null);
      break;
    case 'company.updated':
      loadMe().catch(() => {});
      refreshInbox();
      emit('company', d.company || d);
      break;
    case 'webhook.disabled':
      emit('webhook', d.webhook || null);
      break;
    case 'typing':
      if (d.thread_id != null && d.user && d.user.id !== store.me?.id) emit('typing', d);
      break;
    default:
      break;
  }
}

/** Marks a thread read and applies the answer. */
export async function markRead(threadId) {
  const t = await post(`/api/threads/${threadId}/read`);
  if (t && t.id != null) {
    store.inbox.put(t);
    emit('inbox');
    emit('thread', t);
  }
  return t;
}

/** Marks a thread unread for every assignee. */
export async function markUnread(threadId) {
  const t = await post(`/api/threads/${threadId}/unread`);
  if (t && t.id != null) {
    store.inbox.put(t);
    emit('inbox');
    emit('thread', t);
  }
  return t;
}
