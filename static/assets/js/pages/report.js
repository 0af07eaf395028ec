// report.js — admin: the SMS Text Messaging Activity report:
// filters, one row per message across every number, totals, paging and CSV.

import { h, field, table, append, showError } from '../dom.js';
import { get, isAbort, withQuery, errorText } from '../api.js';
import { setQuery } from '../router.js';
import { statusText, failureReason } from '../components/messages.js';
import { fullTime, isoTime } from '../time.js';
import { pageHead, loadError, focusHeading } from './common.js';

const LIMIT = 100;
const ENDPOINT = '/api/reports/sms-activity';
const FILTERS = ['from', 'to', 'number_id', 'user_id', 'contact_id', 'direction', 'status'];

/** A local calendar day "2025-03-04" → the RFC 3339 instant it starts at. */
export function dayStart(day) {
  const d = new Date(`${day}T00:00:00`);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** A local calendar day → the instant the next one starts (the API's "to" is exclusive). */
export function dayEnd(day) {
  const d = new Date(`${day}T00:00:00`);
  if (Number.isNaN(d.getTime())) return '';
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}

/** The API query for the filters of the page's URL. */
export function apiQuery(filters) {
  return {
    from: filters.from ? dayStart(filters.from) : '',
    to: filters.to ? dayEnd(filters.to) : '',
    number_id: filters.number_id, user_id: filters.user_id, contact_id: filters.contact_id,
    direction: filters.direction, status: filters.status,
  };
}

/** @param {import('../router.js').PageContext} ctx */
export default async function reportPage(ctx) {
  const { main, signal, query } = ctx;
  append(main, pageHead('SMS Text Messaging Activity', 'Every text on every company number.'));
  const filters = {};
  for (const k of FILTERS) filters[k] = query.get(k) || '';

  let numbers = [];
  let users = [];
  let contactName = '';
  try {
    const [n, u, c] = await Promise.all([
      get('/api/numbers', { signal }),
      get('/api/users', { signal }),
      filters.contact_id ? get(`/api/contacts/${filters.contact_id}`, { signal }).catch(() => null) : null,
    ]);
    numbers = n?.numbers || [];
    users = u?.users || [];
    if (c) contactName = contactLabel(c);
  } catch (err) {
    if (isAbort(err)) return;
    append(main, loadError(err, 'the report'));
    return;
  }

  // ---- filters
  const from = h('input', { type: 'date', class: 'input', testid: 'report-from', value: filters.from });
  const to = h('input', { type: 'date', class: 'input', testid: 'report-to', value: filters.to });
  const number = select('report-number', 'Any number', numbers.map((n) => [n.id, n.label ? `${n.label} (${n.e164})` : n.e164]), filters.number_id);
  const user = select('report-user', 'Anyone', users.map((u) => [u.id, u.name || u.email]), filters.user_id);
  const direction = select('report-direction', 'Both', [['inbound', 'Received'], ['outbound', 'Sent']], filters.direction);
  const status = select('report-status', 'Any status',
    ['received', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'unknown'].map((s) => [s, statusText(s)]), filters.status);
  const contactList = h('datalist', { id: 'report-contacts' });
  const contact = h('input', {
    type: 'search', class: 'input', testid: 'report-contact', list: 'report-contacts', value: contactName,
    placeholder: 'Name or phone', autocomplete: 'off',
  });
  const contactIds = new Map(); // datalist label → id
  if (contactName) contactIds.set(contactName, Number(filters.contact_id));
  let contactTimer = null;
  contact.addEventListener('input', () => {
    clearTimeout(contactTimer);
    const q = contact.value.trim();
    if (q.length < 2 || contactIds.has(contact.value)) return;
    contactTimer = setTimeout(async () => {
      try {
        const res = await get('/api/contacts', { query: { q, limit: 20 }, signal });
        const opts = (res?.contacts || []).map((c) => {
          const label = contactLabel(c);
          contactIds.set(label, c.id);
          return h('option', { value: label });
        });
        contactList.replaceChildren(...opts);
      } catch {
        // Suggestions are a convenience.
      }
    }, 200);
  }, { signal });

  const apply = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'report-apply' }, 'Apply');
  const clear = h('button', { type: 'button', class: 'btn btn-quiet', testid: 'report-clear' }, 'Clear');
  const formError = h('p', { class: 'form-error', role: 'alert', testid: 'report-error', hidden: true });
  const form = h('form', { class: 'card filters', 'aria-label': 'Filters' },
    field('From', from), field('To', to), field('Number', number), field('User', user),
    field('Contact', contact), contactList, field('Direction', direction), field('Status', status),
    h('div', { class: 'form-actions' }, apply, clear), formError);

  // ---- results
  const totals = h('p', { class: 'totals', testid: 'report-totals', role: 'status' });
  const exportLink = h('a', { class: 'btn', testid: 'report-export', download: 'sms-activity.csv', href: ENDPOINT }, 'Export CSV');
  const { el, tbody, row } = table(['Time', 'Direction', 'Number', 'Contact', 'User', 'Message', 'Status', 'Segments', 'Units', 'Amount'],
    { caption: 'Messages', testid: 'report-table', class: 'report-table' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No messages match these filters.');
  const more = h('button', { type: 'button', class: 'btn', testid: 'report-more', hidden: true }, 'Load more');
  const error = h('div', { class: 'notice notice-error', role: 'alert', testid: 'page-error', hidden: true });
  append(main, form, h('section', { class: 'card' },
    h('div', { class: 'results-head' }, totals, exportLink), error, el, empty, h('div', { class: 'more-row' }, more)));

  let cursor = null;
  let seq = 0;

  function reportRow(r) {
    const reason = failureReason(r);
    return row({ testid: 'report-row', 'data-message-id': r.message_id, 'data-direction': r.direction, 'data-status': r.status }, [
      h('time', { datetime: isoTime(r.at) }, fullTime(r.at)),
      r.direction === 'inbound' ? 'Received' : 'Sent',
      r.number ? (r.number.label ? `${r.number.label} (${r.number.e164})` : r.number.e164) : '',
      r.contact ? h('a', { href: `/candidates/${r.contact.id}` }, r.contact.name || r.contact.phone) : '',
      r.user ? (r.user.name || r.user.email) : (r.direction === 'outbound' ? 'Automatic' : ''),
      h('span', { class: 'report-body' }, r.body || ''),
      h('span', { class: ['status', `status-${r.status}`], title: reason || undefined },
        statusText(r.status), r.error_code ? ` (${r.error_code})` : ''),
      String(r.segments ?? ''),
      // What Plivo charged, as its status reports said; blank until one does.
      h('span', { testid: 'report-units' }, r.units ?? ''),
      h('span', { testid: 'report-amount' }, r.amount ?? ''),
    ]);
  }

  async function load(reset) {
    const mySeq = ++seq;
    more.disabled = true;
    const q = apiQuery(filters);
    exportLink.setAttribute('href', withQuery(ENDPOINT, { ...q, format: 'csv' }));
    try {
      const res = await get(ENDPOINT, { query: { ...q, limit: LIMIT, cursor: reset ? null : cursor }, signal });
      if (mySeq !== seq) return;
      if (reset) tbody.replaceChildren();
      append(tbody, (res?.rows || []).map(reportRow));
      cursor = res?.next_cursor || null;
      more.hidden = !cursor;
      empty.hidden = tbody.childElementCount > 0;
      el.hidden = !empty.hidden;
      const t = res?.totals;
      if (t && reset) {
        const replies = t.response_p50_s != null
          ? ` · reply time median ${duration(t.response_p50_s)}, 90% within ${duration(t.response_p90_s)}`
          : '';
        totals.textContent = `${t.inbound ?? 0} received · ${t.outbound ?? 0} sent · ${t.failed ?? 0} failed · ${t.segments ?? 0} segments`
          + ` · ${t.units ?? 0} units billed · amount ${t.amount ?? 0}${replies}`;
      }
      showError(error, '');
    } catch (err) {
      if (isAbort(err)) return;
      showError(error, `Could not load the report: ${errorText(err)}`);
    } finally {
      more.disabled = false;
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    showError(formError, '');
    let contactId = '';
    const cv = contact.value.trim();
    if (cv) {
      if (contactIds.has(contact.value)) contactId = String(contactIds.get(contact.value));
      else if (/^\d+$/.test(cv)) contactId = cv;
      else {
        showError(formError, 'Pick a contact from the suggestions, or clear the Contact field.');
        contact.focus();
        return;
      }
    }
    if (from.value && to.value && from.value > to.value) {
      showError(formError, '"From" is after "To".');
      return;
    }
    Object.assign(filters, {
      from: from.value, to: to.value, number_id: number.value, user_id: user.value,
      contact_id: contactId, direction: direction.value, status: status.value,
    });
    setQuery(filters);
    load(true);
  });
  clear.addEventListener('click', () => {
    for (const input of [from, to, contact]) input.value = '';
    for (const s of [number, user, direction, status]) s.value = '';
    form.requestSubmit();
  });
  more.addEventListener('click', () => load(false));
  signal.addEventListener('abort', () => clearTimeout(contactTimer));

  await load(true);
  focusHeading(main);
}

function contactLabel(c) {
  return [c.name, c.phone].filter(Boolean).join(' · ') || `#${c.id}`;
}

/** A select with an "any" option first. */
function select(testid, anyText, options, value) {
  return h('select', { class: 'select', testid },
    h('option', { value: '' }, anyText),
    options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value) }, text)));
}

/** Seconds as "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
export function duration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
  const d = Math.floor(hours / 24);
  return hours % 24 ? `${d} d ${hours % 24} h` : `${d} d`;
}
