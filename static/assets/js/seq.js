// seq.js — per-topic sequence bookkeeping for the websocket. Pure logic,
// no DOM, no timers: live.js feeds it frames and acts on its answers, and
// static/test/seq.test.mjs pins its behaviour.
//
// Rules (API.md, "Real-time"):
//   - hello gives every subscribed topic with its current seq. A topic seen
//     for the first time starts there. A known topic whose hello seq is
//     ahead of our last applied seq is resumed from our last seq.
//   - A sequenced event is applied only when seq == last + 1; seq <= last is
//     a duplicate and ignored; seq > last + 1 is a gap: ask once for a resume
//     from last, and ignore frames of that topic until the replay catches up.
//   - resync: our resume point is too old; the caller refetches over REST and
//     the topic restarts from the seq the server names (or, when it names
//     none, from the next event that arrives).

/**
 * @typedef {{action:'apply', stale:boolean} | {action:'ignore'} |
 *           {action:'gap', resume:Record<string, number>}} Verdict
 *   stale: the event is older than the last hello's snapshot (the inbox in
 *   hello already reflects it), which happens while a resume replays.
 */

export class SeqTracker {
  constructor() {
    /** @type {Map<string, number>} last applied seq per topic */
    this.last = new Map();
    /** @type {Map<string, number>} seq of each topic in the last hello */
    this.snapshot = new Map();
    /** @type {Map<string, {target:number, at:number}>} topics awaiting a replay */
    this.pending = new Map();
    /** @type {Set<string>} topics whose next event sets the base (after a resync) */
    this.unanchored = new Set();
  }

  /**
   * Applies a hello frame's topics.
   * @param {Record<string, number>} topics topic → current seq
   * @param {number} now a clock reading, for stall detection
   * @returns {{resume: Record<string, number>|null, resync: string[], forgotten: string[], added: string[]}}
   *   resume: the resume frame's topics to send, or null;
   *   resync: topics whose server seq went backwards (data was reset): refetch;
   *   forgotten: topics we knew that are no longer subscribed;
   *   added: topics seen for the first time.
   */
  hello(topics, now = 0) {
    const resume = {};
    const resync = [];
    const forgotten = [];
    const added = [];
    topics = topics || {};
    for (const t of [...this.last.keys()]) {
      if (!Object.hasOwn(topics, t)) {
        this.last.delete(t);
        forgotten.push(t);
      }
    }
    this.pending.clear();
    this.snapshot.clear();
    for (const [t, raw] of Object.entries(topics)) {
      const s = Number(raw) || 0;
      this.snapshot.set(t, s);
      if (this.unanchored.has(t)) {
        this.unanchored.delete(t);
        this.last.set(t, s);
        continue;
      }
      if (!this.last.has(t)) {
        this.last.set(t, s);
        added.push(t);
        continue;
      }
      const last = /** @type {number} */ (this.last.get(t));
      if (s > last) {
        resume[t] = last;
        this.pending.set(t, { target: s, at: now });
      } else if (s < last) {
        // The server has fewer events than we applied: its data was reset.
        this.last.set(t, s);
        resync.push(t);
      }
    }
    return { resume: Object.keys(resume).length ? resume : null, resync, forgotten, added };
  }

  /**
   * Decides what to do with a sequenced event of topic at seq.
   * @param {string} topic
   * @param {number} seq
   * @param {number} now
   * @returns {Verdict}
   */
  accept(topic, seq, now = 0) {
    if (!this.last.has(topic) || this.unanchored.has(topic)) {
      // A topic we were not told about yet (its "topics" frame may follow)
      // or one restarting after a resync: this event sets the base.
      this.unanchored.delete(topic);
      this.last.set(topic, seq);
      return { action: 'apply', stale: false };
    }
    const last = /** @type {number} */ (this.last.get(topic));
    if (seq <= last) return { action: 'ignore' };
    if (seq === last + 1) {
      this.last.set(topic, seq);
      const p = this.pending.get(topic);
      if (p && seq >= p.target) this.pending.delete(topic);
      else if (p) p.at = now; // progress: the replay is flowing
      return { action: 'apply', stale: seq <= (this.snapshot.get(topic) ?? 0) };
    }
    const p = this.pending.get(topic);
    if (p) {
      // Already asked; the replay will bring this one too.
      p.target = Math.max(p.target, seq);
      return { action: 'ignore' };
    }
    this.pending.set(topic, { target: seq, at: now });
    return { action: 'gap', resume: { [topic]: last } };
  }

  /**
   * Every known topic with its last applied seq: the resume a reconnecting
   * socket sends as soon as it opens, or null when nothing is known yet.
   * @returns {Record<string, number>|null}
   */
  resumePoints() {
    if (this.last.size === 0) return null;
    return Object.fromEntries(this.last);
  }

  /**
   * Topics whose replay has stalled for longer than ms: ask again.
   * @param {number} now
   * @param {number} ms
   * @returns {Record<string, number>|null}
   */
  stalled(now, ms) {
    const resume = {};
    for (const [t, p] of this.pending) {
      if (now - p.at >= ms) {
        resume[t] = /** @type {number} */ (this.last.get(t));
        p.at = now;
      }
    }
    return Object.keys(resume).length ? resume : null;
  }

  /**
   * A resync frame for topic: the caller refetches over REST.
   * @param {string} topic
   * @param {number=} seq the topic's current seq when the server names it
   */
  resync(topic, seq) {
    this.pending.delete(topic);
    if (typeof seq === 'number' && seq >= 0) {
      this.last.set(topic, seq);
      this.unanchored.delete(topic);
    } else {
      this.unanchored.add(topic);
    }
  }

  /**
   * A "topics" frame: subscriptions changed (an assignment changed).
   * @param {Record<string, number>=} added topic → current seq
   * @param {string[]=} removed
   */
  change(added, removed) {
    for (const [t, raw] of Object.entries(added || {})) {
      const s = Number(raw) || 0;
      // An event of this topic may have overtaken the frame: keep the max.
      this.last.set(t, Math.max(s, this.last.get(t) ?? 0));
      this.snapshot.set(t, s);
      this.unanchored.delete(t);
    }
    for (const t of removed || []) {
      this.last.delete(t);
      this.snapshot.delete(t);
      this.pending.delete(t);
      this.unanchored.delete(t);
    }
  }

  /** Forgets everything (sign-out). */
  reset() {
    this.last.clear();
    this.snapshot.clear();
    this.pending.clear();
    this.unanchored.clear();
  }
}
