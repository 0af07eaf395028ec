// users.js — admin: the company's users (/admin/users).

import { h, field, table, append, showError, statusLine } from '../dom.js';
import { api, get, post, isAbort, ApiError, errorText } from '../api.js';
import { store } from '../store.js';
import { pageHead, loadError, focusHeading } from './common.js';

/** @param {import('../router.js').PageContext} ctx */
export default async function usersPage(ctx) {
  const { main, signal } = ctx;
  append(main, pageHead('Users', 'Admins manage numbers and read every thread in the report; recruiters text from their numbers.'));
  const { el, tbody, row } = table(['Name', 'Email', 'Role', 'Status', 'Actions'], { caption: 'Users', testid: 'users-table' });
  const rowError = h('p', { class: 'form-error', testid: 'user-row-error', role: 'alert', hidden: true });

  /**
   * Deactivating signs the user out everywhere at once (their open tabs go
   * to the sign-in page) and ends their API tokens; reactivating lets them
   * sign in again. An admin cannot deactivate themselves.
   */
  function toggleButton(u) {
    if (u.id === store.me?.id) return null;
    const active = u.active !== false;
    const btn = h('button', { type: 'button', class: ['btn', 'btn-small', active ? 'btn-quiet' : 'btn-primary'], testid: 'user-toggle-active' },
      active ? 'Deactivate' : 'Reactivate');
    btn.setAttribute('aria-label', `${active ? 'Deactivate' : 'Reactivate'} ${u.name || u.email}`);
    btn.addEventListener('click', async () => {
      showError(rowError, '');
      btn.disabled = true;
      try {
        const changed = await api('PATCH', `/api/users/${u.id}`, { body: { active: !active } });
        tbody.querySelector(`[data-user-id="${u.id}"]`)?.replaceWith(userRow(changed));
      } catch (err) {
        showError(rowError, `Could not ${active ? 'deactivate' : 'reactivate'} ${u.name || u.email}: ${errorText(err)}`);
        btn.disabled = false;
      }
    });
    return btn;
  }

  const userRow = (u) => row({ testid: 'user-row', 'data-user-id': u.id, 'data-active': String(u.active !== false) }, [
    u.name || '', u.email || '', h('span', { class: ['pill', `pill-${u.role}`] }, u.role === 'admin' ? 'Admin' : 'Recruiter'),
    h('span', { class: ['pill', u.active === false ? 'pill-inactive' : 'pill-active'], testid: 'user-status' },
      u.active === false ? 'Deactivated' : 'Active'),
    toggleButton(u),
  ]);
  try {
    const res = await get('/api/users', { signal });
    append(tbody, (res?.users || []).map(userRow));
  } catch (err) {
    if (isAbort(err)) return;
    append(main, loadError(err, 'users'));
    return;
  }

  const email = h('input', { type: 'email', class: 'input', testid: 'user-email', required: true, autocomplete: 'off' });
  const name = h('input', { type: 'text', class: 'input', testid: 'user-name', required: true, autocomplete: 'off' });
  const role = h('select', { class: 'select', testid: 'user-role' },
    h('option', { value: 'recruiter' }, 'Recruiter'), h('option', { value: 'admin' }, 'Admin'));
  const password = h('input', { type: 'password', class: 'input', testid: 'user-password', required: true, autocomplete: 'new-password', minlength: 8 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'user-create' }, 'Add user');
  const error = h('p', { class: 'form-error', testid: 'user-error', role: 'alert', hidden: true });
  const ok = statusLine('user-status');
  const form = h('form', { class: 'card form-grid', 'aria-labelledby': 'new-user-title', novalidate: true },
    h('h2', { class: 'section-title', id: 'new-user-title' }, 'Add a user'),
    field('Email', email), field('Name', name), field('Role', role),
    field('Password', password, 'At least 8 characters; share it with them privately.'),
    h('div', { class: 'form-actions' }, submit), error, ok);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    ok.textContent = '';
    if (!email.value.trim() || !name.value.trim() || !password.value) {
      showError(error, 'Fill in email, name and password.');
      return;
    }
    submit.disabled = true;
    try {
      const u = await post('/api/users', {
        email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value,
      });
      tbody.append(userRow(u));
      ok.textContent = `Added ${u.name || u.email}.`;
      form.reset();
    } catch (err) {
      showError(error, err instanceof ApiError && err.code === 'email_taken'
        ? 'A user with this email already exists.'
        : `Could not add the user: ${errorText(err)}`);
    } finally {
      submit.disabled = false;
    }
  });

  append(main, h('section', { class: 'card' }, el, rowError), form);
  focusHeading(main);
}
