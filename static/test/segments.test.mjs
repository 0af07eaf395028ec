// Unit tests of the composer's segment counter. Run: node --test static/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countSegments, describeCount, MAX_CHARACTERS } from '../assets/js/segments.js';

const cases = [
  // [name, text, encoding, units, segments]
  ['empty', '', 'GSM-7', 0, 0],
  ['short ascii', 'Hello Ana, can you come Tuesday?', 'GSM-7', 32, 1],
  ['160 gsm is one', 'a'.repeat(160), 'GSM-7', 160, 1],
  ['161 gsm is two', 'a'.repeat(161), 'GSM-7', 161, 2],
  ['306 gsm is two', 'a'.repeat(306), 'GSM-7', 306, 2],
  ['307 gsm is three', 'a'.repeat(307), 'GSM-7', 307, 3],
  ['extension counts two', '{}', 'GSM-7', 4, 1],
  ['euro counts two', '€', 'GSM-7', 2, 1],
  ['form feed counts two', '\f', 'GSM-7', 2, 1],
  ['80 extension chars fill 160', '['.repeat(80), 'GSM-7', 160, 1],
  ['81 extension chars', '['.repeat(81), 'GSM-7', 162, 2],
  // 152 basic + one extension char: 154 septets in multi-part mode; the
  // extension char must not be split, so segment 1 holds 152 and segment 2
  // holds the escape pair plus the rest.
  ['extension never split', 'a'.repeat(152) + '^' + 'a'.repeat(10), 'GSM-7', 164, 2],
  // 306 septets would fit 2 × 153 exactly, but not without splitting the
  // escape pair at the boundary: 3 segments.
  ['extension at boundary', 'a'.repeat(152) + '^' + 'a'.repeat(152), 'GSM-7', 306, 3],
  ['gsm specials', '@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà', 'GSM-7', 41, 1],
  ['newline is gsm', 'a\nb\r', 'GSM-7', 4, 1],
  ['accent outside gsm → ucs2', 'café á', 'UCS-2', 6, 1],
  ['70 ucs2 is one', 'ж'.repeat(70), 'UCS-2', 70, 1],
  ['71 ucs2 is two', 'ж'.repeat(71), 'UCS-2', 71, 2],
  ['134 ucs2 is two', 'ж'.repeat(134), 'UCS-2', 134, 2],
  ['135 ucs2 is three', 'ж'.repeat(135), 'UCS-2', 135, 3],
  ['emoji is two units', '😀', 'UCS-2', 2, 1],
  ['35 emoji fill 70', '😀'.repeat(35), 'UCS-2', 70, 1],
  // 66 units then an emoji: the pair is not split, so segment 1 has 66.
  ['surrogate pair never split', 'ж'.repeat(66) + '😀' + 'ж'.repeat(10), 'UCS-2', 78, 2],
  ['surrogate pairs across many', 'ж' + '😀'.repeat(67), 'UCS-2', 135, 3],
  ['gsm extension in ucs2 counts one', 'ж{', 'UCS-2', 2, 1],
];

for (const [name, text, encoding, units, segments] of cases) {
  test(`countSegments: ${name}`, () => {
    const c = countSegments(text);
    assert.equal(c.encoding, encoding, 'encoding');
    assert.equal(c.units, units, 'units');
    assert.equal(c.segments, segments, 'segments');
  });
}

test('characters are code points, and the 1,600 limit', () => {
  assert.equal(countSegments('😀😀').characters, 2);
  assert.equal(countSegments('a'.repeat(MAX_CHARACTERS)).tooLong, false);
  assert.equal(countSegments('a'.repeat(MAX_CHARACTERS + 1)).tooLong, true);
  assert.equal(countSegments('😀'.repeat(MAX_CHARACTERS)).tooLong, false);
});

test('describeCount reads like the composer', () => {
  assert.equal(describeCount(countSegments('a'.repeat(42))), '42 characters · GSM-7 · 1 segment');
  assert.equal(describeCount(countSegments('a'.repeat(161))), '161 characters · GSM-7 · 2 segments');
  assert.equal(describeCount(countSegments('é')), '1 character · GSM-7 · 1 segment');
  assert.equal(describeCount(countSegments('ж')), '1 character · UCS-2 · 1 segment');
  assert.equal(describeCount(countSegments('')), '0 characters · GSM-7 · 0 segments');
});
