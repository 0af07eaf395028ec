// Tests of the websocket client (live.js) against a fake socket and a
// manual clock: tickets, hello, gaps, resume after reconnect, backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLive, backoffDelay } from '../assets/js/live.js';

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 1;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  send(s) { this.sent.push(JSON.parse(s)); }
  close() {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({});
  }
  frame(obj) { this.onmessage({ data: JSON.stringify(obj) }); }
}

function harness(opts = {}) {
  FakeSocket.all = [];
  const timers = [];
  let clock = 0;
  const log = { hellos: [], events: [], resyncs: [], topics: [], statuses: [] };
  let tickets = 0;
  const live = createLive({
    fetchTicket: opts.fetchTicket || (async () => `t${++tickets}`),
    wsURL: () => 'ws://host',
    onHello: (d, info) => log.hellos.push({ d, info }),
    onEvent: (f, info) => log.events.push({ type: f.type, topic: f.topic, seq: f.seq, stale: info.stale }),
    onResync: (t) => log.resyncs.push(t),
    onTopics: (d) => log.topics.push(d),
    onStatus: (s) => log.statuses.push(s),
    onUnauthenticated: () => { log.unauth = true; },
    onAccountChanged: () => { log.changed = (log.changed || 0) + 1; },
    WebSocketImpl: FakeSocket,
    now: () => clock,
    setTimer: (fn, ms) => { const t = { fn, at: clock + ms, ms }; timers.push(t); return t; },
    clearTimer: (t) => { const i = timers.indexOf(t); if (i >= 0) timers.splice(i, 1); },
    random: () => 0.5,
  });
  const advance = async (ms) => {
    clock += ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const t = timers[0];
      if (!t || t.at > clock) break;
      timers.shift();
      t.fn();
      await flush();
    }
  };
  return { live, log, timers, advance, sock: () => FakeSocket.all.at(-1), sockets: FakeSocket.all };
}

const flush = () => new Promise((r) => setImmediate(r));

const hello = (topics, threads = []) => ({ type: 'hello', topic: '', seq: 0, data: { user: { id: 1 }, topics, inbox: { unread_total: 0, threads } } });
const ev = (topic, seq, type = 'message.created') => ({ type, topic, seq, data: {} });

test('connects with a ticket and applies events in order', async () => {
  const h = harness();
  h.live.start();
  await flush();
  assert.equal(h.sock().url, 'ws://host/ws?ticket=t1');
  h.sock().frame(hello({ 'number:3': 4 }));
  assert.equal(h.log.hellos.length, 1);
  assert.equal(h.log.hellos[0].info.first, true);
  h.sock().frame(ev('number:3', 5));
  h.sock().frame(ev('number:3', 5)); // duplicate
  h.sock().frame(ev('number:3', 6));
  assert.deepEqual(h.log.events.map((e) => e.seq), [5, 6]);
  assert.equal(h.live.status, 'open');
});

// resumeOf is the resume points a socket's upgrade URL carries, or null.
const resumeOf = (url) => {
  const p = new URL(url).searchParams.get('resume');
  return p === null ? null : JSON.parse(p);
};

test('the first socket asks for no resume', async () => {
  const h = harness();
  h.live.start();
  await flush();
  assert.equal(resumeOf(h.sock().url), null);
  assert.deepEqual(h.sock().sent, []);
});

test('a reconnect resumes every topic it holds a place in, with the upgrade, once', async () => {
  const h = harness();
  h.live.start();
  await flush();
  h.sock().frame(hello({ 'number:3': 4 }));
  h.live.tracker.accept('number:9', 2); // an event of a topic the hello did not list
  h.sock().close();
  await h.advance(1000);
  assert.deepEqual(resumeOf(h.sock().url), { 'number:3': 4, 'number:9': 2 });
  h.sock().frame(hello({ 'number:3': 4, 'number:9': 5 }));
  assert.deepEqual(h.sock().sent, [], 'no resume frame: both topics went with the upgrade');
});

test('events before hello are ignored', async () => {
  const h = harness();
  h.live.start();
  await flush();
  h.sock().frame(ev('number:3', 5));
  assert.equal(h.log.events.length, 0);
});

test('a gap sends one resume and applies the replay', async () => {
  const h = harness();
  h.live.start();
  await flush();
  const s = h.sock();
  s.frame(hello({ 'number:3': 4 }));
  s.frame(ev('number:3', 7));
  s.frame(ev('number:3', 8));
  assert.deepEqual(s.sent, [{ type: 'resume', topics: { 'number:3': 4 } }]);
  for (const seq of [5, 6, 7, 8]) s.frame(ev('number:3', seq));
  assert.deepEqual(h.log.events.map((e) => e.seq), [5, 6, 7, 8]);
});

test('a stalled resume is sent again', async () => {
  const h = harness();
  h.live.start();
  await flush();
  const s = h.sock();
  s.frame(hello({ 'number:3': 4 }));
  s.frame(ev('number:3', 7));
  assert.equal(s.sent.length, 1);
  await h.advance(5000);
  assert.equal(s.sent.length, 2);
  assert.deepEqual(s.sent[1], { type: 'resume', topics: { 'number:3': 4 } });
});

