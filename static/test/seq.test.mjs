// Unit tests of per-topic sequence bookkeeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeqTracker } from '../assets/js/seq.js';

test('first hello sets every topic; in-order events apply', () => {
  const s = new SeqTracker();
  const r = s.hello({ 'number:3': 41, 'company:1': 7 });
  assert.equal(r.resume, null);
  assert.deepEqual(r.added.sort(), ['company:1', 'number:3']);
  assert.deepEqual(s.accept('number:3', 42), { action: 'apply', stale: false });
  assert.deepEqual(s.accept('number:3', 43), { action: 'apply', stale: false });
  assert.equal(s.last.get('number:3'), 43);
});

test('duplicates and old events are ignored', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5 });
  assert.equal(s.accept('number:3', 5).action, 'ignore');
  assert.equal(s.accept('number:3', 2).action, 'ignore');
  assert.equal(s.accept('number:3', 6).action, 'apply');
  assert.equal(s.accept('number:3', 6).action, 'ignore');
});

test('a gap asks for a resume once, then waits for the replay', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5 });
  const v = s.accept('number:3', 8, 100);
  assert.deepEqual(v, { action: 'gap', resume: { 'number:3': 5 } });
  // More live frames while waiting: no second resume.
  assert.deepEqual(s.accept('number:3', 9, 101), { action: 'ignore' });
  // The replay arrives in order, then live continues.
  for (const seq of [6, 7, 8, 9, 10]) assert.equal(s.accept('number:3', seq, 102).action, 'apply', `seq ${seq}`);
  assert.equal(s.pending.size, 0);
  // A later gap asks again.
  assert.equal(s.accept('number:3', 12, 200).action, 'gap');
});

test('a stalled replay is asked for again', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5 });
  s.accept('number:3', 8, 1000);
  assert.equal(s.stalled(3000, 5000), null);
  assert.deepEqual(s.stalled(6000, 5000), { 'number:3': 5 });
  assert.equal(s.stalled(6001, 5000), null, 'not again right away');
});

test('reconnect: resume topics that moved on, from our last seq; replayed events are stale', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5, 'company:1': 2 });
  s.accept('number:3', 6);
  // Reconnect: the server is at 9 on number:3, unchanged on company:1, and
  // we are now also on number:4.
  const r = s.hello({ 'number:3': 9, 'company:1': 2, 'number:4': 0 }, 50);
  assert.deepEqual(r.resume, { 'number:3': 6 });
  assert.deepEqual(r.added, ['number:4']);
  assert.deepEqual(r.forgotten, []);
  for (const seq of [7, 8, 9]) assert.deepEqual(s.accept('number:3', seq), { action: 'apply', stale: true });
  assert.deepEqual(s.accept('number:3', 10), { action: 'apply', stale: false });
  assert.deepEqual(s.accept('number:4', 1), { action: 'apply', stale: false });
});

test('reconnect: topics no longer subscribed are forgotten', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5, 'number:4': 1 });
  const r = s.hello({ 'number:4': 1 });
  assert.deepEqual(r.forgotten, ['number:3']);
  assert.equal(s.last.has('number:3'), false);
});

test('reconnect: a server behind us (data reset) is a resync', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 50 });
  const r = s.hello({ 'number:3': 2 });
  assert.deepEqual(r.resync, ['number:3']);
  assert.equal(r.resume, null);
  assert.equal(s.accept('number:3', 3).action, 'apply');
});

test('resync with a seq restarts the topic there', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5 });
  s.accept('number:3', 9);
  s.resync('number:3', 120);
  assert.equal(s.pending.size, 0);
  assert.equal(s.accept('number:3', 121).action, 'apply');
});

test('resync without a seq takes the next event as the base', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5 });
  s.accept('number:3', 9);
  s.resync('number:3');
  assert.equal(s.accept('number:3', 130).action, 'apply');
  assert.equal(s.accept('number:3', 131).action, 'apply');
  assert.equal(s.accept('number:3', 133).action, 'gap');
});

test('topics frame: added topics start at their seq, removed ones are forgotten', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5 });
  s.change({ 'number:4': 10 }, ['number:3']);
  assert.equal(s.last.has('number:3'), false);
  assert.equal(s.accept('number:4', 10).action, 'ignore');
  assert.equal(s.accept('number:4', 11).action, 'apply');
});

test('an event of an unknown topic sets its base (the topics frame may follow)', () => {
  const s = new SeqTracker();
  s.hello({ 'number:3': 5 });
  assert.equal(s.accept('number:9', 4).action, 'apply');
  s.change({ 'number:9': 3 }, []);
  assert.equal(s.accept('number:9', 4).action, 'ignore');
  assert.equal(s.accept('number:9', 5).action, 'apply');
});

test('resumePoints lists every known topic at its last seq', () => {
  const s = new SeqTracker();
  assert.equal(s.resumePoints(), null);
  s.hello({ 'number:3': 5, 'company:1': 2 });
  s.accept('number:3', 6);
  assert.deepEqual(s.resumePoints(), { 'number:3': 6, 'company:1': 2 });
});
