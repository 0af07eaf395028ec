// claim.js — who is handling a thread: the claim badge ("Ana Ruiz is
// handling this") on inbox items and in the SMS modal, the release button of
// the holder (and of admins), and claiming from the modal. A read claims the
// thread for the reader (when the company has claim_on_read on); a reply
// ends the claim; a claim left unanswered lapses and the bell rises again
// for everyone — the server does all of that, and the events tell every tab.

import { h } from '../dom.js';
import { post, del, errorText, ApiError } from '../api.js';
import { store, emit, isAdmin } from '../store.js';
import { messageTime, fullTime } from '../time.js';

/** The user handling the thread, or null. */
export function claimer(t) {
  return t?.claimed_by || null;
}

/** "You are handling this" or "Ana Ruiz is handling this". */
export function claimText(t) {
  const u = claimer(t);
  if (!u) return '';
  if (u.id === store.me?.id) return 'You are handling this';
  return `${u.name || u.email} is handling this`;
}

function applyThread(t) {
  if (t && t.id != null) {
    store.inbox.put(t);
    emit('inbox');
    emit('thread', t);
  }
  return t;
}

/** Claims the thread for me; takeOver takes it from whoever has it. */
export async function claimThread(threadId, takeOver = false) {
  return applyThread(await post(`/api/threads/${threadId}/claim`, takeOver ? { take_over: true } : undefined));
}

/** Releases the thread's claim: it is unread again for every assignee. */
export async function releaseThread(threadId) {
  return applyThread(await del(`/api/threads/${threadId}/claim`));
}

/** What a failed claim or release says, in words. */
export function claimErrorText(err) {
  if (err instanceof ApiError && err.code === 'thread_claimed') return err.message;
  if (err instanceof ApiError && err.code === 'not_claimer') return 'Only the person handling it, or an admin, can release it.';
  return errorText(err);
}

/** Whether I may release the thread's claim: mine, or I am an admin. */
export function canRelease(t) {
  const u = claimer(t);
  return !!u && (u.id === store.me?.id || isAdmin());
}

/**
 * The badge naming who handles the thread, or null when nobody does.
 * @param {any} t a Thread
 */
export function claimBadge(t) {
  const u = claimer(t);
  if (!u) return null;
  const until = t.claim_expires_at ? `until ${messageTime(t.claim_expires_at)}` : '';
  return h('span', {
    class: ['claim-badge', u.id === store.me?.id && 'claim-mine'],
    testid: 'claim-badge',
    'data-user-id': u.id,
    title: until ? `${claimText(t)} ${until} (${fullTime(t.claim_expires_at)}) unless someone replies` : claimText(t),
  }, claimText(t));
}

/**
 * The release button of a claimed thread, for its holder and admins; null
 * for anyone else.
 * @param {any} t a Thread
 * @param {(msg: string) => void} onError
 */
export function releaseButton(t, onError) {
  if (!canRelease(t)) return null;
  const btn = /** @type {HTMLButtonElement} */ (h('button', {
    type: 'button', class: 'btn btn-small btn-quiet', testid: 'claim-release',
    title: 'Stop handling it: it is unread again for everyone on the number',
    'aria-label': `Release ${claimer(t)?.id === store.me?.id ? 'your' : 'this'} claim: the conversation is unread again for everyone`,
  }, 'Release'));
  btn.addEventListener('click', async (ev) => {
    ev.stopPropagation();
    btn.disabled = true;
    try {
      await releaseThread(t.id);
    } catch (err) {
      onError(`Could not release it: ${claimErrorText(err)}`);
      btn.disabled = false;
    }
  });
  return btn;
}

/**
 * The modal's claim row: the badge, release for its holder and admins, and a
 * button to claim it (or take it over from someone else).
 * @param {any} t a Thread, or null before the thread exists
 * @param {(msg: string) => void} onError
 */
export function claimControls(t, onError) {
  if (!t || t.id == null) return [];
  const u = claimer(t);
  const parts = [claimBadge(t), releaseButton(t, onError)];
  if (!u || u.id !== store.me?.id) {
    const take = /** @type {HTMLButtonElement} */ (h('button', {
      type: 'button', class: 'btn btn-small btn-quiet', testid: 'claim-take',
    }, u ? 'Take over' : 'Handle this'));
    take.addEventListener('click', async () => {
      take.disabled = true;
      try {
        await claimThread(t.id, !!u);
      } catch (err) {
        onError(claimErrorText(err));
        take.disabled = false;
      }
    });
    parts.push(take);
  }
  return parts;
}
