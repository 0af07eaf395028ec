// The composer's plain characters agree with the server's: the same table
// (pkg/plainchars/plainchars.json) and the same cases as the Go test.
// Run: node --test static/test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { plainify, plainSuggestion } from '../assets/js/plainchars.js';

const read = (p) => JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8'));
const table = read('../../pkg/plainchars/plainchars.json');
const cases = read('../../pkg/plainchars/testdata/cases.json');

test('the shared cases', () => {
  assert.ok(cases.length >= 5);
  for (const c of cases) assert.equal(plainify(c.in, table), c.out, c.name);
});

test('a suggestion only when it makes the text GSM-7', () => {
  assert.equal(plainSuggestion('It\u2019s on \u2014 see you\u2026', table), "It's on - see you...");
  assert.equal(plainSuggestion('Plain already', table), null);
  assert.equal(plainSuggestion('\u017d\u2019s', table), null); // Ž stays UCS-2
  assert.equal(plainSuggestion('', table), null);
});
