// webhooks.js — admin: the company's outbound webhook endpoints
// (/admin/webhooks), for the host ATS. Each gets the company's events,
// signed with its secret (shown once, at creation). An endpoint that fails
// for 72 hours is disabled: it shows here as such, live, with its last
// error, and "Resume" delivers again from where it stopped.

import { h, field, table, append, replace, showError, statusLine } from '../dom.js';
import { get, post, del, isAbort, errorText } from '../api.js';
import { fullTime } from '../time.js';
import { on } from '../store.js';
import { pageHead, loadError, focusHeading } from './common.js';

/** The state of an endpoint, in words. */
function stateOf(w) {
  if (w.disabled_at) return { key: 'disabled', text: `Disabled ${fullTime(w.disabled_at)} after failing since ${fullTime(w.failing_since)}` };
  if (w.failing_since) return { key: 'failing', text: `Failing since ${fullTime(w.failing_since)}; next try ${w.next_attempt_at ? fullTime(w.next_attempt_at) : 'soon'}` };
  return { key: 'ok', text: 'Delivering' };
}

/** @param {import('../router.js').PageContext} ctx */
export default async function webhooksPage(ctx) {
  const { main, signal } = ctx;
  append(main, pageHead('Webhooks',
    'The host ATS gets the company\'s events at these URLs, signed with each endpoint\'s secret. docs/INTEGRATION.md says how to check the signature.',
    h('a', { href: '/admin/tokens', class: 'btn btn-quiet', testid: 'open-tokens' }, 'API tokens')));
  const { el, tbody, row } = table(['URL', 'Events', 'Delivered up to', 'State', 'Actions'],
    { caption: 'Webhook endpoints', testid: 'webhooks-table' });
  const rowError = h('p', { class: 'form-error', testid: 'webhook-row-error', role: 'alert', hidden: true });
  const empty = h('p', { class: 'muted', testid: 'webhooks-empty' }, 'No webhook endpoints yet.');

  function hookRow(w) {
    const st = stateOf(w);
    const state = h('span', { class: ['pill', `pill-webhook-${st.key}`], testid: 'webhook-state', 'data-state': st.key }, st.text);
    const lastError = w.last_error ? h('div', { class: 'muted small', testid: 'webhook-error' }, w.last_error) : null;
    const remove = h('button', { type: 'button', class: 'btn btn-quiet btn-small', testid: 'webhook-delete' }, 'Delete');
    remove.setAttribute('aria-label', `Delete the endpoint ${w.url}`);
    remove.addEventListener('click', async () => {
      showError(rowError, '');
      remove.disabled = true;
      try {
        await del(`/api/webhooks/${w.id}`);
        tbody.querySelector(`[data-webhook-id="${w.id}"]`)?.remove();
        empty.hidden = tbody.children.length > 0;
      } catch (err) {
        showError(rowError, `Could not delete ${w.url}: ${errorText(err)}`);
        remove.disabled = false;
      }
    });
    const actions = [remove];
    if (w.disabled_at || w.failing_since) {
      const resume = h('button', { type: 'button', class: 'btn btn-small', testid: 'webhook-resume' }, 'Resume');
      resume.setAttribute('aria-label', `Resume deliveries to ${w.url}`);
      resume.addEventListener('click', async () => {
        showError(rowError, '');
        resume.disabled = true;
        try {
          const now = await post(`/api/webhooks/${w.id}/replay`, { from_seq: w.delivered_seq + 1 });
          tbody.querySelector(`[data-webhook-id="${w.id}"]`)?.replaceWith(hookRow(now));
        } catch (err) {
          showError(rowError, `Could not resume ${w.url}: ${errorText(err)}`);
          resume.disabled = false;
        }
      });
      actions.unshift(resume);
    }
    return row({ testid: 'webhook-row', 'data-webhook-id': w.id }, [
      w.url,
      (w.events || []).join(', '),
      String(w.delivered_seq),
      h('div', null, state, lastError),
      h('div', { class: 'row-actions' }, actions),
    ]);
  }

  async function load() {
    const res = await get('/api/webhooks', { signal });
    replace(tbody, ...(res?.webhooks || []).map(hookRow));
    empty.hidden = tbody.children.length > 0;
  }
  try {
    await load();
  } catch (err) {
    if (isAbort(err)) return;
    append(main, loadError(err, 'webhooks'));
    return;
  }
  // An endpoint disabled while the page is open shows at once.
  on('webhook', () => load().catch(() => {}), signal);

  const url = h('input', { type: 'url', class: 'input', testid: 'webhook-url', required: true, autocomplete: 'off', placeholder: 'https://ats.example.com/hooks/smsinbox' });
  const events = h('input', { type: 'text', class: 'input', testid: 'webhook-events', value: '*', autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'webhook-create' }, 'Add endpoint');
  const error = h('p', { class: 'form-error', testid: 'webhook-form-error', role: 'alert', hidden: true });
  const ok = statusLine('webhook-status');
  const secret = h('input', { type: 'text', class: ['input', 'secret'], testid: 'webhook-secret', readOnly: true });
  const shown = h('div', { class: 'notice', testid: 'webhook-shown', hidden: true },
    h('p', null, 'Copy this signing secret now: it is shown only once.'), secret);
  const form = h('form', { class: 'card form-grid', 'aria-labelledby': 'new-webhook-title', novalidate: true },
    h('h2', { class: 'section-title', id: 'new-webhook-title' }, 'Add an endpoint'),
    field('URL', url, 'Where the events are POSTed.'),
    field('Events', events, '* for every type, or a comma-separated list such as message.received, contact.consent.'),
    h('div', { class: 'form-actions' }, submit), error, ok);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    ok.textContent = '';
    shown.hidden = true;
    const list = events.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (!url.value.trim() || list.length === 0) {
      showError(error, 'Give the endpoint a URL and at least one event type (or *).');
      return;
    }
    submit.disabled = true;
    try {
      const w = await post('/api/webhooks', { url: url.value.trim(), events: list });
      secret.value = w.secret;
      shown.hidden = false;
      secret.select();
      tbody.append(hookRow(w));
      empty.hidden = true;
      ok.textContent = `Added ${w.url}.`;
      form.reset();
      events.value = '*';
    } catch (err) {
      showError(error, `Could not add the endpoint: ${errorText(err)}`);
    } finally {
      submit.disabled = false;
    }
  });

  append(main, shown, h('section', { class: 'card' }, el, empty, rowError), form);
  focusHeading(main);
}
