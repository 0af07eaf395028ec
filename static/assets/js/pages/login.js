// login.js — sign in (/login).

import { h, field, showError, append } from '../dom.js';
import { ApiError } from '../api.js';
import { signIn } from '../session.js';

/**
 * @param {import('../router.js').PageContext} ctx
 * @param {(user: any, next: string) => void} onSignedIn
 */
export default function loginPage(ctx, onSignedIn) {
  const { main, query } = ctx;
  const email = h('input', { type: 'email', name: 'email', class: 'input', testid: 'login-email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', class: 'input', testid: 'login-password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' }, 'Sign in');
  const error = h('p', { class: 'form-error', testid: 'login-error', role: 'alert', hidden: true });
  // Sent here because the session ended while the app was open.
  const notice = query.get('ended')
    ? h('p', { class: 'notice', testid: 'login-notice', role: 'status' },
      'Your session has ended: you were signed out, or your account changed. Sign in again.')
    : null;
  const form = h('form', { class: 'login-form', novalidate: true },
    notice, field('Email', email), field('Password', password), error, submit);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!email.value.trim() || !password.value) {
      showError(error, 'Enter your email and password.');
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    showError(error, '');
    try {
      const user = await signIn(email.value.trim(), password.value);
      const next = query.get('next');
      onSignedIn(user, next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
    } catch (err) {
      const text = err instanceof ApiError && (err.status === 401 || err.code === 'invalid_credentials')
        ? 'Wrong email or password.'
        : err instanceof ApiError && err.status === 429
          ? 'Too many failed attempts from here. Wait a few minutes and try again.'
          : err instanceof ApiError && err.status === 0 ? err.message : `Could not sign in: ${err.message}`;
      showError(error, text);
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });

  append(main, h('div', { class: 'login' },
    h('div', { class: 'login-card card' },
      h('div', { class: 'login-brand' },
        h('img', { src: new URL('../../icon.svg', import.meta.url).href, alt: '', width: 40, height: 40 }),
        h('h1', { class: 'page-title' }, 'smsinbox')),
      h('p', { class: 'muted' }, 'Text candidates and see every reply as it arrives.'),
      form)));
  email.focus();
}
