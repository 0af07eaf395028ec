// live.js — the tab's one websocket: connect with a ticket, keep per-topic
// sequence numbers (seq.js), resume after gaps and reconnects, reconnect with
// jittered exponential backoff. It knows nothing of the DOM: the app passes
// callbacks, and static/test/live.test.mjs drives it with a fake socket.

import { SeqTracker } from './seq.js';

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 10_000;
const HELLO_TIMEOUT_MS = 10_000;
const STALL_MS = 5_000;
const TYPING_EVERY_MS = 2_000;

/** The server closed the socket because its session (or token, or user) ended. */
export const CLOSE_SESSION_ENDED = 4001;
/** The server closed the socket because the user's role changed: reconnect. */
export const CLOSE_ACCOUNT_CHANGED = 4002;

/**
 * @typedef {object} LiveOptions
 * @property {() => Promise<string>} fetchTicket POST /api/ws-ticket → ticket;
 *   rejects with {status:401} when signed out
 * @property {() => string} wsURL e.g. "ws://host" (no path)
 * @property {(hello: any, info: {resync: string[], forgotten: string[], added: string[], first: boolean}) => void} onHello
 * @property {(frame: any, info: {stale: boolean}) => void} onEvent a sequenced event to apply, or typing
 * @property {(topic: string) => void} onResync refetch what this topic feeds
 * @property {(data: {added?: Record<string, number>, removed?: string[]}) => void} onTopics
 * @property {(state: 'connecting'|'open'|'offline'|'stopped') => void=} onStatus
 * @property {(err: any) => void=} onUnauthenticated the ticket call said 401, or the server
 *   closed the socket with 4001 (err.code 'session_ended'): sign in again
 * @property {() => void=} onAccountChanged the server closed the socket with 4002 (the
 *   user's role changed); the socket reconnects by itself
 * @property {any=} WebSocketImpl
 * @property {() => number=} now
 * @property {(fn: () => void, ms: number) => any=} setTimer
 * @property {(t: any) => void=} clearTimer
 * @property {() => number=} random
 */

/** Backoff before reconnect attempt n (0-based): full jitter over [d/2, d]. */
export function backoffDelay(attempt, random = Math.random) {
  const d = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 10));
  return Math.round(d / 2 + (random() * d) / 2);
}

