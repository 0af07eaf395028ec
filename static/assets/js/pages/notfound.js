// notfound.js — a path the app does not know, and admin pages for non-admins.

import { h } from '../dom.js';
import { pageHead } from './common.js';

/** @param {import('../router.js').PageContext} ctx */
export default function notFoundPage(ctx) {
  ctx.main.append(pageHead('Page not found', 'There is nothing at this address.'),
    h('p', null, h('a', { href: '/' }, 'Go to the Candidate Pool')));
}

/** @param {import('../router.js').PageContext} ctx */
export function forbiddenPage(ctx) {
  ctx.main.append(h('div', { testid: 'forbidden' }, pageHead('Admins only', 'Ask an admin if you need this page.'),
    h('p', null, h('a', { href: '/' }, 'Go to the Candidate Pool'))));
}
