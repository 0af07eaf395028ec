// smsicon.js — the "Send an SMS Message" icon. Blue while
// there has been no communication, green after, absent unless the contact
// opted in. Each icon sits in a slot that follows the contact live: one
// listener updates every slot of a contact, on every page and in every list.

import { h, s } from '../dom.js';
import { store, on } from '../store.js';

let openModal = (_contact, _opener) => {};

/** Sets what a click on an icon does (open the SMS modal). */
export function setIconClick(fn) {
  openModal = fn;
}

/** The speech-bubble SVG, coloured by CSS from the button's data-state. */
export function bubbleSvg() {
  return s('svg', { viewBox: '0 0 24 24', width: 22, height: 22, 'aria-hidden': 'true', focusable: 'false' },
    s('path', {
      class: 'sms-bubble',
      d: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2h-8.5L7 21.5V18H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
    }),
    s('circle', { class: 'sms-dot', cx: 8, cy: 11, r: 1.4 }),
    s('circle', { class: 'sms-dot', cx: 12, cy: 11, r: 1.4 }),
    s('circle', { class: 'sms-dot', cx: 16, cy: 11, r: 1.4 }));
}

function iconButton(contact) {
  const state = contact.sms?.icon;
  const name = contact.name || contact.phone || 'contact';
  const btn = h('button', {
    type: 'button',
    class: 'sms-icon',
    testid: 'sms-icon',
    'data-state': state,
    'data-contact-id': contact.id,
    'aria-label': `Text ${name}`,
    title: state === 'green' ? `Text ${name} (you have messages)` : `Text ${name} (no messages yet)`,
  }, bubbleSvg());
  btn.addEventListener('click', () => {
    openModal(store.contacts.get(contact.id) || contact, btn);
  });
  return btn;
}

/** Fills a slot for the contact's current icon state. */
function fill(slot, contact) {
  const state = contact?.sms?.icon;
  const existing = slot.firstElementChild;
  if (state !== 'blue' && state !== 'green') {
    slot.replaceChildren();
    return;
  }
  if (existing && existing.getAttribute('data-state') === state) {
    existing.setAttribute('aria-label', `Text ${contact.name || contact.phone || 'contact'}`);
    return;
  }
  const hadFocus = existing && existing === document.activeElement;
  const btn = iconButton(contact);
  slot.replaceChildren(btn);
  if (hadFocus) btn.focus();
}

/**
 * A slot holding the contact's SMS icon (or nothing when hidden).
 * @param {any} contact
 */
export function smsIcon(contact) {
  const slot = h('span', { class: 'sms-slot', 'data-contact-slot': contact.id });
  fill(slot, store.contacts.get(contact.id) || contact);
  return slot;
}

function slotsOf(id) {
  return document.querySelectorAll(`.sms-slot[data-contact-slot="${Number(id)}"]`);
}

// Every slot follows its contact.
on('contact', (contact) => {
  for (const slot of slotsOf(contact.id)) fill(/** @type {HTMLElement} */ (slot), contact);
});

// A message with a contact we hold no copy of: turn its blue icons green.
on('contact-green', (id) => {
  for (const slot of slotsOf(id)) {
    const btn = slot.firstElementChild;
    if (btn && btn.getAttribute('data-state') === 'blue') {
      btn.setAttribute('data-state', 'green');
      btn.setAttribute('title', `${btn.getAttribute('aria-label')} (you have messages)`);
    }
  }
});
