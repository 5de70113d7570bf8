// Placeholder while the page is built.
import { el, empty } from "../app/ui.js";
import { t } from "../app/i18n.js";

export function render(view: HTMLElement): void {
  view.replaceChildren(el("h1", null, t("nav.ledgers")), empty(t("empty.generic")));
}
