// Unit tests of the client's inbox model (bell count, widget order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InboxModel, mergeMessage, inFilter } from '../assets/js/inbox.js';

const t = (id, unread, at, number = 1) => ({
  id, unread_count: unread, last_message_at: at, number: { id: number }, contact: { id: id * 10 },
});

test('the bell counts threads with unread messages, not messages', () => {
  const m = new InboxModel();
  m.reset([t(1, 3, '2025-01-01T00:00:00Z'), t(2, 0, '2025-01-02T00:00:00Z'), t(3, 1, '2025-01-03T00:00:00Z')]);
  assert.equal(m.unread, 2);
});

test('a thread from an event replaces the known one (read clears the bell)', () => {
  const m = new InboxModel();
  m.reset([t(1, 2, '2025-01-01T00:00:00Z')]);
  m.put({ id: 1, unread_count: 0, read_by: { id: 5, name: 'Ana' }, read_at: '2025-01-01T00:01:00Z' });
  assert.equal(m.unread, 0);
  assert.equal(m.get(1).read_by.name, 'Ana');
  assert.equal(m.get(1).number.id, 1, 'fields the event lacks are kept');
});

test('unread first, then newest first', () => {
  const m = new InboxModel();
  m.reset([
    t(1, 0, '2025-01-05T00:00:00Z'),
    t(2, 1, '2025-01-01T00:00:00Z'),
    t(3, 0, '2025-01-09T00:00:00Z'),
    t(4, 2, '2025-01-03T00:00:00Z'),
  ]);
  assert.deepEqual(m.sorted().map((x) => x.id), [4, 2, 3, 1]);
});

test('message.created fills last_message and raises the bell', () => {
  const m = new InboxModel();
  const msg = { id: 9, thread_id: 7, body: 'hi', direction: 'inbound', created_at: '2025-02-01T00:00:00Z' };
  m.messageCreated({ id: 7, unread_count: 1, number: { id: 2 } }, msg);
  assert.equal(m.unread, 1);
  assert.equal(m.get(7).last_message.body, 'hi');
  assert.equal(m.get(7).last_message_at, msg.created_at);
});

test('message.status updates the preview of the last message only', () => {
  const m = new InboxModel();
  m.put({ id: 7, unread_count: 0, last_message: { id: 9, thread_id: 7, status: 'queued' } });
  assert.ok(m.messageStatus({ id: 9, thread_id: 7, status: 'delivered' }));
  assert.equal(m.get(7).last_message.status, 'delivered');
  assert.equal(m.messageStatus({ id: 8, thread_id: 7, status: 'failed' }), null);
});

test('dropping a number forgets its threads', () => {
  const m = new InboxModel();
  m.reset([t(1, 1, null, 1), t(2, 1, null, 2)]);
  m.dropNumber(1);
  assert.deepEqual([...m.threads.keys()], [2]);
  assert.equal(m.unread, 1);
});

test('a stale copy of a message never takes its status back', () => {
  const delivered = { id: 7, status: 'delivered', body: 'Hi' };
  const answer = { id: 7, status: 'queued', body: 'Hi', segments: 1 };
  assert.deepEqual(mergeMessage(delivered, answer), { id: 7, status: 'delivered', body: 'Hi', segments: 1, error_code: undefined, error_reason: undefined });
  assert.equal(mergeMessage({ id: 7, status: 'queued' }, { id: 7, status: 'sent' }).status, 'sent');
  const failed = mergeMessage({ id: 7, status: 'sent' }, { id: 7, status: 'failed', error_code: '30', error_reason: 'Unknown' });
  assert.equal(failed.error_reason, 'Unknown');
  assert.equal(mergeMessage(undefined, answer), answer);
  assert.equal(mergeMessage(answer, undefined), answer);
});

test('a send in doubt shows as unknown until a report settles it', () => {
  // queued → unknown (the send timed out) and unknown → queued (Plivo's
  // "queued" report) both happen: the newer copy wins between the two.
  assert.equal(mergeMessage({ id: 7, status: 'queued' }, { id: 7, status: 'unknown' }).status, 'unknown');
  assert.equal(mergeMessage({ id: 7, status: 'unknown' }, { id: 7, status: 'queued' }).status, 'queued');
  assert.equal(mergeMessage({ id: 7, status: 'unknown' }, { id: 7, status: 'delivered' }).status, 'delivered');
  assert.equal(mergeMessage({ id: 7, status: 'failed', error_reason: 'no report' }, { id: 7, status: 'unknown' }).status, 'failed');
});

test('the preview keeps the newest status of the last message', () => {
  const m = new InboxModel();
  m.reset([{ id: 1, unread_count: 0, last_message: { id: 7, thread_id: 1, status: 'delivered' } }]);
  m.messageStatus({ id: 7, thread_id: 1, status: 'sent' });
  assert.equal(m.get(1).last_message.status, 'delivered');
});

test('the widget filters keep what the server keeps', () => {
  const me = 5;
  const threads = [
    { id: 1, unread_count: 2, awaiting_since: '2025-01-01T00:00:00Z' },
    { id: 2, unread_count: 0, claimed_by: { id: me } },
    { id: 3, unread_count: 0, replied_by: { id: me }, claimed_by: { id: 9 } },
    { id: 4, unread_count: 0, replied_by: { id: 9 } },
  ];
  const keep = (f) => threads.filter((t) => inFilter(t, f, me)).map((t) => t.id);
  assert.deepEqual(keep('unread'), [1]);
  assert.deepEqual(keep('awaiting'), [1]);
  assert.deepEqual(keep('mine'), [2, 3]);
  assert.deepEqual(keep('all'), [1, 2, 3, 4]);
  assert.deepEqual(threads.filter((t) => inFilter(t, 'mine', null)).length, 0, 'no user, nothing is mine');
});

test('a missed text only ever gets its words: no older copy takes them back', () => {
  const missed = { id: 9, direction: 'inbound', status: 'received', body: '', missed: true, segments: 0 };
  const filled = { id: 9, direction: 'inbound', status: 'received', body: 'STOP', segments: 1 };
  const m1 = mergeMessage(missed, filled);
  assert.equal(m1.missed, false);
  assert.equal(m1.body, 'STOP');
  const m2 = mergeMessage(filled, missed); // a stale copy after the words came
  assert.equal(m2.missed, false);
  assert.equal(m2.body, 'STOP');
  assert.equal(m2.segments, 1);
  assert.equal(mergeMessage(missed, { ...missed }).missed, true);
});

test("a thread's answer that left before an event does not take its preview back", () => {
  const inbox = new InboxModel();
  const stale = { id: 1, unread_count: 1, last_message: { id: 9, body: '', missed: true }, last_message_at: '2026-03-02T15:02:00Z' };
  inbox.put(stale);
  inbox.put({ id: 1, unread_count: 0, last_message: { id: 9, body: 'STOP', missed: false }, last_message_at: '2026-03-02T15:02:00Z' });
  inbox.put({ ...stale, unread_count: 0 }); // the read's answer, written before the words came
  assert.equal(inbox.get(1).last_message.body, 'STOP');
  assert.equal(inbox.get(1).unread_count, 0);
  inbox.put({ id: 1, last_message: { id: 8, body: 'older' }, last_message_at: '2026-03-02T15:01:00Z' });
  assert.equal(inbox.get(1).last_message.id, 9);
  inbox.put({ id: 1, last_message: { id: 10, body: 'newer' }, last_message_at: '2026-03-02T15:03:00Z' });
  assert.equal(inbox.get(1).last_message.body, 'newer');
});
