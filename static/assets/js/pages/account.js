// account.js — the signed-in user's account (/account): who they are, and
// changing their password.

import { h, field, append, showError, statusLine } from '../dom.js';
import { ApiError, errorText } from '../api.js';
import { store } from '../store.js';
import { changePassword } from '../session.js';
import { pageHead, focusHeading } from './common.js';

/** The shortest new password the server takes. */
const MIN_PASSWORD = 12;

/** @param {import('../router.js').PageContext} ctx */
export default function accountPage(ctx) {
  const { main } = ctx;
  const me = store.me || {};
  append(main, pageHead('Your account', `${me.name || ''} · ${me.email || ''}`));

  const current = h('input', { type: 'password', class: 'input', testid: 'password-current', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', class: 'input', testid: 'password-new', autocomplete: 'new-password', required: true, minlength: MIN_PASSWORD });
  const again = h('input', { type: 'password', class: 'input', testid: 'password-confirm', autocomplete: 'new-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'password-save' }, 'Change password');
  const error = h('p', { class: 'form-error', testid: 'password-error', role: 'alert', hidden: true });
  const ok = statusLine('password-status');
  const form = h('form', { class: 'card form-grid', 'aria-labelledby': 'password-title', novalidate: true },
    h('h2', { class: 'section-title', id: 'password-title' }, 'Change your password'),
    field('Current password', current),
    field('New password', next, `At least ${MIN_PASSWORD} characters. Every other place you are signed in will be signed out.`),
    field('New password, again', again),
    h('div', { class: 'form-actions' }, submit), error, ok);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    ok.textContent = '';
    if (!current.value || !next.value) {
      showError(error, 'Fill in your current password and a new one.');
      return;
    }
    if (next.value.length < MIN_PASSWORD) {
      showError(error, `The new password must be at least ${MIN_PASSWORD} characters long.`);
      next.focus();
      return;
    }
    if (next.value !== again.value) {
      showError(error, 'The two new passwords differ.');
      again.focus();
      return;
    }
    submit.disabled = true;
    try {
      await changePassword(current.value, next.value);
      form.reset();
      ok.textContent = 'Password changed. Everywhere else you were signed in, you are signed out.';
    } catch (err) {
      let text = `Could not change the password: ${errorText(err)}`;
      if (err instanceof ApiError && err.code === 'wrong_password') text = 'Your current password is not right.';
      else if (err instanceof ApiError && err.code === 'weak_password') text = err.message;
      else if (err instanceof ApiError && err.status === 429) text = 'Too many wrong passwords. Wait a few minutes and try again.';
      showError(error, text);
    } finally {
      submit.disabled = false;
    }
  });

  append(main, form);
  focusHeading(main);
}
