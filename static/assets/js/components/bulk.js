// bulk.js — the bulk composer: one text (or a template) to the rows
// selected in the Candidate Pool, or to a job's applicants. It shows who
// will be skipped and why before anything is sent (a dry run of the same
// server gate), then a live progress bar fed by bulk.progress.

import { h, replace, showError } from '../dom.js';
import { get, post, ApiError } from '../api.js';
import { store, on } from '../store.js';
import { countSegments, describeCount, MAX_CHARACTERS } from '../segments.js';
import { templatePicker, plainCharacters, scheduleControls, templateErrorText } from './compose.js';

/** Why a contact is skipped, in words. */
const REASONS = {
  opted_out: 'opted out',
  no_consent: 'has not opted in',
  opt_out_review: 'may have asked not to be texted (review pending)',
  missing_field: 'the template has no value for them',
  invalid_body: 'the text would be empty or too long',
  not_found: 'not found',
};

/**
 * Row checkboxes for a table of contacts: a checkbox in each row's first
 * cell (data-testid row-select). onChange gets the selected contact ids.
 * @param {HTMLElement} tbody
 * @param {(ids: number[]) => void} onChange
 */
export function selectableRows(tbody, onChange) {
  const selected = new Set();
  const add = (row) => {
    const id = Number(row.dataset.contactId);
    const cell = row.querySelector('td, th');
    if (!cell || row.querySelector('[data-testid="row-select"]')) return;
    const name = row.querySelector('.contact-name')?.textContent || `contact ${id}`;
    const box = h('input', {
      type: 'checkbox', class: 'row-select', testid: 'row-select', 'data-contact-id': id, 'aria-label': `Select ${name}`,
      checked: selected.has(id),
      on: {
        change: (ev) => {
          if (/** @type {HTMLInputElement} */ (ev.target).checked) selected.add(id);
          else selected.delete(id);
          onChange([...selected]);
        },
      },
    });
    cell.prepend(box, ' ');
  };
  const scan = () => tbody.querySelectorAll('[data-contact-id]').forEach((r) => add(/** @type {HTMLElement} */ (r)));
  scan();
  new MutationObserver(scan).observe(tbody, { childList: true });
  return { ids: () => [...selected] };
}

/**
 * The "Text selected" button that opens the bulk composer.
 * @param {() => {contactIds?: number[], jobId?: number|null, label: string}} target
 */
export function bulkButton(target) {
  return h('button', {
    type: 'button', class: 'btn', testid: 'bulk-open',
    on: { click: (ev) => openBulk(target(), /** @type {HTMLElement} */ (ev.currentTarget)) },
  }, 'Text selected');
}

let dlg = null;

/**
 * Opens the bulk composer.
 * @param {{contactIds?: number[], jobId?: number|null, label: string}} target
 * @param {HTMLElement=} opener
 */
