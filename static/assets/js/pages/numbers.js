// numbers.js — admin: company numbers and who is assigned to each
// (/admin/numbers), plus the company's texting settings: on or off, the
// keyword replies, the consent request, quiet hours and claims.

import { h, field, table, append, showError, statusLine } from '../dom.js';
import { get, post, put, isAbort, ApiError, errorText } from '../api.js';
import { on } from '../store.js';
import { pageHead, loadError, focusHeading } from './common.js';

/** @param {import('../router.js').PageContext} ctx */
export default async function numbersPage(ctx) {
  const { main, signal } = ctx;
  append(main, pageHead('Numbers', 'Company phone numbers. Only a number\u2019s assignees see and send its texts.'));
  let numbers;
  let users;
  let company = null;
  try {
    const [n, u, c] = await Promise.all([
      get('/api/numbers', { signal }),
      get('/api/users', { signal }),
      get('/api/company', { signal }).catch((err) => {
        if (isAbort(err)) throw err;
        return null;
      }),
    ]);
    numbers = n?.numbers || [];
    users = u?.users || [];
    company = c;
  } catch (err) {
    if (isAbort(err)) return;
    append(main, loadError(err, 'numbers'));
    return;
  }

  const { el, tbody, row } = table(['Number', 'Label', 'Assignees', ''], { caption: 'Numbers', testid: 'numbers-table' });
  const rows = new Map(); // number id → {tr, select, dirty}

  function numberRow(n) {
    const select = h('select', {
      class: 'select multi', testid: 'assignee-select', multiple: true,
      size: Math.min(Math.max(users.length, 2), 6), 'aria-label': `Assignees of ${n.label || n.e164}`,
    }, users.map((u) => h('option', {
      value: u.id, selected: (n.assignees || []).some((a) => a.id === u.id),
    }, `${u.name || u.email}${u.role === 'admin' ? ' (admin)' : ''}`)));
    const save = h('button', { type: 'button', class: 'btn btn-primary btn-small', testid: 'assignees-save' }, 'Save');
    const status = h('span', { class: 'muted small', testid: 'assignees-status', role: 'status' });
    const entry = { select, dirty: false, tr: null };
    select.addEventListener('change', () => {
      entry.dirty = true;
      status.textContent = 'Not saved';
    });
    save.addEventListener('click', async () => {
      const ids = [...select.selectedOptions].map((o) => Number(o.value));
      save.disabled = true;
      status.textContent = 'Saving…';
      try {
        const res = await put(`/api/numbers/${n.id}/assignees`, { user_ids: ids });
        entry.dirty = false;
        n.assignees = res?.assignees || users.filter((u) => ids.includes(u.id));
        status.textContent = `Saved · ${n.assignees.length} ${n.assignees.length === 1 ? 'assignee' : 'assignees'}`;
      } catch (err) {
        status.textContent = `Not saved: ${errorText(err)}`;
      } finally {
        save.disabled = false;
      }
    });
    entry.tr = row({ testid: 'number-row', 'data-number-id': n.id }, [
      h('span', { class: 'phone', testid: 'number-e164' }, n.e164),
      h('span', { testid: 'number-label' }, n.label || ''),
      select,
      h('span', { class: 'row-actions' }, save, status),
    ]);
    rows.set(n.id, entry);
    return entry.tr;
  }
  append(tbody, numbers.map(numberRow));

  // Another admin changed a number: refresh rows the user is not editing.
  on('number', async () => {
    try {
      const res = await get('/api/numbers', { signal });
      for (const n of res?.numbers || []) {
        const entry = rows.get(n.id);
        if (!entry) {
          tbody.append(numberRow(n));
          continue;
        }
        if (entry.dirty) continue;
        const ids = new Set((n.assignees || []).map((a) => a.id));
        for (const o of entry.select.options) o.selected = ids.has(Number(o.value));
      }
    } catch {
      // The next change or a reload shows it.
    }
  }, signal);

  // Add a number.
  const e164 = h('input', { type: 'tel', class: 'input', testid: 'number-e164-input', placeholder: '+14155550100', required: true, autocomplete: 'off' });
  const label = h('input', { type: 'text', class: 'input', testid: 'number-label-input', placeholder: 'Recruiting line', autocomplete: 'off' });
  const add = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'number-create' }, 'Add number');
  const addError = h('p', { class: 'form-error', testid: 'number-error', role: 'alert', hidden: true });
  const addForm = h('form', { class: 'card form-grid', 'aria-labelledby': 'new-number-title', novalidate: true },
    h('h2', { class: 'section-title', id: 'new-number-title' }, 'Add a number'),
    field('Phone number', e164, 'E.164, e.g. +14155550100; other common forms are accepted.'),
    field('Label', label),
    h('div', { class: 'form-actions' }, add), addError);
  addForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(addError, '');
    if (!e164.value.trim()) {
      showError(addError, 'Enter the phone number.');
      return;
    }
    add.disabled = true;
    try {
      const n = await post('/api/numbers', { e164: e164.value.trim(), label: label.value.trim() });
      tbody.append(numberRow(n));
      addForm.reset();
    } catch (err) {
      const text = err instanceof ApiError && err.code === 'number_taken' ? 'This number is already in use.'
        : err instanceof ApiError && err.code === 'invalid_phone' ? 'That is not a phone number we can use. Write it as +14155550100.'
          : `Could not add the number: ${errorText(err)}`;
      showError(addError, text);
    } finally {
      add.disabled = false;
    }
  });

  const none = h('p', { class: 'muted' }, 'No numbers yet.');
  const showNone = () => {
    none.hidden = tbody.childElementCount > 0;
    el.hidden = !none.hidden;
  };
  new MutationObserver(showNone).observe(tbody, { childList: true });
  showNone();
  append(main, h('section', { class: 'card' }, h('h2', { class: 'section-title' }, 'Numbers and assignees'), none, el), addForm);
  append(main, companyCard(company));
  focusHeading(main);
}

