// devphone.js — /dev/phone, dev mode only: a candidate's phone. Texts sent
// here go through the real Plivo webhook path (the server signs them); the
// conversation shows every simulated text of the chosen phone, refreshed
// every second.

import { h, field, showError, replace, append } from '../dom.js';
import { get, post, isAbort, errorText } from '../api.js';
import { messageTime, fullTime, isoTime } from '../time.js';

const POLL_MS = 1000;

/** Digits only, for comparing phone numbers written differently. */
export function digits(p) {
  return String(p || '').replace(/\D/g, '');
}

/** Whether two phone numbers are the same (a national 10-digit form matches its +1 form). */
export function samePhone(a, b) {
  const x = digits(a);
  const y = digits(b);
  if (!x || !y) return false;
  if (x === y) return true;
  return (x.length >= 10 && y.endsWith(x)) || (y.length >= 10 && x.endsWith(y));
}

/** @param {import('../router.js').PageContext} ctx */
export default async function devPhonePage(ctx) {
  const { main, signal } = ctx;
  const from = h('input', {
    type: 'tel', class: 'input', testid: 'sim-from', list: 'sim-contacts', autocomplete: 'off',
    placeholder: '+14155550123',
  });
  const contactsList = h('datalist', { id: 'sim-contacts' });
  const to = h('select', { class: 'select', testid: 'sim-to' });
  const text = h('textarea', { class: 'input', rows: 2, testid: 'sim-text', placeholder: 'Text message', 'aria-label': 'Text message' });
  const send = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'sim-send' }, 'Send');
  const error = h('p', { class: 'form-error', testid: 'sim-error', role: 'alert', hidden: true });
  const offline = h('p', { class: 'form-error', testid: 'sim-offline', role: 'status', hidden: true });
  const who = h('p', { class: 'phone-who', testid: 'sim-who' });
  const convo = h('ol', { class: 'phone-convo', testid: 'sim-conversation', 'aria-label': 'Texts on this phone', 'aria-live': 'polite' });
  const empty = h('p', { class: 'muted phone-empty' }, 'No texts on this phone yet.');
  const form = h('form', { class: 'phone-compose' }, text, send);

  append(main, h('div', { class: 'sim' },
    h('div', { class: 'sim-head' },
      h('h1', { class: 'page-title' }, 'Candidate phone'),
      h('p', { class: 'muted' }, 'Dev mode: texts from here reach the inbox through the real webhook, signed by the server. ',
        h('a', { href: '/' }, 'Open the inbox'))),
    h('div', { class: 'card sim-controls' },
      field('This phone (from)', from, 'Pick a demo candidate or type any number.'), contactsList,
      field('Company number (to)', to)),
    h('div', { class: 'phone-device' },
      h('div', { class: 'phone-screen' }, who, h('div', { class: 'phone-scroll' }, convo, empty), form, error)), offline));

  let data = { numbers: [], contacts: [], messages: [] };
  let suggested = false;
  let shownKey = '';
  let timer = null;

  function fill() {
    const keepTo = to.value;
    replace(to, data.numbers.map((n) => h('option', { value: n.e164 }, n.label ? `${n.label} (${n.e164})` : n.e164)));
    if (keepTo && data.numbers.some((n) => n.e164 === keepTo)) to.value = keepTo;
    replace(contactsList, data.contacts.map((c) => h('option', { value: c.phone }, c.name)));
    // Suggest a phone once: a field the user cleared stays theirs to fill,
    // and the next poll must not type into it.
    if (!suggested && data.contacts.length) {
      suggested = true;
      if (!from.value) from.value = data.contacts[0].phone;
    }
  }

  function numberLabel(e164) {
    const n = data.numbers.find((x) => samePhone(x.e164, e164));
    return n ? (n.label || n.e164) : e164;
  }

  function renderConvo() {
    const phone = from.value.trim();
    const msgs = data.messages.filter((m) =>
      (m.direction === 'from_phone' && samePhone(m.from, phone)) || (m.direction === 'to_phone' && samePhone(m.to, phone)));
    const contact = data.contacts.find((c) => samePhone(c.phone, phone));
    who.textContent = phone ? `${contact ? `${contact.name} · ` : ''}${phone}` : 'Choose a phone number';
    const key = `${phone}|${msgs.map((m) => m.id).join(',')}`;
    if (key === shownKey) return;
    const scroller = convo.parentElement;
    const atEnd = !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
    shownKey = key;
    replace(convo, msgs.map((m) => h('li', {
      class: ['bubble', m.direction === 'from_phone' ? 'bubble-out' : 'bubble-in'],
      testid: 'sim-message', 'data-direction': m.direction, 'data-message-id': m.id,
    },
    h('p', { class: 'bubble-text' }, m.text || ''),
    h('p', { class: 'bubble-meta' },
      m.direction === 'from_phone' ? `to ${numberLabel(m.to)}` : `from ${numberLabel(m.from)}`, ' · ',
      h('time', { datetime: isoTime(m.at), title: fullTime(m.at) }, messageTime(m.at))))));
    empty.hidden = msgs.length > 0;
    if (atEnd && scroller) scroller.scrollTop = scroller.scrollHeight;
  }

  let inflight = null;

  /** Fetches the simulator's state once (concurrent callers share one fetch). */
  function refresh() {
    if (!inflight) inflight = fetchOnce().finally(() => { inflight = null; });
    return inflight;
  }

  async function loop() {
    await refresh();
    if (!signal.aborted) timer = setTimeout(loop, POLL_MS);
  }

  async function fetchOnce() {
    try {
      const res = await get('/api/dev/phone', { signal, auth: false });
      data = {
        numbers: res?.numbers || [], contacts: res?.contacts || [], messages: res?.messages || [],
      };
      showError(offline, '');
      fill();
      renderConvo();
    } catch (err) {
      if (isAbort(err)) return;
      showError(offline, `The simulator is not answering: ${errorText(err)}`);
    }
  }
  signal.addEventListener('abort', () => clearTimeout(timer));

  from.addEventListener('input', () => renderConvo());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    showError(error, '');
    if (!from.value.trim() || !to.value || !text.value.trim()) {
      showError(error, 'Fill in this phone, the company number and a text.');
      return;
    }
    send.disabled = true;
    try {
      await post('/api/dev/phone', { from: from.value.trim(), to: to.value, text: text.value }, { auth: false });
      text.value = '';
      await refresh();
    } catch (err) {
      showError(error, `Not sent: ${errorText(err)}`);
    } finally {
      send.disabled = false;
      text.focus();
    }
  });
  text.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  await loop();
}