export function openBulk(target, opener) {
  dlg?.remove();
  const numbers = store.me?.numbers || [];
  const ac = new AbortController();
  const d = /** @type {HTMLDialogElement} */ (h('dialog', { class: 'modal bulk-modal', testid: 'bulk-modal', 'aria-labelledby': 'bulk-title' }));
  dlg = d;
  const close = () => {
    ac.abort();
    d.close();
    d.remove();
    if (dlg === d) dlg = null;
    opener?.focus();
  };
  d.addEventListener('close', () => ac.abort());
  const numberSelect = /** @type {HTMLSelectElement} */ (h('select', { class: 'select', testid: 'bulk-number', 'aria-label': 'Number' },
    numbers.map((n) => h('option', { value: n.id }, n.label ? `${n.label} (${n.e164})` : n.e164))));
  let template = null;
  const body = /** @type {HTMLTextAreaElement} */ (h('textarea', {
    class: 'compose', testid: 'bulk-body', rows: 3, placeholder: 'Write the text, or choose a template…', 'aria-label': 'Text',
    on: { input: () => changed() },
  }));
  const picker = templatePicker({
    testid: 'bulk-template',
    onPick: (t) => {
      template = t;
      body.value = t ? t.body : '';
      body.readOnly = Boolean(t);
      changed();
    },
  });
  const counter = h('span', { class: 'counter', testid: 'bulk-segments' });
  const plain = plainCharacters(body, () => changed());
  const schedule = scheduleControls(() => changed());
  const check = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'btn', testid: 'bulk-check', on: { click: () => run(true) } }, 'Check recipients'));
  const send = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'btn btn-primary', testid: 'bulk-send', disabled: true, on: { click: () => run(false) } }, 'Send'));
  const skips = h('div', { class: 'bulk-skips', testid: 'bulk-skips', 'aria-live': 'polite', hidden: true });
  const bar = h('div', { class: 'bulk-bar' });
  const progress = h('div', {
    class: 'bulk-progress', testid: 'bulk-progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-valuenow': '0', 'data-percent': '0', hidden: true,
  }, bar);
  const progressText = h('p', { class: 'muted', testid: 'bulk-progress-text', 'aria-live': 'polite', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn', testid: 'bulk-cancel', hidden: true, on: { click: () => stop() } }, 'Cancel the rest');
  const error = h('p', { class: 'form-error', testid: 'bulk-error', role: 'alert', hidden: true });
  const closeBtn = h('button', { type: 'button', class: 'icon-btn', testid: 'bulk-close', 'aria-label': 'Close', on: { click: close } },
    h('span', { 'aria-hidden': 'true' }, '×'));
  d.append(h('div', { class: 'modal-body' },
    h('header', { class: 'modal-head' }, h('h2', { id: 'bulk-title', class: 'modal-title' }, `Text ${target.label}`), closeBtn),
    numbers.length > 1 ? h('label', { class: 'field-label' }, 'From ', numberSelect) : null,
    h('div', { class: 'template-row' }, picker),
    body,
    h('div', { class: 'composer-foot' }, h('div', { class: 'counters' }, counter), schedule.el, check, send),
    plain.el, skips, progress, progressText, cancel, error));
  document.body.append(d);
  d.showModal();
  body.focus();

  let checked = false;
  let bulkId = null;

  function changed() {
    const c = countSegments(body.value);
    counter.textContent = describeCount(c);
    counter.dataset.encoding = c.encoding;
    counter.dataset.segments = String(c.segments);
    plain.update();
    checked = false;
    send.disabled = true;
    check.disabled = bulkId != null || body.value.trim() === '' || c.tooLong || numbers.length === 0;
    skips.hidden = true;
  }
  changed();

  function payload(dryRun) {
    const p = { number_id: Number(numberSelect.value) };
    if (target.contactIds?.length) p.contact_ids = target.contactIds;
    if (target.jobId != null) p.job_id = target.jobId;
    if (template) p.template_id = template.id;
    else p.body = body.value;
    const at = schedule.value();
    if (at) p.send_at = at;
    if (dryRun) p.dry_run = true;
    return p;
  }

  async function run(dryRun) {
    if (body.value.length > MAX_CHARACTERS * 2) return;
    showError(error, '');
    check.disabled = true;
    send.disabled = true;
    try {
      const res = await post('/api/bulk-sends', payload(dryRun), { signal: ac.signal });
      if (dryRun) {
        checked = true;
        showSkips(res);
        send.textContent = `Send to ${res.queued}`;
        send.disabled = res.queued === 0;
        check.disabled = false;
        return;
      }
      if (!checked) showSkips(res);
      bulkId = res.id;
      body.readOnly = true;
      send.hidden = true;
      check.hidden = true;
      cancel.hidden = false;
      setProgress({ id: res.id, percent: res.queued === 0 ? 100 : 0, queued: res.queued, sent: 0, delivered: 0, failed: 0, canceled: 0 });
      follow(res.id);
    } catch (err) {
      if (ac.signal.aborted) return;
      showError(error, err instanceof ApiError && err.code === 'missing_field' ? templateErrorText(err) : (err.message || 'Could not send.'));
      check.disabled = false;
      send.disabled = !checked;
    }
  }

  function showSkips(res) {
    const list = res.skipped || [];
    skips.hidden = false;
    skips.dataset.skipped = String(list.length);
    const names = new Map();
    for (const c of store.contacts.values()) names.set(c.id, c.name || c.phone);
    replace(skips,
      h('p', null, `${res.queued} of ${res.total} will be texted${list.length ? `; ${list.length} skipped:` : '.'}`),
      list.length ? h('ul', null, list.map((s) => h('li', { testid: 'bulk-skip', 'data-contact-id': s.contact_id, 'data-reason': s.reason },
        `${names.get(s.contact_id) || `Contact ${s.contact_id}`} — ${REASONS[s.reason] || s.reason}`))) : null);
  }

  function setProgress(b) {
    progress.hidden = false;
    progressText.hidden = false;
    const pct = Math.max(Number(progress.dataset.percent) || 0, b.percent ?? 0);
    progress.dataset.percent = String(pct);
    progress.setAttribute('aria-valuenow', String(pct));
    bar.style.width = `${pct}%`;
    progressText.textContent = `${pct}% · ${b.sent + b.delivered} sent · ${b.delivered} delivered · ${b.failed} failed · ${b.canceled} canceled · ${b.queued} waiting`;
    if (pct >= 100) cancel.hidden = true;
  }

  // Live from bulk.progress; a slow poll covers a socket that is down.
  function follow(id) {
    on('bulk', (b) => {
      if (b.id !== id) return;
      progress.dataset.live = 'true'; // a bulk.progress frame arrived
      setProgress(b);
    }, ac.signal);
    const poll = async () => {
      while (!ac.signal.aborted && Number(progress.dataset.percent) < 100) {
        await new Promise((r) => setTimeout(r, 3000));
        if (ac.signal.aborted) return;
        try {
          setProgress(await get(`/api/bulk-sends/${id}`, { signal: ac.signal }));
        } catch {
          // the next round tries again
        }
      }
    };
    poll();
  }

  async function stop() {
    if (bulkId == null) return;
    cancel.disabled = true;
    try {
      setProgress(await post(`/api/bulk-sends/${bulkId}/cancel`, undefined, { signal: ac.signal }));
    } catch (err) {
      if (!ac.signal.aborted) showError(error, `Could not cancel: ${err.message}`);
      cancel.disabled = false;
    }
  }
}
