// tokens.js — admin: the company's API tokens (/admin/tokens). A token acts
// as the admin who made it, for the host ATS; its secret is shown once, at
// creation. Tokens expire, and an admin can revoke any of them.

import { h, field, table, append, showError, statusLine } from '../dom.js';
import { get, post, del, isAbort, errorText } from '../api.js';
import { fullTime } from '../time.js';
import { store } from '../store.js';
import { pageHead, loadError, focusHeading } from './common.js';

/** @param {import('../router.js').PageContext} ctx */
export default async function tokensPage(ctx) {
  const { main, signal } = ctx;
  append(main, pageHead('API tokens',
    'A token lets the host ATS push contacts and jobs, acting as the admin who made it, until it expires or is revoked.',
    h('a', { href: '/admin/webhooks', class: 'btn btn-quiet', testid: 'open-webhooks' }, 'Webhooks')));
  const { el, tbody, row } = table(['Name', 'Made by', 'Created', 'Expires', 'Last used', 'Actions'],
    { caption: 'API tokens', testid: 'tokens-table' });
  const rowError = h('p', { class: 'form-error', testid: 'token-row-error', role: 'alert', hidden: true });
  const empty = h('p', { class: 'muted', testid: 'tokens-empty' }, 'No API tokens yet.');

  const when = (t) => (t ? fullTime(t) : '—');
  function tokenRow(t) {
    const expired = t.expires_at && new Date(t.expires_at).getTime() <= Date.now();
    const revoke = h('button', { type: 'button', class: 'btn btn-quiet btn-small', testid: 'token-revoke' }, 'Revoke');
    revoke.setAttribute('aria-label', `Revoke the token ${t.name}`);
    revoke.addEventListener('click', async () => {
      showError(rowError, '');
      revoke.disabled = true;
      try {
        await del(`/api/tokens/${t.id}`);
        tbody.querySelector(`[data-token-id="${t.id}"]`)?.remove();
        empty.hidden = tbody.children.length > 0;
      } catch (err) {
        showError(rowError, `Could not revoke ${t.name}: ${errorText(err)}`);
        revoke.disabled = false;
      }
    });
    return row({ testid: 'token-row', 'data-token-id': t.id }, [
      t.name,
      t.user?.name || t.user?.email || '',
      when(t.created_at),
      expired ? h('span', { class: ['pill', 'pill-expired'], testid: 'token-expired' }, `Expired ${when(t.expires_at)}`)
        : t.expires_at ? when(t.expires_at) : 'Never',
      when(t.last_used_at),
      revoke,
    ]);
  }

  try {
    const res = await get('/api/tokens', { signal });
    append(tbody, (res?.tokens || []).map(tokenRow));
  } catch (err) {
    if (isAbort(err)) return;
    append(main, loadError(err, 'API tokens'));
    return;
  }
  empty.hidden = tbody.children.length > 0;

  const name = h('input', { type: 'text', class: 'input', testid: 'token-name', required: true, autocomplete: 'off', maxlength: 100 });
  const days = h('input', { type: 'number', class: 'input', testid: 'token-expiry', min: 1, max: 3650, value: '365' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'token-create' }, 'Create token');
  const error = h('p', { class: 'form-error', testid: 'token-error', role: 'alert', hidden: true });
  const ok = statusLine('token-status');
  const secret = h('input', { type: 'text', class: ['input', 'secret'], testid: 'token-secret', readOnly: true });
  const shown = h('div', { class: 'notice', testid: 'token-shown', hidden: true },
    h('p', null, 'Copy this token now: it is shown only once. Send it as "Authorization: Bearer <token>".'), secret);
  const form = h('form', { class: 'card form-grid', 'aria-labelledby': 'new-token-title', novalidate: true },
    h('h2', { class: 'section-title', id: 'new-token-title' }, 'Create a token'),
    field('Name', name, 'What uses it, e.g. "ATS sync".'), field('Expires after (days)', days, '1 to 3650.'),
    h('div', { class: 'form-actions' }, submit), error, ok);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    ok.textContent = '';
    shown.hidden = true;
    const n = Number(days.value);
    if (!name.value.trim()) {
      showError(error, 'Give the token a name.');
      return;
    }
    if (!Number.isInteger(n) || n < 1 || n > 3650) {
      showError(error, 'Expiry: a whole number of days from 1 to 3650.');
      return;
    }
    submit.disabled = true;
    try {
      const t = await post('/api/tokens', { name: name.value.trim(), expires_in_days: n });
      secret.value = t.token;
      shown.hidden = false;
      secret.select();
      tbody.append(tokenRow({ ...t, last_used_at: null, user: store.me }));
      empty.hidden = true;
      ok.textContent = `Created ${t.name}.`;
      form.reset();
      days.value = '365';
    } catch (err) {
      showError(error, `Could not create the token: ${errorText(err)}`);
    } finally {
      submit.disabled = false;
    }
  });

  append(main, shown, h('section', { class: 'card' }, el, empty, rowError), form);
  focusHeading(main);
}
