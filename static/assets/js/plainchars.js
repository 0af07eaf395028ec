// plainchars.js — the composer's "use plain characters": look-alike
// characters (curly quotes, en and em dashes, the ellipsis, odd spaces…)
// replaced with plain ones, so that a text that is UCS-2 only because of
// them goes as GSM-7. The table is plainchars.json, the very file the
// server embeds (pkg/plainchars) and serves beside this module; the
// server's `"plain_characters": true` replaces the same characters the same
// way (both test suites run pkg/plainchars/testdata/cases.json).

import { countSegments } from './segments.js';

/**
 * Replaces every character of table in text.
 * @param {string} text
 * @param {Record<string,string>} table
 */
export function plainify(text, table) {
  let out = '';
  for (const c of text ?? '') out += Object.hasOwn(table, c) ? table[c] : c;
  return out;
}

/**
 * The plain version of text when it would turn a UCS-2 text into GSM-7,
 * else null: what the composer offers under its counter.
 * @param {string} text
 * @param {Record<string,string>} table
 */
export function plainSuggestion(text, table) {
  if (!text || countSegments(text).encoding !== 'UCS-2') return null;
  const plain = plainify(text, table);
  return countSegments(plain).encoding === 'GSM-7' ? plain : null;
}

let loading = null;

/** Loads the table once (an empty one if it cannot be read: no suggestion). */
export function loadPlainTable() {
  loading ??= fetch(new URL('./plainchars.json', import.meta.url))
    .then((r) => (r.ok ? r.json() : {}))
    .catch(() => ({}));
  return loading;
}
