// time.js — how times read in the UI.

/** @param {string|number|Date|null|undefined} v */
function toDate(v) {
  if (v == null || v === '') return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * A short relative time: "now", "2m", "3h", "2d", then a date.
 * @param {string|number|Date|null|undefined} v
 * @param {number} now
 */
export function relativeTime(v, now = Date.now()) {
  const d = toDate(v);
  if (!d) return '';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 45) return 'now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h}h`;
  const days = Math.round(h / 24);
  if (days < 7) return `${days}d`;
  return shortDate(d, now);
}

/** "3 Mar" this year, "3 Mar 2024" before. */
function shortDate(d, now) {
  const opts = { day: 'numeric', month: 'short' };
  if (d.getFullYear() !== new Date(now).getFullYear()) opts.year = 'numeric';
  return d.toLocaleDateString(undefined, opts);
}

/** "14:02" today, "3 Mar, 14:02" otherwise. */
export function messageTime(v, now = Date.now()) {
  const d = toDate(v);
  if (!d) return '';
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === new Date(now).toDateString()) return time;
  return `${shortDate(d, now)}, ${time}`;
}

/** A full date and time for titles and the report. */
export function fullTime(v) {
  const d = toDate(v);
  if (!d) return '';
  return d.toLocaleString(undefined, {
    year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
  });
}

/** An ISO string for <time datetime>. */
export function isoTime(v) {
  const d = toDate(v);
  return d ? d.toISOString() : '';
}

/** A date only: "3 Mar 2025". */
export function longDate(v) {
  const d = toDate(v);
  if (!d) return '';
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
