// The page frame: skip link, header (name, navigation, who is signed in, language, sign-out), the
// <main> outlet the router renders into, and a footer with the services' health.
import { el } from "./ui.js";
import { t, getLang, setLang } from "./i18n.js";
import { session, signOut } from "./session.js";
import { href, navigate, refresh, type Route } from "./router.js";
import { healthSummary } from "./health.js";
import { formatTime } from "./format.js";

export interface Shell {
  main: HTMLElement;
  update(route: Route): void;
}

const NAV: Array<{ name: string; key: string }> = [
  { name: "board", key: "nav.board" },
  { name: "ledgers", key: "nav.ledgers" },
  { name: "documents", key: "nav.documents" },
  { name: "indicators", key: "nav.indicators" },
  { name: "targets", key: "nav.targets" },
];

export function buildShell(root: HTMLElement): Shell {
  const skip = el("a", { class: "skip", href: "#main" }, "");
  skip.addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });
  const header = el("header", { class: "app-header" });
  const main = el("main", { id: "main", tabindex: "-1" });
  const footer = el("footer", { class: "app-footer" });
  const health = el("span", { class: "health", role: "status", "aria-live": "polite" });
  footer.append(health);
  root.replaceChildren(skip, header, main, footer);

  let current: Route | null = null;

  function render(): void {
    skip.textContent = t("app.skip");
    const s = session();
    const brand = el("a", { class: "brand", href: href("board") }, el("span", { class: "brand-mark", "aria-hidden": "true" }, "落"), t("app.name"));
    const nav = el("nav", { "aria-label": t("nav.label"), class: "nav" });
    if (s) {
      const ul = el("ul");
      const items = [...NAV];
      for (const item of items) {
        const isCurrent =
          current?.name === item.name ||
          (item.name === "board" && current?.name === "task" ) ||
          (item.name === "documents" && current?.name === "document");
        const a = el("a", { href: href(item.name), "aria-current": isCurrent ? "page" : undefined }, t(item.key));
        ul.append(el("li", null, a));
      }
      if (s.claims.role === "office" && s.claims.unit) {
        const mine = el("a", { href: href("board", [], { unit: s.claims.unit }) }, t("nav.mine"));
        ul.insertBefore(el("li", null, mine), ul.children[1] ?? null);
      }
      nav.append(ul);
    }
    const tools = el("div", { class: "tools" });
    if (s) {
      const who = el(
        "div",
        { class: "who", "aria-label": `${t("header.user")} ${s.claims.user}` },
        el("span", { class: "who-user" }, s.claims.user || "—"),
        s.claims.unit ? el("span", { class: "who-unit" }, s.claims.unit) : null,
        el("span", { class: `who-role role-${s.claims.role}` }, t(`role.${s.claims.role}`)),
      );
      if (s.claims.exp) who.title = t("header.expires", { time: formatTime(s.claims.exp * 1000) });
      tools.append(who);
    }
    tools.append(
      el(
        "button",
        {
          type: "button",
          class: "link-button",
          lang: getLang() === "zh" ? "en" : "zh-CN",
          title: t("header.langLabel"),
          onclick: () => {
            setLang(getLang() === "zh" ? "en" : "zh");
            render();
            refresh();
          },
        },
        t("header.lang"),
      ),
    );
    if (s) {
      tools.append(
        el(
          "button",
          {
            type: "button",
            class: "secondary small",
            onclick: () => {
              signOut(t("signin.signedOut"));
              navigate(href("signin"));
            },
          },
          t("header.signout"),
        ),
      );
    }
    header.replaceChildren(brand, nav, tools);
  }

  async function pollHealth(): Promise<void> {
    try {
      const res = await fetch("/healthz", { cache: "no-store" });
      const s = healthSummary(await res.json());
      health.className = `health ${s.ok ? "ok" : "bad"}`;
      health.textContent = s.ok ? t("health.ok") : t("health.bad", { names: s.down.join("、") });
    } catch {
      health.className = "health bad";
      health.textContent = t("health.unreachable");
    }
  }
  void pollHealth();
  setInterval(() => void pollHealth(), 30000);

  return {
    main,
    update(route: Route) {
      current = route;
      document.documentElement.lang = getLang() === "zh" ? "zh-CN" : "en";
      render();
    },
  };
}
