// common.js — pieces shared by pages.

import { h } from '../dom.js';
import { errorText } from '../api.js';
import { smsIcon } from '../components/smsicon.js';

/** A page heading with an optional line under it. */
export function pageHead(title, sub, ...actions) {
  return h('div', { class: 'page-head' },
    h('div', null, h('h1', { class: 'page-title', tabindex: '-1' }, title), sub ? h('p', { class: 'muted' }, sub) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

/** An error panel for a failed page load. */
export function loadError(err, what) {
  return h('div', { class: 'notice notice-error', role: 'alert', testid: 'page-error' },
    `Could not load ${what}: ${errorText(err)}`);
}

/** "Candidate" / "Hire". */
export function kindLabel(kind) {
  if (kind === 'hire') return 'Hire';
  if (kind === 'candidate') return 'Candidate';
  return kind || '';
}

/** A small pill for a contact's kind. */
export function kindBadge(kind) {
  return h('span', { class: ['pill', `pill-${kind}`], testid: 'contact-kind' }, kindLabel(kind));
}

/**
 * One contact row for the Candidate Pool and a job's applicants:
 * name (link to the profile), kind, phone, Actions with the SMS icon.
 * @param {(attrs: any, cells: any[]) => HTMLElement} row from dom.table
 */
export function contactRow(row, c) {
  return row({ testid: 'contact-row', 'data-contact-id': c.id, class: 'contact-row' }, [
    h('a', { href: `/candidates/${c.id}`, class: 'contact-name', testid: 'contact-name' }, c.name || c.phone || `#${c.id}`),
    kindBadge(c.kind),
    h('span', { class: 'phone' }, c.phone || ''),
    h('span', { class: 'actions' }, smsIcon(c)),
  ]);
}

export const CONTACT_COLUMNS = ['Name', 'Kind', 'Phone', 'Actions'];

/** Focuses a freshly rendered page's heading for screen readers (not on first load). */
let firstPage = true;
export function focusHeading(main) {
  if (firstPage) {
    firstPage = false;
    return;
  }
  const h1 = main.querySelector('h1');
  if (h1 instanceof HTMLElement) h1.focus({ preventScroll: true });
}
