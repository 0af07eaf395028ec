// router.js — client-side routes on the History API. Each page is
// a function (ctx) that fills ctx.main; ctx.signal aborts when the user
// navigates away, ending the page's fetches and subscriptions.

/**
 * @typedef {object} Route
 * @property {RegExp} re
 * @property {string} name
 * @property {(ctx: PageContext) => (void|Promise<void>)} page
 * @property {boolean=} auth  needs a signed-in user (default true)
 * @property {boolean=} admin needs an admin
 * @property {boolean=} bare  no top bar
 * @property {boolean=} dev   exists only in dev mode
 *
 * @typedef {object} PageContext
 * @property {HTMLElement} main
 * @property {Record<string,string>} params
 * @property {URLSearchParams} query
 * @property {AbortSignal} signal
 * @property {string} path
 */

/** @type {Route[]} */
let routes = [];
let current = null; // {route, controller, path}
let beforeEnter = async () => true;

/** Compiles "/candidates/:id" into a matcher. */
export function route(pattern, name, page, opts = {}) {
  const keys = [];
  const re = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, k) => {
    keys.push(k);
    return '(\\d+)';
  })}$`);
  return { re, keys, name, page, auth: true, ...opts };
}

/** Finds the route for a path. */
export function match(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      const params = {};
      r.keys.forEach((k, i) => {
        params[k] = m[i + 1];
      });
      return { route: r, params };
    }
  }
  return null;
}

/**
 * Starts the router.
 * @param {Route[]} table
 * @param {{notFound: Route, beforeEnter: (route: Route, path: string) => Promise<boolean>}} opts
 */
export function startRouter(table, opts) {
  routes = table;
  beforeEnter = opts.beforeEnter;
  notFound = opts.notFound;
  addEventListener('popstate', () => render(false));
  document.addEventListener('click', onLinkClick);
  return render(false);
}

let notFound = null;

function onLinkClick(ev) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = /** @type {Element} */ (ev.target).closest?.('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.dataset.external != null) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || !match(url.pathname)) return;
  ev.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}

/** Goes to a path inside the app (no page load). */
export function navigate(to, { replace = false } = {}) {
  const url = new URL(to, location.href);
  const same = url.pathname + url.search === location.pathname + location.search;
  if (replace || same) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  return render(!same);
}

/** Updates the query string without re-rendering (filters, search). */
export function setQuery(params) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v == null || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  history.replaceState(null, '', url);
}

/** Renders the current page again (after a resync or a settings change). */
export function refresh() {
  return render(false);
}

/** The current route's name, or null. */
export function currentName() {
  return current?.route?.name ?? null;
}

async function render(scrollTop) {
  const path = location.pathname;
  const m = match(path);
  const r = m ? m.route : notFound;
  const params = m ? m.params : {};
  if (!(await beforeEnter(r, path))) return;
  if (location.pathname !== path) return; // beforeEnter navigated elsewhere
  if (current) current.controller.abort();
  const controller = new AbortController();
  current = { route: r, controller, path };
  const main = /** @type {HTMLElement} */ (document.getElementById('main'));
  main.replaceChildren();
  main.dataset.page = r.name;
  main.setAttribute('aria-busy', 'true');
  if (scrollTop) scrollTo(0, 0);
  document.dispatchEvent(new CustomEvent('routechange', { detail: { name: r.name, path } }));
  try {
    await r.page({ main, params, query: new URLSearchParams(location.search), signal: controller.signal, path });
  } catch (err) {
    if (err && err.name === 'AbortError') return;
    // A page that throws is a bug: an error, so that the browser tests,
    // which fail on any console error, catch it.
    console.error('page failed:', err);
  } finally {
    if (current && current.controller === controller) main.setAttribute('aria-busy', 'false');
  }
}