/** The company's texting settings: GET/PUT /api/company. */
function companyCard(company) {
  const enabled = h('input', { type: 'checkbox', testid: 'company-sms-enabled', checked: !!company?.sms_enabled, id: 'company-sms-enabled' });
  const optout = h('textarea', { class: 'input', rows: 2, testid: 'company-optout-reply', value: company?.optout_reply || '' });
  const help = h('textarea', { class: 'input', rows: 2, testid: 'company-help-reply', value: company?.help_reply || '' });
  const region = h('input', {
    class: 'input input-region', testid: 'company-default-region', value: company?.default_region || '', maxlength: 2,
    autocomplete: 'off', spellcheck: 'false',
  });
  const optin = h('textarea', { class: 'input', rows: 2, testid: 'company-optin-reply', value: company?.optin_reply || '' });
  const request = h('textarea', { class: 'input', rows: 2, testid: 'company-consent-request', value: company?.consent_request || '' });
  const quiet = company?.quiet_hours;
  const quietOn = h('input', { type: 'checkbox', testid: 'company-quiet-enabled', checked: !!quiet, id: 'company-quiet-enabled' });
  const quietStart = h('input', { type: 'time', class: 'input input-time', testid: 'company-quiet-start', value: quiet?.start || '21:00' });
  const quietEnd = h('input', { type: 'time', class: 'input input-time', testid: 'company-quiet-end', value: quiet?.end || '08:00' });
  const showQuiet = () => { quietStart.disabled = !quietOn.checked; quietEnd.disabled = !quietOn.checked; };
  quietOn.addEventListener('change', showQuiet);
  showQuiet();
  const claimOn = h('input', { type: 'checkbox', testid: 'company-claim-on-read', checked: company?.claim_on_read !== false, id: 'company-claim-on-read' });
  const claimMinutes = h('input', {
    type: 'number', class: 'input input-minutes', testid: 'company-claim-minutes', min: 1, max: 1440, step: 1,
    value: String(company?.claim_minutes || 10),
  });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'company-save' }, 'Save settings');
  const error = h('p', { class: 'form-error', testid: 'company-error', role: 'alert', hidden: true });
  const ok = statusLine('company-status');
  const form = h('form', { class: 'card form-grid', 'aria-labelledby': 'company-title', testid: 'company-settings' },
    h('h2', { class: 'section-title', id: 'company-title' }, 'Text messaging settings'),
    h('div', { class: 'field field-check' }, enabled,
      h('label', { for: 'company-sms-enabled' }, 'Text messaging is on for the company'),
      h('span', { class: 'field-hint' }, 'When off, no SMS icon shows and nobody can send.')),
    field('Reply to STOP', optout, 'Sent once when someone opts out. Leave empty to send nothing.'),
    field('Reply to HELP', help, 'Sent when someone texts HELP or INFO. Leave empty to send nothing.'),
    field('Country of local numbers', region,
      'Two-letter country code (US, GB, …). Phone numbers written without +country code are read as this country\u2019s.'),
    field('Reply to START', optin, 'Sent when someone opts back in by text. {company} becomes the company\u2019s name.'),
    field('Consent request', request, 'Sent by \u201cAsk for consent by text\u201d. YES to it opts in. {company} becomes the company\u2019s name.'),
    h('div', { class: 'field field-check' }, quietOn,
      h('label', { for: 'company-quiet-enabled' }, 'Hold texts during quiet hours'),
      h('span', { class: 'field-hint' }, 'In the candidate\u2019s local time. A text written then is sent when they end; replies within 30 minutes of the candidate\u2019s own text are not held.')),
    field('Quiet hours start', quietStart),
    field('Quiet hours end', quietEnd),
    h('div', { class: 'field field-check' }, claimOn,
      h('label', { for: 'company-claim-on-read' }, 'Opening a new text claims it for the reader'),
      h('span', { class: 'field-hint' }, 'The other assignees see who is handling it.')),
    field('Minutes before an unanswered claim lapses', claimMinutes,
      'Then the text is unread again for every assignee, so nobody forgets it.'),
    h('div', { class: 'form-actions' }, save), error, ok);
  if (!company) {
    showError(error, 'Could not load the settings.');
    save.disabled = true;
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    ok.textContent = '';
    save.disabled = true;
    try {
      const minutes = Number(claimMinutes.value);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
        showError(error, 'Minutes before a claim lapses: a whole number from 1 to 1440.');
        return;
      }
      const body = {
        sms_enabled: enabled.checked, optout_reply: optout.value, help_reply: help.value,
        optin_reply: optin.value, consent_request: request.value,
        quiet_hours: quietOn.checked ? { start: quietStart.value, end: quietEnd.value } : null,
        claim_on_read: claimOn.checked, claim_minutes: minutes,
      };
      // Sent only when changed: untouched, the company keeps following the
      // server's default region.
      const r = region.value.trim().toUpperCase();
      if (r !== (company?.default_region || '')) body.default_region = r;
      const c = await put('/api/company', body);
      if (c) {
        enabled.checked = !!c.sms_enabled;
        optout.value = c.optout_reply ?? optout.value;
        help.value = c.help_reply ?? help.value;
        region.value = c.default_region ?? region.value;
        optin.value = c.optin_reply ?? optin.value;
        request.value = c.consent_request ?? request.value;
        quietOn.checked = !!c.quiet_hours;
        if (c.quiet_hours) {
          quietStart.value = c.quiet_hours.start;
          quietEnd.value = c.quiet_hours.end;
        }
        showQuiet();
        claimOn.checked = c.claim_on_read !== false;
        if (c.claim_minutes) claimMinutes.value = String(c.claim_minutes);
        if (company) company.default_region = c.default_region;
      }
      ok.textContent = 'Settings saved.';
    } catch (err) {
      showError(error, `Could not save: ${errorText(err)}`);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
