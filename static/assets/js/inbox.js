// inbox.js — the client's model of the inbox: the threads the user can see,
// the bell count and the widget's order. Pure logic, no DOM (tested by
// static/test/inbox.test.mjs).

/** @param {any} t a Thread */
export function threadTime(t) {
  const s = t?.last_message_at || t?.last_message?.created_at;
  const ms = s ? Date.parse(s) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * How far along its life a message's status is; a status never goes back.
 * A send in doubt (unknown) and queued rank alike: either may follow the
 * other (Plivo's "queued" settles a doubt), so the newer copy wins.
 */
const STATUS_RANK = { queued: 1, unknown: 1, sent: 2, delivered: 3, undelivered: 3, failed: 3, received: 3 };

/**
 * Merges a newer copy of a message into the known one. A copy can be older
 * than it looks: the answer to a send, or a page fetched while the send was
 * under way, can arrive after the live status events that overtook it; its
 * status must not take the message back from "delivered" to "queued".
 * @param {any} old the known copy, if any
 * @param {any} msg the copy that just arrived
 */
export function mergeMessage(old, msg) {
  if (!old) return msg;
  if (!msg) return old;
  const merged = { ...old, ...msg };
  if ((STATUS_RANK[old.status] || 0) > (STATUS_RANK[msg.status] || 0)) {
    merged.status = old.status;
    merged.error_code = old.error_code;
    merged.error_reason = old.error_reason;
  }
  // A missed text (its words lost) only ever gets its words, never loses
  // them: a copy with them wins over one without, whichever came last.
  if (old.missed || msg.missed) {
    const filled = !msg.missed ? msg : !old.missed ? old : null;
    if (filled) {
      merged.missed = false;
      for (const k of WORDS) merged[k] = filled[k];
    }
  }
  return merged;
}

/** What a missed text's late webhook brings. */
const WORDS = ['body', 'media_urls', 'flagged', 'segments', 'encoding'];

/**
 * The newer of two copies of a thread's last message: the later message
 * (a thread's messages only ever grow), or the two copies of one merged.
 */
function newerLast(old, msg) {
  if (!old || !msg) return msg || old;
  if (old.id !== msg.id) return old.id > msg.id ? old : msg;
  return mergeMessage(old, msg);
}

export class InboxModel {
  constructor() {
    /** @type {Map<number, any>} thread id → Thread */
    this.threads = new Map();
  }

  /** Replaces every known thread (hello, GET /api/inbox). */
  reset(threads) {
    this.threads.clear();
    for (const t of threads || []) this.put(t);
  }

  /**
   * A thread object from an event or a response replaces the known one.
   * Fields the new object lacks are kept from the old one.
   * @returns {any} the stored thread
   */
  put(thread) {
    if (!thread || thread.id == null) return null;
    const old = this.threads.get(thread.id);
    const merged = old ? { ...old } : {};
    for (const [k, v] of Object.entries(thread)) if (v !== undefined) merged[k] = v;
    // An answer that left the server before a newer event arrives after
    // it: its copy of the last message must not take the preview back.
    if (old?.last_message && thread.last_message) {
      merged.last_message = newerLast(old.last_message, thread.last_message);
      if (merged.last_message === old.last_message) merged.last_message_at = old.last_message_at;
    }
    this.threads.set(thread.id, merged);
    return merged;
  }

  /**
   * message.created: the event's thread replaces the known one; its
   * last_message is the new message when the thread omits it.
   */
  messageCreated(thread, message) {
    if (!thread) return null;
    const t = { ...thread };
    if (!t.last_message && message) t.last_message = message;
    if (!t.last_message_at && message) t.last_message_at = message.created_at;
    return this.put(t);
  }

  /** message.status: refresh the preview's status when it is the last message. */
  messageStatus(message) {
    const t = message && this.threads.get(message.thread_id);
    if (t && t.last_message && t.last_message.id === message.id) {
      t.last_message = mergeMessage(t.last_message, message);
      return t;
    }
    return null;
  }

  /** Drops the threads of a number the user no longer sees. */
  dropNumber(numberId) {
    for (const [id, t] of this.threads) if (t.number?.id === numberId) this.threads.delete(id);
  }

  /** The bell: how many threads have unread messages. */
  get unread() {
    let n = 0;
    for (const t of this.threads.values()) if (t.unread_count > 0) n++;
    return n;
  }

  /** Threads for the widget: unread first, then newest first. */
  sorted() {
    return [...this.threads.values()].sort((a, b) => {
      const ua = a.unread_count > 0 ? 1 : 0;
      const ub = b.unread_count > 0 ? 1 : 0;
      if (ua !== ub) return ub - ua;
      const d = threadTime(b) - threadTime(a);
      return d !== 0 ? d : b.id - a.id;
    });
  }

  get(id) {
    return this.threads.get(id) ?? null;
  }

  /** Threads of one contact. */
  forContact(contactId) {
    return [...this.threads.values()].filter((t) => t.contact?.id === contactId);
  }
}

/** The inbox widget's filters, as GET /api/inbox names them. */
export const FILTERS = ['unread', 'awaiting', 'mine', 'all'];

/**
 * Whether a thread belongs in the widget under a filter, the way the server
 * decides it: unread (unread messages), awaiting (the contact's latest text
 * is unanswered), mine (claimed by me, or last answered by me), all.
 * @param {any} t a Thread
 * @param {string} filter
 * @param {number|null|undefined} meId
 */
export function inFilter(t, filter, meId) {
  switch (filter) {
    case 'unread':
      return t.unread_count > 0;
    case 'awaiting':
      return !!t.awaiting_since;
    case 'mine':
      return meId != null && (t.claimed_by?.id === meId || t.replied_by?.id === meId);
    default:
      return true;
  }
}
