// Small DOM helpers shared by every page: el() builds elements, loading() / showError() / empty()
// are the three states every call passes through.
import { t } from "./i18n.js";
import { errorSentence, isUnauthenticated } from "./errors.js";
import { onUnauthenticated } from "./api.js";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener> & {
  class?: string;
};

// el("button", { class: "primary", type: "button", onclick: fn }, "保存")
// Attributes: "on…" functions become listeners; true → empty attribute; false/null/undefined → absent.
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value as EventListener);
      } else if (key === "class") {
        node.className = String(value);
      } else if (value === true) {
        node.setAttribute(key, "");
      } else {
        node.setAttribute(key, String(value));
      }
    }
  }
  append(node, children);
  return node;
}

export function append(node: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

// Replaces the content of `target` with a loading line (role=status, announced).
export function loading(target: HTMLElement, text: string = t("loading")): HTMLElement {
  const box = el("div", { class: "state loading", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }), text);
  target.replaceChildren(box);
  return box;
}

// An error box with the plain sentence (role=alert) and an optional retry button. UNAUTHENTICATED also
// sends the user to sign-in (api.ts).
export function errorBox(err: unknown, retry?: () => void): HTMLElement {
  if (isUnauthenticated(err)) onUnauthenticated(err);
  const box = el(
    "div",
    { class: "state error", role: "alert" },
    el("strong", null, t("error.title")),
    el("p", { class: "error-text" }, errorSentence(err)),
  );
  if (retry) box.append(el("button", { type: "button", class: "secondary", onclick: () => retry() }, t("retry")));
  return box;
}

export function showError(target: HTMLElement, err: unknown, retry?: () => void): HTMLElement {
  const box = errorBox(err, retry);
  target.replaceChildren(box);
  return box;
}

// An empty state: what is (not) here and what to do next; `action` is a link or button.
export function empty(message: string, next?: string, action?: HTMLElement): HTMLElement {
  return el("div", { class: "state empty" }, el("p", null, message), next ? el("p", { class: "next" }, next) : null, action ?? null);
}

// A short message that disappears (saved, copied …), announced politely.
export function toast(message: string, kind: "ok" | "bad" = "ok"): void {
  let region = document.getElementById("toasts");
  if (!region) {
    region = el("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  const item = el("div", { class: `toast ${kind}` }, message);
  region.append(item);
  setTimeout(() => item.remove(), 4000);
}

let idSeq = 0;
export function uid(prefix = "f"): string {
  return `${prefix}-${++idSeq}`;
}

// A labelled form field: <div class="field"><label for=id>label</label>control</div>.
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid();
  control.id = id;
  const wrap = el("div", { class: "field" }, el("label", { for: id }, label), control);
  if (hint) {
    const hid = `${id}-hint`;
    control.setAttribute("aria-describedby", hid);
    wrap.append(el("p", { class: "hint", id: hid }, hint));
  }
  return wrap;
}

// <select> with options [value, text]; selects `value`.
export function select(options: Array<[string, string]>, value: string, attrs?: Attrs): HTMLSelectElement {
  const s = el("select", attrs ?? null);
  for (const [v, text] of options) {
    const o = el("option", { value: v }, text);
    if (v === value) o.selected = true;
    s.append(o);
  }
  return s;
}
