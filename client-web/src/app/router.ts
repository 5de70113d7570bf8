// Hash router of the browser client. How pages plug in (read this before adding a page):
//
// URLs: everything after "#" is the route: "#/<name>/<path...>?<query>", e.g.
//   #/signin  #/signin?token=eyJ…      sign in (a token in the link signs in and is removed from the URL)
//   #/board?plan=P1&unit=区财政局&leader=…&status=IN_PROGRESS&light=red&q=…   task board
//   #/task/T56                          one task
//   #/ledgers?plan=P1&by=unit           ledgers (by=unit|leader|section)
//   #/documents  #/document/<ID>        (W2)
//   #/indicators?indicator=gdp&region=大兴区   (W2)
//   #/targets?region=大兴区&year=2023    (W2)
// The gateway serves the client at "/", so a reload keeps the route.
//
// A page is a module exporting
//   render(view: HTMLElement, params: URLSearchParams, path: string[], ctx: PageContext)
//     => void | Promise<void | PageResult>
// `view` is a fresh, empty element (inside <main>) that belongs to the page until the route changes;
// `params` the query; `path` the segments after the page name (#/task/T56 → ["T56"]);
// ctx.signal aborts when the user leaves the page (pass it to every call: { signal: ctx.signal }), and
// ctx.onCleanup(fn) registers something to run then (timers, streams).
// A page may return { update(params) } to take a change of the query in place (filters) instead of
// being rendered again; update returns false to ask for a full render.
// Pages register in the one table in src/main.ts: { name: "board", load: () => import(...), auth: true }.
//
// Filter state lives in the URL: call setQuery(params) (pushes a history entry, or replaces it with
// { replace: true } e.g. while typing); back/forward then restore it. Links are plain <a href="#/...">
// built with href("task", ["T56"], { ... }).
//
// Shared helpers for pages (src/app/): ui.ts (el(), loading(), showError(), empty()), errors.ts
// (errorSentence), api.ts (tasks / indicators / ingestion clients: one grpc-web transport that adds the
// token; UNAUTHENTICATED anywhere sends the user back to sign-in with the server's reason), session.ts
// (claims(): user, unit, role), i18n.ts (t(key, vars), add your keys in your block), format.ts (dates).
// Unit tests: `npm test` compiles src/ to test-output/unit/ (scripts/compile-unit.mjs) before
// `node --test test/`; a test imports e.g. "../../test-output/unit/app/router.js".

export interface Route {
  name: string; // "" for the empty hash
  path: string[];
  params: URLSearchParams;
}

// Parses a location hash ("#/task/T56?x=1", "", "#") into a route. Segments are percent-decoded.
export function parseHash(hash: string): Route {
  let h = hash.startsWith("#") ? hash.slice(1) : hash;
  const q = h.indexOf("?");
  const query = q >= 0 ? h.slice(q + 1) : "";
  h = q >= 0 ? h.slice(0, q) : h;
  const segments = h
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { name: segments[0] ?? "", path: segments.slice(1), params: new URLSearchParams(query) };
}

// Builds "#/name/seg?query", leaving out empty query values, in a stable order.
export function href(name: string, path: string[] = [], params?: URLSearchParams | Record<string, string | undefined>): string {
  let hash = "#/" + [name, ...path].map((s) => encodeURIComponent(s)).join("/");
  const p = new URLSearchParams();
  if (params instanceof URLSearchParams) {
    params.forEach((v, k) => {
      if (v !== "") p.append(k, v);
    });
  } else if (params) {
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") p.append(k, v);
  }
  const qs = p.toString();
  return qs ? `${hash}?${qs}` : hash;
}

export interface PageContext {
  signal: AbortSignal;
  onCleanup(fn: () => void): void;
}

export interface PageResult {
  update?(params: URLSearchParams): boolean | void;
  cleanup?(): void;
}

export type RenderFn = (
  view: HTMLElement,
  params: URLSearchParams,
  path: string[],
  ctx: PageContext,
) => void | PageResult | (() => void) | Promise<void | PageResult | (() => void)>;

export interface PageModule {
  render: RenderFn;
}

export interface PageEntry {
  name: string;
  load: () => Promise<PageModule>;
  auth: boolean; // needs a signed-in user
  titleKey: string; // i18n key of the page title (document.title)
}

