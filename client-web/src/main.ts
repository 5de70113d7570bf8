// Entry point of the browser client: the shell (header, router) and the one table of pages.
// How to add a page: src/app/router.ts (top comment).
performance.mark("luoshi:main");
import { buildShell } from "./app/layout.js";
import { startRouter, navigate, href, type PageEntry } from "./app/router.js";
import { loadSession, session, signOut, homeHash } from "./app/session.js";
import { setUnauthenticatedHandler } from "./app/api.js";
import { t, getLang, setLang } from "./app/i18n.js";
import { el, showError } from "./app/ui.js";
// The board is where most visits start: in the main bundle, so its first load waits for no other file.
import * as board from "./pages/board.js";

const pages: PageEntry[] = [
  { name: "signin", load: () => import("./pages/signin.js"), auth: false, titleKey: "signin.title" },
  { name: "board", load: async () => board, auth: true, titleKey: "nav.board" },
  { name: "task", load: () => import("./pages/task.js"), auth: true, titleKey: "nav.board" },
  { name: "ledgers", load: () => import("./pages/ledgers.js"), auth: true, titleKey: "nav.ledgers" },
  { name: "documents", load: () => import("./pages/documents.js"), auth: true, titleKey: "nav.documents" },
  { name: "document", load: () => import("./pages/document.js"), auth: true, titleKey: "nav.documents" },
  { name: "indicators", load: () => import("./pages/indicators.js"), auth: true, titleKey: "nav.indicators" },
  { name: "targets", load: () => import("./pages/targets.js"), auth: true, titleKey: "nav.targets" },
];

setLang(getLang());
loadSession();
const root = document.getElementById("app") ?? document.body;
const shell = buildShell(root);

setUnauthenticatedHandler((reason) => {
  if (location.hash.startsWith("#/signin")) return;
  const next = location.hash;
  signOut(reason);
  navigate(href("signin", [], { next }));
});

// A token that expires while the page is open: back to sign-in at that moment, not at the next click.
let expiryTimer = 0;
function watchExpiry(): void {
  clearTimeout(expiryTimer);
  const s = session();
  if (!s || !s.claims.exp) return;
  const ms = s.claims.exp * 1000 - Date.now();
  if (ms > 0x7fffffff) return; // beyond a timer's range (about 24 days): checked on each call anyway
  expiryTimer = window.setTimeout(() => {
    if (!session()) navigate(href("signin", [], { next: location.hash }));
  }, Math.max(0, ms) + 1000);
}
watchExpiry();
window.addEventListener("luoshi:signedin", watchExpiry);

startRouter(shell.main, pages, {
  guard(entry, route) {
    if (!entry.auth || session()) return null;
    const next = href(route.name, route.path, route.params);
    return href("signin", [], { next });
  },
  beforeRender(entry, route) {
    shell.update({ name: entry?.name ?? "", path: [], params: new URLSearchParams() });
    const what = entry?.name === "task" && route.path[0] ? `${route.path[0]} · ${t(entry.titleKey)}` : entry ? t(entry.titleKey) : "";
    document.title = what ? `${what} · ${t("app.name")}` : t("app.title");
    // A new page: start at its top, and let screen readers start there too (a page may focus a control).
    window.scrollTo(0, 0);
    shell.main.focus({ preventScroll: true });
  },
  renderError(view, err) {
    showError(view, err);
  },
  notFound(view, route) {
    view.replaceChildren(
      el("h1", null, t("notfound.title")),
      el("p", null, t("notfound.body", { path: `#/${[route.name, ...route.path].join("/")}` })),
    );
  },
  defaultHash() {
    const s = session();
    return s ? homeHash(s.claims) : href("signin");
  },
});
