// Placeholder of the shell (W1) so the router has the page; W2 replaces this module.
import { el, empty } from "../app/ui.js";
import { t } from "../app/i18n.js";

export function render(view: HTMLElement): void {
  view.replaceChildren(el("h1", null, t("nav.targets")), empty(t("empty.generic")));
}
