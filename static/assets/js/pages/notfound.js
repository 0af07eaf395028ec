// notfound.js — a path the app does not know, and admin pages for non-admins.

import { h, append } from '../dom.js';
import { pageHead } from './common.js';

/** @param {import('../router.js').PageContext} ctx */
export default function notFoundPage(ctx) {
  append(ctx.main, pageHead('Page not found', 'There is nothing at this address.'),
    h('p', null, h('a', { href: '/' }, 'Go to the Candidate Pool')));
}

/** @param {import('../router.js').PageContext} ctx */
export function forbiddenPage(ctx) {
  append(ctx.main, h('div', { testid: 'forbidden' }, pageHead('Admins only', 'Ask an admin if you need this page.'),
    h('p', null, h('a', { href: '/' }, 'Go to the Candidate Pool'))));
}
