// candidates.js — the Candidate Pool (/ and /candidates): search, pages of
// contacts, the SMS icon in the Actions column.

import { h, table, append, showError } from '../dom.js';
import { get, isAbort, errorText } from '../api.js';
import { rememberContacts } from '../store.js';
import { setQuery } from '../router.js';
import { pageHead, contactRow, CONTACT_COLUMNS, focusHeading } from './common.js';
import { selectableRows, bulkButton } from '../components/bulk.js';

const LIMIT = 50;

/** @param {import('../router.js').PageContext} ctx */
export default async function candidatesPage(ctx) {
  const { main, signal, query } = ctx;
  const q = h('input', {
    type: 'search', name: 'q', class: 'input', testid: 'contacts-search', value: query.get('q') || '',
    placeholder: 'Search by name, phone or email', 'aria-label': 'Search candidates', autocomplete: 'off',
  });
  const form = h('form', { class: 'search', role: 'search' }, q,
    h('button', { type: 'submit', class: 'btn' }, 'Search'));
  const { el, tbody, row } = table(CONTACT_COLUMNS, { caption: 'Candidates and hires', testid: 'contacts-table' });
  const status = h('p', { class: 'muted', role: 'status', testid: 'contacts-status' });
  const error = h('div', { class: 'notice notice-error', role: 'alert', testid: 'page-error', hidden: true });
  const more = h('button', { type: 'button', class: 'btn', testid: 'load-more', hidden: true }, 'Load more');
  // Select rows, then text them all at once (the bulk composer).
  let picked = [];
  const bulk = bulkButton(() => ({ contactIds: picked, label: `${picked.length} ${picked.length === 1 ? 'person' : 'people'}` }));
  bulk.disabled = true;
  selectableRows(tbody, (ids) => {
    picked = ids;
    bulk.disabled = ids.length === 0;
    bulk.textContent = ids.length ? `Text ${ids.length} selected` : 'Text selected';
  });
  append(main, pageHead('Candidate Pool', 'Candidates and hires. Text anyone with an SMS icon, or select several and text them at once.', bulk),
    form, error, el, status, h('div', { class: 'more-row' }, more));

  let cursor = null;
  let searchSeq = 0;
  let debounce = null;

  async function load(reset) {
    const seq = ++searchSeq;
    more.disabled = true;
    try {
      const res = await get('/api/contacts', {
        query: { q: q.value.trim(), limit: LIMIT, cursor: reset ? null : cursor }, signal,
      });
      if (seq !== searchSeq) return;
      const contacts = res?.contacts || [];
      rememberContacts(contacts);
      if (reset) tbody.replaceChildren();
      append(tbody, contacts.map((c) => contactRow(row, c)));
      cursor = res?.next_cursor || null;
      more.hidden = !cursor;
      const n = tbody.childElementCount;
      status.textContent = n === 0
        ? (q.value.trim() ? 'No one matches your search.' : 'No candidates yet.')
        : `Showing ${n}${cursor ? '+' : ''} ${n === 1 ? 'person' : 'people'}.`;
      showError(error, '');
    } catch (err) {
      if (isAbort(err)) return;
      showError(error, `Could not load candidates: ${errorText(err)}`);
    } finally {
      more.disabled = false;
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearTimeout(debounce);
    setQuery({ q: q.value.trim() });
    load(true);
  });
  q.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      setQuery({ q: q.value.trim() });
      load(true);
    }, 250);
  }, { signal });
  signal.addEventListener('abort', () => clearTimeout(debounce));
  more.addEventListener('click', () => load(false));

  await load(true);
  focusHeading(main);
}