/** @param {LiveOptions} o */
export function createLive(o) {
  const WS = o.WebSocketImpl || globalThis.WebSocket;
  const now = o.now || (() => Date.now());
  const setTimer = o.setTimer || ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = o.clearTimer || ((t) => clearTimeout(t));
  const random = o.random || Math.random;
  const tracker = new SeqTracker();

  let ws = null;
  let running = false;
  let connecting = false;
  let gotHello = false;
  let everHello = false;
  let attempt = 0;
  let reconnectTimer = null;
  let helloTimer = null;
  let stallTimer = null;
  let status = 'stopped';
  /** @type {Record<string, number>|null} the resume sent with the socket's upgrade */
  let earlyResume = null;
  const typingSent = new Map(); // thread id → last sent time
  const typingTrailing = new Map(); // thread id → timer of the trailing frame

  function setStatus(s) {
    if (s === status) return;
    status = s;
    o.onStatus?.(s);
  }

  function send(obj) {
    if (ws && ws.readyState === 1) {
      ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  function clearTimers() {
    if (reconnectTimer != null) clearTimer(reconnectTimer);
    if (helloTimer != null) clearTimer(helloTimer);
    if (stallTimer != null) clearTimer(stallTimer);
    reconnectTimer = helloTimer = stallTimer = null;
  }

  function scheduleReconnect() {
    if (!running || reconnectTimer != null) return;
    setStatus('offline');
    const delay = backoffDelay(attempt++, random);
    reconnectTimer = setTimer(() => {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function checkStalls() {
    stallTimer = null;
    if (!ws || !gotHello) return;
    const resume = tracker.stalled(now(), STALL_MS);
    if (resume) send({ type: 'resume', topics: resume });
    if (tracker.pending.size > 0) stallTimer = setTimer(checkStalls, STALL_MS);
  }

  function watchStalls() {
    if (stallTimer == null && tracker.pending.size > 0) stallTimer = setTimer(checkStalls, STALL_MS);
  }

  async function connect() {
    if (!running || connecting || ws) return;
    connecting = true;
    setStatus('connecting');
    let ticket;
    try {
      ticket = await o.fetchTicket();
    } catch (err) {
      connecting = false;
      if (err && err.status === 401) {
        stop();
        o.onUnauthenticated?.(err);
        return;
      }
      scheduleReconnect();
      return;
    }
    connecting = false;
    if (!running || ws) return;
    // Reconnecting: ask for what we missed with the upgrade itself. The
    // server serves it right after hello, before anything live; a resume
    // frame sent once the socket is open may be read after live events went
    // out past the hello's snapshot, and be answered with a resync.
    const points = tracker.resumePoints();
    let url = `${o.wsURL()}/ws?ticket=${encodeURIComponent(ticket)}`;
    if (points) url += `&resume=${encodeURIComponent(JSON.stringify(points))}`;
    let sock;
    try {
      sock = new WS(url);
    } catch {
      scheduleReconnect();
      return;
    }
    ws = sock;
    gotHello = false;
    earlyResume = points;
    sock.onmessage = (ev) => {
      if (sock !== ws) return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame && typeof frame === 'object') handleFrame(frame);
    };
    sock.onclose = (ev) => {
      if (sock !== ws) return;
      ws = null;
      gotHello = false;
      clearTimers();
      if (ev && ev.code === CLOSE_SESSION_ENDED) {
        // No reconnect: the credential is gone, a new ticket would be refused.
        stop();
        o.onUnauthenticated?.({ status: 401, code: 'session_ended', message: ev.reason || 'session ended' });
        return;
      }
      if (ev && ev.code === CLOSE_ACCOUNT_CHANGED) {
        attempt = 0;
        o.onAccountChanged?.();
      }
      scheduleReconnect();
    };
    sock.onerror = () => {
      // onclose follows; nothing to do here.
    };
    helloTimer = setTimer(() => {
      helloTimer = null;
      if (sock === ws && !gotHello) sock.close();
    }, HELLO_TIMEOUT_MS);
  }

  function handleFrame(f) {
    const type = f.type;
    const data = f.data || {};
    if (type === 'hello') {
      gotHello = true;
      attempt = 0;
      if (helloTimer != null) {
        clearTimer(helloTimer);
        helloTimer = null;
      }
      const r = tracker.hello(data.topics || {}, now());
      setStatus('open');
      o.onHello(data, { resync: r.resync, forgotten: r.forgotten, added: r.added, first: !everHello });
      everHello = true;
      if (r.resume) {
        // Topics asked for with the upgrade are already on their way.
        const rest = Object.fromEntries(Object.entries(r.resume)
          .filter(([t]) => !(earlyResume && Object.hasOwn(earlyResume, t))));
        if (Object.keys(rest).length) send({ type: 'resume', topics: rest });
        watchStalls();
      }
      earlyResume = null;
      return;
    }
    if (!gotHello) return; // nothing is meaningful before hello
    switch (type) {
      case 'resync': {
        const topic = data.topic || f.topic;
        if (!topic) return;
        tracker.resync(topic, typeof data.seq === 'number' ? data.seq : undefined);
        o.onResync(topic);
        return;
      }
      case 'topics':
        tracker.change(data.added, data.removed);
        o.onTopics(data);
        return;
      case 'typing':
        o.onEvent(f, { stale: false });
        return;
      default:
        break;
    }
    if (!f.topic || typeof f.seq !== 'number' || f.seq <= 0) {
      // An unsequenced frame of a type we may not know: pass it on.
      o.onEvent(f, { stale: false });
      return;
    }
    const v = tracker.accept(f.topic, f.seq, now());
    if (v.action === 'apply') o.onEvent(f, { stale: v.stale });
    else if (v.action === 'gap') {
      send({ type: 'resume', topics: v.resume });
      watchStalls();
    }
  }

  function start() {
    if (running) return;
    running = true;
    attempt = 0;
    connect();
  }

  function stop() {
    running = false;
    clearTimers();
    const sock = ws;
    ws = null;
    if (sock) {
      try {
        sock.close(1000, 'bye');
      } catch {
        // already closing
      }
    }
    tracker.reset();
    everHello = false;
    typingSent.clear();
    for (const t of typingTrailing.values()) clearTimer(t);
    typingTrailing.clear();
    setStatus('stopped');
  }

  /** Connect now if we are waiting to (the browser came online, the tab became visible). */
  function nudge() {
    if (!running || ws || connecting) return;
    if (reconnectTimer != null) {
      clearTimer(reconnectTimer);
      reconnectTimer = null;
    }
    connect();
  }

  /**
   * Tells the other assignees "I am typing", at most every 2 s per thread.
   * Keystrokes inside the 2 s window are not lost: one trailing frame goes
   * out when the window ends (cancelTyping drops it, e.g. once sent).
   */
  function sendTyping(threadId) {
    if (!threadId) return false;
    const t = now();
    const last = typingSent.get(threadId) ?? -Infinity;
    if (t - last < TYPING_EVERY_MS) {
      if (!typingTrailing.has(threadId)) {
        typingTrailing.set(threadId, setTimer(() => {
          typingTrailing.delete(threadId);
          sendTyping(threadId);
        }, last + TYPING_EVERY_MS - t));
      }
      return false;
    }
    if (!send({ type: 'typing', thread_id: threadId })) return false;
    typingSent.set(threadId, t);
    return true;
  }

  /** Drops a pending trailing typing frame of the thread. */
  function cancelTyping(threadId) {
    const timer = typingTrailing.get(threadId);
    if (timer != null) clearTimer(timer);
    typingTrailing.delete(threadId);
  }

  return {
    start,
    stop,
    nudge,
    sendTyping,
    cancelTyping,
    tracker,
    get status() {
      return status;
    },
  };
}
