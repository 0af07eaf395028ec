// dom.js — building DOM without HTML strings. Every piece of user data goes
// in as a text node or an attribute value, so nothing a candidate texts can
// become markup. (There is no innerHTML anywhere in this app; a Go test
// checks that.)

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Sets attributes and properties on el.
 *  - testid: data-testid
 *  - class: className; dataset: {k: v}; on: {event: handler}
 *  - hidden / disabled / checked / selected / value / multiple / required /
 *    readOnly / open: set as properties
 *  - anything else: setAttribute (null/false skip, true → "")
 */
function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) {
      if (k === 'value' && v == null) continue;
      if (PROPS.has(k)) el[k] = false;
      continue;
    }
    if (k === 'testid') el.setAttribute('data-testid', v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) { if (dv != null) el.dataset[dk] = String(dv); }
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

const PROPS = new Set(['hidden', 'disabled', 'checked', 'selected', 'value', 'multiple', 'required', 'readOnly', 'open', 'htmlFor']);

/**
 * Appends children: strings and numbers become text nodes; null, undefined
 * and false are skipped; arrays are flattened.
 */
export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false || c === true) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/**
 * h('button', {class: 'btn', testid: 'sms-send', on: {click}}, 'Send')
 * @param {string} tag
 * @param {Record<string, any>=} attrs
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  return append(el, ...children);
}

/** Like h for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

/** Replaces el's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, ...children);
}

/** Sets attributes on an existing element (same rules as h). */
export function set(el, attrs) {
  apply(el, attrs);
  return el;
}

/** The first element with data-testid=id inside root (default: document). */
export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

let uid = 0;
/** A unique id for label/aria wiring. */
export function nextId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled form field: <label>Label <input …></label> with an optional hint.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string=} hint
 */
export function field(label, control, hint) {
  const id = control.id || nextId('f');
  control.id = id;
  const children = [h('label', { for: id, class: 'field-label' }, label), control];
  if (hint) {
    const hid = nextId('hint');
    control.setAttribute('aria-describedby', hid);
    children.push(h('span', { id: hid, class: 'field-hint' }, hint));
  }
  return h('div', { class: 'field' }, children);
}

/**
 * A responsive table: on narrow screens each row becomes a card whose cells
 * show their column's label (CSS reads data-label).
 * @param {string[]} columns
 * @param {{caption?: string, testid?: string, class?: string}=} opts
 */
export function table(columns, opts = {}) {
  const tbody = h('tbody');
  const el = h('table', { class: ['table', 'responsive', opts.class], testid: opts.testid },
    opts.caption ? h('caption', { class: 'visually-hidden' }, opts.caption) : null,
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))),
    tbody);
  /** Builds a row: cells in column order. */
  const row = (attrs, cells) => h('tr', attrs, cells.map((c, i) =>
    h('td', { 'data-label': columns[i] }, c)));
  return { el, tbody, row };
}

/** A status line that screen readers announce. */
export function statusLine(testid) {
  return h('p', { class: 'status-line', role: 'status', testid, 'aria-live': 'polite' });
}

/** Shows text in an error element, or hides it when text is empty. */
export function showError(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
}