export interface RouterHooks {
  // Decides where an unauthenticated visit goes; returns a hash to redirect to, or null to proceed.
  guard(entry: PageEntry, route: Route): string | null;
  // Called before each render (header update, focus, title).
  beforeRender(entry: PageEntry | null, route: Route): void;
  // A page that failed to load or render: show it.
  renderError(view: HTMLElement, err: unknown): void;
  notFound(view: HTMLElement, route: Route): void;
  defaultHash(): string;
}

interface Active {
  entry: PageEntry;
  route: Route;
  view: HTMLElement;
  abort: AbortController;
  cleanups: Array<() => void>;
  result: PageResult | null;
}

let table = new Map<string, PageEntry>();
let outlet: HTMLElement | null = null;
let hooks: RouterHooks | null = null;
let active: Active | null = null;
let lastHash: string | null = null;
let renderSeq = 0;

export function currentRoute(): Route {
  return parseHash(location.hash);
}

function endActive(): void {
  if (!active) return;
  active.abort.abort();
  for (const fn of active.cleanups.splice(0)) {
    try {
      fn();
    } catch (err) {
      console.error(err);
    }
  }
  try {
    active.result?.cleanup?.();
  } catch (err) {
    console.error(err);
  }
  active = null;
}

async function handle(): Promise<void> {
  if (!outlet || !hooks) return;
  const hash = location.hash;
  if (hash === lastHash) return;
  lastHash = hash;
  const route = parseHash(hash);
  if (!route.name) {
    navigate(hooks.defaultHash(), { replace: true });
    return;
  }
  const entry = table.get(route.name) ?? null;
  if (entry) {
    const redirect = hooks.guard(entry, route);
    if (redirect !== null) {
      navigate(redirect, { replace: true });
      return;
    }
  }
  // Same page, only the query changed, and the page takes updates: no re-render.
  if (
    entry &&
    active &&
    active.entry === entry &&
    active.route.path.join("/") === route.path.join("/") &&
    active.result?.update
  ) {
    active.route = route;
    if (active.result.update(route.params) !== false) return;
  }
  endActive();
  const seq = ++renderSeq;
  hooks.beforeRender(entry, route);
  const view = document.createElement("div");
  view.className = "page";
  outlet.replaceChildren(view);
  if (!entry) {
    hooks.notFound(view, route);
    return;
  }
  const abort = new AbortController();
  const me: Active = { entry, route, view, abort, cleanups: [], result: null };
  active = me;
  const ctx: PageContext = {
    signal: abort.signal,
    onCleanup: (fn) => {
      if (abort.signal.aborted) fn();
      else me.cleanups.push(fn);
    },
  };
  try {
    const mod = await entry.load();
    if (seq !== renderSeq) return;
    const result = await mod.render(view, route.params, route.path, ctx);
    if (seq !== renderSeq || abort.signal.aborted) {
      if (typeof result === "function") result();
      else result?.cleanup?.();
      return;
    }
    if (typeof result === "function") me.cleanups.push(result);
    else if (result) me.result = result;
  } catch (err) {
    if (seq === renderSeq && !abort.signal.aborted) hooks.renderError(view, err);
  }
}

// Goes to `hash` ("#/board?plan=P1"). replace: no new history entry.
export function navigate(hash: string, opts: { replace?: boolean } = {}): void {
  const url = new URL(location.href);
  url.hash = hash;
  if (opts.replace) history.replaceState(null, "", url);
  else if (url.href !== location.href) history.pushState(null, "", url);
  void handle();
}

// Changes the current page's query (filters): the page's update() gets it, back/forward restore it.
export function setQuery(params: URLSearchParams | Record<string, string | undefined>, opts: { replace?: boolean } = {}): void {
  const route = currentRoute();
  navigate(href(route.name, route.path, params), opts);
}

// Renders the current route again (e.g. after signing in or switching language).
export function refresh(): void {
  lastHash = null;
  if (active) active.result = null; // full render
  void handle();
}

export function startRouter(el: HTMLElement, pages: PageEntry[], h: RouterHooks): void {
  outlet = el;
  hooks = h;
  table = new Map(pages.map((p) => [p.name, p]));
  window.addEventListener("popstate", () => void handle());
  window.addEventListener("hashchange", () => void handle());
  void handle();
}
