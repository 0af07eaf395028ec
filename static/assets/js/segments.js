// segments.js — the JS twin of the server's SMS segment rule.
//
// GSM-7: every character is in the GSM 03.38 default alphabet or its
// extension table. Basic characters cost 1 septet, extension characters
// (^ { } \ [ ~ ] | € and form feed) cost 2 and are never split across
// segments. Up to 160 septets is one segment; longer texts are split into
// segments of at most 153 septets.
// UCS-2: any other character switches the whole text to UCS-2, counted in
// UTF-16 code units: up to 70 is one segment, longer texts are split into
// segments of at most 67 units, never splitting a surrogate pair.
// Texts over 1,600 characters (Unicode code points) are refused.

/** The GSM 03.38 default alphabet (without ESC, which nobody types). */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

/** The GSM 03.38 extension table: each costs two septets (ESC + char). */
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

/** Bodies longer than this many characters are refused by the server. */
export const MAX_CHARACTERS = 1600;

/**
 * Packs items of the given costs into segments of at most `size` units,
 * never splitting an item, and returns how many segments it takes.
 * @param {number[]} costs
 * @param {number} size
 */
function pack(costs, size) {
  let segments = 1;
  let used = 0;
  for (const c of costs) {
    if (used + c > size) {
      segments++;
      used = 0;
    }
    used += c;
  }
  return segments;
}

/**
 * Counts a message body.
 * @param {string} text
 * @returns {{characters:number, encoding:'GSM-7'|'UCS-2', units:number, segments:number, tooLong:boolean}}
 *   characters: Unicode code points; units: septets (GSM-7) or UTF-16 code
 *   units (UCS-2); segments: 0 for an empty text.
 */
export function countSegments(text) {
  const chars = Array.from(text ?? '');
  const characters = chars.length;
  const gsm = chars.every((c) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c));
  let costs;
  let single;
  let multi;
  if (gsm) {
    costs = chars.map((c) => (GSM_EXTENSION.has(c) ? 2 : 1));
    single = 160;
    multi = 153;
  } else {
    costs = chars.map((c) => c.length); // 2 for a surrogate pair
    single = 70;
    multi = 67;
  }
  const units = costs.reduce((a, b) => a + b, 0);
  let segments;
  if (units === 0) segments = 0;
  else if (units <= single) segments = 1;
  else segments = pack(costs, multi);
  return {
    characters,
    encoding: gsm ? 'GSM-7' : 'UCS-2',
    units,
    segments,
    tooLong: characters > MAX_CHARACTERS,
  };
}

/**
 * The composer's counter line: "42 characters · GSM-7 · 1 segment".
 * @param {{characters:number, encoding:string, segments:number}} c
 */
export function describeCount(c) {
  const chars = `${c.characters} ${c.characters === 1 ? 'character' : 'characters'}`;
  const segs = `${c.segments} ${c.segments === 1 ? 'segment' : 'segments'}`;
  return `${chars} · ${c.encoding} · ${segs}`;
}
