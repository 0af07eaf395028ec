// compose.js — the composer's extras, shared by the SMS modal and the bulk
// composer: the template picker with its live preview, "Schedule" beside
// "Send", the "use plain characters" suggestion under the counter, and the
// actions on a message (cancel a scheduled text, resend a failed one).

import { h, replace } from '../dom.js';
import { get, post, isAbort, ApiError } from '../api.js';
import { countSegments, describeCount } from '../segments.js';
import { plainSuggestion, loadPlainTable } from '../plainchars.js';
import { fullTime } from '../time.js';

let templatesLoading = null;

/** The templates the user may use (GET /api/templates), fetched once a page load. */
export function loadTemplates(refresh = false) {
  if (refresh) templatesLoading = null;
  templatesLoading ??= get('/api/templates').then((r) => r?.templates || []).catch((err) => {
    templatesLoading = null;
    throw err;
  });
  return templatesLoading;
}

/** What a recruiter reads when a template cannot be rendered. */
export function templateErrorText(err) {
  if (err instanceof ApiError && err.code === 'missing_field') {
    return `${err.message}. Fill it in on the contact, or add a fallback to the template.`;
  }
  return err?.message || 'The template could not be rendered.';
}

/**
 * The template picker: a select of the user's templates. onPick gets the
 * chosen template (or null for "no template").
 * @param {{testid: string, onPick: (t: any|null) => void}} opts
 */
export function templatePicker({ testid, onPick }) {
  const sel = /** @type {HTMLSelectElement} */ (h('select', {
    class: 'select', testid, 'aria-label': 'Template',
    on: { change: () => onPick(byId.get(Number(sel.value)) || null) },
  }, h('option', { value: '' }, 'No template')));
  const byId = new Map();
  loadTemplates().then((list) => {
    for (const t of list) {
      byId.set(t.id, t);
      sel.append(h('option', { value: t.id }, t.shared ? `${t.name} (shared)` : t.name));
    }
    sel.dataset.loaded = 'true';
  }).catch(() => {
    sel.dataset.loaded = 'error';
  });
  return sel;
}

/**
 * A template's preview for one contact: the server renders it exactly as a
 * send would, with its encoding and segments.
 * @param {HTMLElement} el the template-preview element
 * @param {number} templateId
 * @param {{contact_id: number, number_id?: number|null, job_id?: number|null}} ctx
 * @param {AbortSignal=} signal
 * @returns {Promise<any|null>} the preview, or null when it cannot be rendered
 */
export async function showPreview(el, templateId, ctx, signal) {
  el.hidden = false;
  el.dataset.state = 'loading';
  replace(el, 'Rendering…');
  const body = { contact_id: ctx.contact_id };
  if (ctx.number_id != null) body.number_id = ctx.number_id;
  if (ctx.job_id != null) body.job_id = ctx.job_id;
  try {
    const p = await post(`/api/templates/${templateId}/preview`, body, { signal });
    el.dataset.state = 'ok';
    el.dataset.encoding = p.encoding;
    el.dataset.segments = String(p.segments);
    replace(el, h('span', { class: 'preview-body' }, p.body),
      h('span', { class: 'preview-count muted' }, ` · ${p.encoding} · ${p.segments} ${p.segments === 1 ? 'segment' : 'segments'}`));
    return p;
  } catch (err) {
    if (isAbort(err)) return null;
    el.dataset.state = 'error';
    replace(el, h('span', { class: 'form-error' }, templateErrorText(err)));
    return null;
  }
}

/**
 * The "use plain characters" suggestion under a counter: shown when the text
 * is UCS-2 only because of look-alike characters; a click replaces them.
 * @param {HTMLTextAreaElement} textarea
 * @param {() => void} onChange called after the text changed
 */
