// templates.js — the user's templates (/templates): the company's shared
// ones and their own, saved with merge fields ({{contact.first_name|there}})
// for the SMS modal's template picker and the bulk composer. Admins share.
// One form adds a template or, after "Edit" on a row, changes that one.

import { h, field, table, append, showError, statusLine } from '../dom.js';
import { api, get, post, del, isAbort, errorText } from '../api.js';
import { isAdmin, store } from '../store.js';
import { pageHead, loadError, focusHeading } from './common.js';
import { loadTemplates } from '../components/compose.js';

const FIELDS = ['contact.first_name', 'contact.last_name', 'contact.name', 'job.title',
  'user.first_name', 'user.name', 'company.name', 'number.label'];

/** @param {import('../router.js').PageContext} ctx */
export default async function templatesPage(ctx) {
  const { main, signal } = ctx;
  append(main, pageHead('Templates',
    'Texts you send again and again. Merge fields are filled in for each contact; a fallback after a bar is used when a value is missing.'));
  const { el, tbody, row } = table(['Name', 'Text', 'Shared', 'Actions'], { caption: 'Templates', testid: 'templates-table' });
  const rowError = h('p', { class: 'form-error', testid: 'template-row-error', role: 'alert', hidden: true });
  const empty = h('p', { class: 'muted', testid: 'templates-empty' }, 'No templates yet.');

  const mayChange = (t) => (t.shared ? isAdmin() : t.author?.id === store.me?.id);
  function templateRow(t) {
    const remove = mayChange(t) ? h('button', { type: 'button', class: 'btn btn-quiet btn-small', testid: 'template-delete' }, 'Delete') : null;
    remove?.setAttribute('aria-label', `Delete the template ${t.name}`);
    remove?.addEventListener('click', async () => {
      showError(rowError, '');
      remove.disabled = true;
      try {
        await del(`/api/templates/${t.id}`);
        tbody.querySelector(`[data-template-id="${t.id}"]`)?.remove();
        empty.hidden = tbody.children.length > 0;
        loadTemplates(true).catch(() => {});
      } catch (err) {
        showError(rowError, `Could not delete ${t.name}: ${errorText(err)}`);
        remove.disabled = false;
      }
    });
    const edit = mayChange(t) ? h('button', { type: 'button', class: 'btn btn-quiet btn-small', testid: 'template-edit' }, 'Edit') : null;
    edit?.setAttribute('aria-label', `Edit the template ${t.name}`);
    edit?.addEventListener('click', () => startEdit(t));
    return row({ testid: 'template-row', 'data-template-id': t.id }, [
      t.name, h('span', { class: 'template-body' }, t.body), t.shared ? 'Shared' : 'Yours',
      h('span', { class: 'row-actions' }, edit, remove),
    ]);
  }

  try {
    const res = await get('/api/templates', { signal });
    append(tbody, (res?.templates || []).map(templateRow));
  } catch (err) {
    if (isAbort(err)) return;
    append(main, loadError(err, 'templates'));
    return;
  }
  empty.hidden = tbody.children.length > 0;

  const name = h('input', { type: 'text', class: 'input', testid: 'template-name', required: true, autocomplete: 'off', maxlength: 100 });
  const body = h('textarea', { class: 'input', testid: 'template-body', rows: 3, required: true,
    placeholder: 'Hi {{contact.first_name|there}}, are you still interested in {{job.title}}?' });
  const shared = h('input', { type: 'checkbox', testid: 'template-shared' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'template-create' }, 'Save template');
  const cancel = h('button', { type: 'button', class: 'btn btn-quiet', testid: 'template-edit-cancel', hidden: true }, 'Cancel');
  const error = h('p', { class: 'form-error', testid: 'template-error', role: 'alert', hidden: true });
  const ok = statusLine('template-status');
  const title = h('h2', { class: 'section-title', id: 'new-template-title' }, 'New template');
  const form = h('form', { class: 'card form-grid', 'aria-labelledby': 'new-template-title', novalidate: true },
    title,
    field('Name', name), field('Text', body, `Merge fields: ${FIELDS.map((f) => `{{${f}}}`).join(', ')}.`),
    isAdmin() ? field('Shared with everyone', shared) : null,
    h('div', { class: 'form-actions' }, submit, cancel), error, ok);

  /** The template being changed; null while the form adds one. */
  let editing = null;
  function setEditing(t) {
    editing = t;
    title.textContent = t ? `Edit ${t.name}` : 'New template';
    submit.textContent = t ? 'Save changes' : 'Save template';
    cancel.hidden = !t;
    form.dataset.editing = t ? String(t.id) : '';
  }
  function startEdit(t) {
    setEditing(t);
    name.value = t.name;
    body.value = t.body;
    shared.checked = !!t.shared;
    showError(error, '');
    ok.textContent = '';
    name.focus();
  }
  cancel.addEventListener('click', () => {
    setEditing(null);
    form.reset();
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    ok.textContent = '';
    submit.disabled = true;
    try {
      const fields = { name: name.value, body: body.value, shared: isAdmin() && shared.checked };
      if (editing) {
        const t = await api('PATCH', `/api/templates/${editing.id}`, { body: fields });
        tbody.querySelector(`[data-template-id="${t.id}"]`)?.replaceWith(templateRow(t));
        ok.textContent = `Saved ${t.name}.`;
        setEditing(null);
      } else {
        const t = await post('/api/templates', fields);
        tbody.append(templateRow(t));
        empty.hidden = true;
        ok.textContent = `Saved ${t.name}.`;
      }
      form.reset();
      loadTemplates(true).catch(() => {});
    } catch (err) {
      showError(error, `Could not save the template: ${errorText(err)}`);
    } finally {
      submit.disabled = false;
    }
  });

  append(main, h('section', { class: 'card' }, el, empty, rowError), form);
  focusHeading(main);
}
