// users.js — admin: the company's users (/admin/users).

import { h, field, table, append, showError, statusLine } from '../dom.js';
import { get, post, isAbort, ApiError, errorText } from '../api.js';
import { pageHead, loadError, focusHeading } from './common.js';

/** @param {import('../router.js').PageContext} ctx */
export default async function usersPage(ctx) {
  const { main, signal } = ctx;
  append(main, pageHead('Users', 'Admins manage numbers and read every thread in the report; recruiters text from their numbers.'));
  const { el, tbody, row } = table(['Name', 'Email', 'Role'], { caption: 'Users', testid: 'users-table' });
  const userRow = (u) => row({ testid: 'user-row', 'data-user-id': u.id }, [
    u.name || '', u.email || '', h('span', { class: ['pill', `pill-${u.role}`] }, u.role === 'admin' ? 'Admin' : 'Recruiter'),
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

  append(main, h('section', { class: 'card' }, el), form);
  focusHeading(main);
}
