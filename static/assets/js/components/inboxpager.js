// inboxpager.js — the inbox widget's filter and its pages. The widget shows
// the threads the tab knows (from hello, the events, and the pages loaded
// here) that the filter keeps; each filter pages on with GET /api/inbox's
// next_cursor, so nothing is capped at the first page.

import { get } from '../api.js';
import { store, emit } from '../store.js';
import { inFilter } from '../inbox.js';

/** The filters in the widget's select, in UI order, with their words. */
export const FILTER_LABELS = { unread: 'Unread', awaiting: 'Awaiting reply', mine: 'Mine', all: 'All' };

const PAGE = 50;

/**
 * The widget's paging state. cursors: filter → its next page's cursor
 * (null: no more; absent: its first page is not loaded yet). The unfiltered
 * list starts from the first page the tab already has (hello).
 */
export function createPager() {
  return {
    filter: 'all',
    loading: false,
    /** @type {Map<string, string|null>} */
    cursors: new Map(),
    /** @type {string|null|undefined} the store.inboxNext the cursors start from */
    base: undefined,

    /** Starts over when the tab's inbox was read afresh (hello, resync). */
    sync() {
      if (store.inboxNext === this.base) return;
      this.base = store.inboxNext;
      this.cursors = new Map([['all', store.inboxNext ?? null]]);
    },

    /** Whether the widget shows thread t under the current filter. */
    keeps(t) {
      return inFilter(t, this.filter, store.me?.id);
    },

    /** Whether the current filter has pages left to load. */
    hasMore() {
      const c = this.cursors.get(this.filter);
      return c != null;
    },

    /** Switches the filter, loading its first page the first time. */
    async choose(filter) {
      this.filter = filter;
      this.sync();
      if (!this.cursors.has(filter)) await this.load(filter, null);
    },

    /** Loads the current filter's next page. */
    async more() {
      const c = this.cursors.get(this.filter);
      if (c && !this.loading) await this.load(this.filter, c);
    },

    async load(filter, cursor) {
      this.loading = true;
      try {
        const query = { filter, limit: PAGE };
        if (cursor) query.cursor = cursor;
        const res = await get('/api/inbox', { query });
        for (const t of res?.threads || []) {
          store.inbox.put(t);
          if (t.contact) store.contacts.set(t.contact.id, t.contact);
        }
        this.cursors.set(filter, res?.next_cursor ?? null);
      } finally {
        this.loading = false;
        emit('inbox');
      }
    },
  };
}