export function plainCharacters(textarea, onChange) {
  let table = null;
  const el = h('p', { class: 'plain-characters', testid: 'plain-characters', hidden: true });
  const update = () => {
    const plain = table ? plainSuggestion(textarea.value, table) : null;
    el.hidden = plain == null;
    if (plain == null) {
      el.replaceChildren();
      return;
    }
    const now = countSegments(textarea.value);
    const then = countSegments(plain);
    const btn = h('button', {
      type: 'button', class: 'btn btn-link', testid: 'plain-characters-use',
      on: {
        click: () => {
          textarea.value = plainSuggestion(textarea.value, table) ?? textarea.value;
          update();
          onChange();
          textarea.focus();
        },
      },
    }, 'Use plain characters');
    replace(el, 'Curly quotes or dashes make this text UCS-2 (', describeCount(now), '). ', btn,
      ` to send it as GSM-7 (${then.segments} ${then.segments === 1 ? 'segment' : 'segments'}).`);
  };
  loadPlainTable().then((t) => {
    table = t;
    update();
  });
  return { el, update };
}

/**
 * "Schedule" beside "Send": a checkbox and the time. value() is the chosen
 * time as an ISO string, or null when sending now.
 */
export function scheduleControls(onChange) {
  const at = /** @type {HTMLInputElement} */ (h('input', {
    type: 'datetime-local', class: 'input', testid: 'schedule-at', 'aria-label': 'Send at', hidden: true,
    on: { input: () => onChange() },
  }));
  const toggle = /** @type {HTMLInputElement} */ (h('input', {
    type: 'checkbox', testid: 'schedule-toggle', id: 'schedule-toggle',
    on: {
      change: () => {
        at.hidden = !toggle.checked;
        if (toggle.checked && !at.value) at.value = localInput(new Date(Date.now() + 60 * 60 * 1000));
        onChange();
      },
    },
  }));
  const el = h('span', { class: 'schedule' },
    h('label', { for: 'schedule-toggle', class: 'schedule-label' }, toggle, ' Schedule'), ' ', at);
  return {
    el,
    value() {
      if (!toggle.checked || !at.value) return null;
      const d = new Date(at.value);
      return Number.isNaN(d.getTime()) ? null : d.toISOString();
    },
    scheduled: () => toggle.checked,
    reset() {
      toggle.checked = false;
      at.hidden = true;
      at.value = '';
    },
  };
}

/** A Date as the value of a datetime-local input, in the browser's zone. */
export function localInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The actions under a message of the modal: a scheduled text's badge and
 * cancel; a failed text's resend. The buttons carry data-action; the modal
 * handles their clicks (onMessageAction).
 * @param {any} m Message
 */
export function messageActions(m) {
  if (m.direction !== 'outbound') return null;
  if (m.status === 'scheduled') {
    return h('p', { class: 'msg-actions' },
      h('span', { class: 'scheduled-badge', testid: 'scheduled-badge', title: m.send_at ? fullTime(m.send_at) : '' },
        `Scheduled for ${m.send_at ? fullTime(m.send_at) : 'later'}`),
      ' ',
      h('button', { type: 'button', class: 'btn btn-link', testid: 'cancel-scheduled', 'data-action': 'cancel-scheduled', 'data-message-id': m.id },
        'Cancel'));
  }
  if (m.status === 'failed' || m.status === 'undelivered') {
    return h('p', { class: 'msg-actions' },
      h('button', { type: 'button', class: 'btn btn-link', testid: 'resend', 'data-action': 'resend', 'data-message-id': m.id },
        'Resend'));
  }
  return null;
}

/**
 * Carries out a message action clicked in a thread: cancel a scheduled
 * text, or resend a failed one. Returns the message the server answered
 * (the canceled one, or the new one).
 * @param {string} action
 * @param {number} messageId
 */
export async function onMessageAction(action, messageId) {
  if (action === 'cancel-scheduled') {
    const r = await post(`/api/messages/${messageId}/cancel`);
    return r?.message || null;
  }
  if (action === 'resend') {
    const r = await post(`/api/messages/${messageId}/resend`);
    return r?.message || null;
  }
  return null;
}