test('reconnect: backoff, new ticket, resume from the last applied seq', async () => {
  const h = harness();
  h.live.start();
  await flush();
  h.sock().frame(hello({ 'number:3': 4, 'company:1': 2 }));
  h.sock().frame(ev('number:3', 5));
  h.sock().close();
  assert.equal(h.live.status, 'offline');
  assert.equal(h.sockets.length, 1);
  await h.advance(backoffDelay(0, () => 0.5));
  assert.equal(h.sockets.length, 2);
  assert.equal(new URL(h.sock().url).searchParams.get('ticket'), 't2');
  // The resume goes with the upgrade, to be served before anything live.
  assert.deepEqual(resumeOf(h.sock().url), { 'number:3': 5, 'company:1': 2 });
  h.sock().frame(hello({ 'number:3': 7, 'company:1': 2 }));
  assert.equal(h.log.hellos[1].info.first, false);
  assert.equal(h.sock().sent.length, 0, 'no resume frame after hello');
  h.sock().frame(ev('number:3', 6));
  h.sock().frame(ev('number:3', 7));
  h.sock().frame(ev('number:3', 8));
  assert.deepEqual(h.log.events.map((e) => [e.seq, e.stale]), [[5, false], [6, true], [7, true], [8, false]]);
});

test('backoff grows, is jittered and capped near 10 s', () => {
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(3, () => 1), 4000);
  assert.equal(backoffDelay(20, () => 1), 10000);
  assert.equal(backoffDelay(20, () => 0), 5000);
});

test('a failed ticket retries; a 401 stops and reports', async () => {
  let calls = 0;
  const h = harness({
    fetchTicket: async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('down'), { status: 0 });
      throw Object.assign(new Error('signed out'), { status: 401 });
    },
  });
  h.live.start();
  await flush();
  assert.equal(h.live.status, 'offline');
  await h.advance(1000);
  assert.equal(calls, 2);
  assert.equal(h.log.unauth, true);
  assert.equal(h.live.status, 'stopped');
});

test('resync and topics frames', async () => {
  const h = harness();
  h.live.start();
  await flush();
  const s = h.sock();
  s.frame(hello({ 'number:3': 4 }));
  s.frame({ type: 'resync', topic: '', seq: 0, data: { topic: 'number:3' } });
  assert.deepEqual(h.log.resyncs, ['number:3']);
  s.frame(ev('number:3', 90));
  assert.equal(h.log.events.at(-1).seq, 90);
  s.frame({ type: 'topics', data: { added: { 'number:5': 3 }, removed: ['number:3'] } });
  assert.equal(h.log.topics.length, 1);
  s.frame(ev('number:5', 4));
  assert.equal(h.log.events.at(-1).topic, 'number:5');
});

test('typing frames pass through; typing is sent at most every 2 s per thread', async () => {
  const h = harness();
  h.live.start();
  await flush();
  const s = h.sock();
  s.frame(hello({ 'number:3': 0 }));
  s.frame({ type: 'typing', topic: 'number:3', seq: 0, data: { thread_id: 4, user: { id: 2 } } });
  assert.equal(h.log.events.at(-1).type, 'typing');
  assert.equal(h.live.sendTyping(4), true);
  await h.advance(500);
  assert.equal(h.live.sendTyping(4), false, 'inside the window');
  assert.equal(h.live.sendTyping(4), false);
  assert.equal(h.live.sendTyping(5), true);
  assert.deepEqual(s.sent.map((f) => f.thread_id), [4, 5]);
  // The keystrokes inside the window go out once, when it ends.
  await h.advance(1500);
  assert.deepEqual(s.sent.map((f) => f.thread_id), [4, 5, 4]);
  await h.advance(5000);
  assert.deepEqual(s.sent.map((f) => f.thread_id), [4, 5, 4], 'no more without typing');
  // A cancelled trailing frame is not sent (the message went out).
  h.live.sendTyping(4);
  h.live.sendTyping(4);
  h.live.cancelTyping(4);
  await h.advance(3000);
  assert.deepEqual(s.sent.map((f) => f.thread_id), [4, 5, 4, 4]);
});

test('no hello within 10 s: reconnect', async () => {
  const h = harness();
  h.live.start();
  await flush();
  await h.advance(10_000);
  assert.equal(h.sockets[0].readyState, 3);
  await h.advance(1000);
  assert.equal(h.sockets.length, 2);
});

test('stop closes and does not reconnect', async () => {
  const h = harness();
  h.live.start();
  await flush();
  h.sock().frame(hello({}));
  h.live.stop();
  await h.advance(60_000);
  assert.equal(h.sockets.length, 1);
  assert.equal(h.live.status, 'stopped');
});

test('a socket closed with 4001 (session ended) stops and signs out; no reconnect', async () => {
  const h = harness();
  h.live.start();
  await flush();
  h.sock().frame(hello({ 'number:3': 4 }));
  const s = h.sock();
  s.readyState = 3;
  s.onclose({ code: 4001, reason: 'session ended' });
  assert.equal(h.log.unauth, true);
  assert.equal(h.live.status, 'stopped');
  await h.advance(60_000);
  assert.equal(h.sockets.length, 1, 'no new socket after 4001');
});

test('a socket closed with 4002 (account changed) reconnects at once and says so', async () => {
  const h = harness();
  h.live.start();
  await flush();
  h.sock().frame(hello({ 'number:3': 4 }));
  const s = h.sock();
  s.readyState = 3;
  s.onclose({ code: 4002, reason: 'account changed; reconnect' });
  assert.notEqual(h.log.unauth, true);
  assert.equal(h.log.changed, 1);
  await h.advance(1_000); // the first backoff step, not a grown one
  assert.equal(h.sockets.length, 2, 'reconnected');
});
