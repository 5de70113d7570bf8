// Sign-in: paste a token, or arrive with #/signin?token=… (the quick start's link): the token is
// stored and removed from the address at once (history.replaceState), then the user goes on to
// ?next= or the board. Shows why the user was sent here (expired, revoked, signed out).
import { el, field } from "../app/ui.js";
import { t } from "../app/i18n.js";
import { signIn, takeReason, session, homeHash } from "../app/session.js";
import { navigate, href, parseHash } from "../app/router.js";

function destination(params: URLSearchParams): string {
  const next = params.get("next") ?? "";
  // Only a route of this client, never a URL elsewhere.
  if (next.startsWith("#/") && parseHash(next).name !== "signin") return next;
  return homeHash(session()?.claims);
}

export function render(view: HTMLElement, params: URLSearchParams): void {
  const linkToken = params.get("token");
  let problem = "";
  if (linkToken !== null) {
    // Never leave a token in the address bar or history.
    const rest = new URLSearchParams(params);
    rest.delete("token");
    history.replaceState(null, "", href("signin", [], rest));
    try {
      signIn(linkToken);
      navigate(destination(params), { replace: true });
      return;
    } catch (err) {
      problem = t("signin.bad", { why: (err as Error).message });
    }
  }
  const reason = takeReason();
  const input = el("textarea", {
    name: "token",
    rows: 4,
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    class: "mono",
  });
  const message = el("div", { class: "signin-message", role: "alert" });
  const showProblem = (text: string) => {
    message.replaceChildren(el("p", { class: "state error" }, text));
  };
  if (problem) showProblem(problem);
  else if (reason === t("signin.signedOut")) message.replaceChildren(el("p", { class: "state notice" }, reason));
  else if (reason) message.replaceChildren(el("p", { class: "state notice" }, t("signin.reason", { reason })));
  const form = el(
    "form",
    { class: "signin-form", novalidate: true },
    field(t("signin.token"), input),
    el("button", { type: "submit", class: "primary" }, t("signin.submit")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    try {
      signIn(input.value);
      navigate(destination(params), { replace: true });
    } catch (err) {
      showProblem(t("signin.bad", { why: (err as Error).message }));
      input.focus();
    }
  });
  const current = session();
  view.replaceChildren(
    el(
      "section",
      { class: "card signin" },
      el("h1", null, t("signin.title")),
      el("p", null, t("signin.intro")),
      message,
      form,
      el("p", { class: "hint" }, t("signin.howto")),
      current ? el("p", { class: "hint" }, el("a", { href: destination(params) }, `→ ${current.claims.user}`)) : null,
    ),
  );
  input.focus();
}
