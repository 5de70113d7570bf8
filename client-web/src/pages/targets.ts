// Targets (#/targets?region=大兴区&year=2023): CompareTargets for a region and year: every target with
// the actual it is judged against, the verdict (colour, symbol and words) and the margin, with links
// to both sentences and to the indicator's series. On a phone each row becomes a card.
import { indicators } from "../app/api.js";
import { t } from "../app/i18n.js";
import { el, field, loading, showError, empty } from "../app/ui.js";
import { isCancel } from "../app/errors.js";
import { href, setQuery, type PageContext, type PageResult } from "../app/router.js";
import type { Indicator, Region, TargetComparison } from "../gen/luoshi/v1/indicators_pb.js";
import { formatObservationValue, marginWords, periodName, signedMargin, verdictLook } from "../figures/index.js";
import {
  catalogOrError,
  figureHref,
  indicatorName,
  lang,
  regionName,
  regionOptions,
  suggestInput,
  verdictBadge,
} from "./figures-ui.js";

const VERDICTS = [1, 2, 3, 4]; // met, not met, pending, not measurable

function row(c: TargetComparison, inds: Indicator[], regionText: string): HTMLTableRowElement {
  const L = lang();
  const tg = c.target;
  const ac = c.actual;
  const name = tg ? indicatorName(inds, tg.indicatorId, tg.surfaceName) : "—";
  const look = verdictLook(c.verdict, L);
  const sources = el("td", { class: "sources", "data-label": t("tgt.col.sources") });
  if (tg?.provenance?.documentId) sources.append(el("a", { href: figureHref(tg.provenance.documentId, tg.sourceKey) }, t("tgt.targetSource")));
  if (ac?.provenance?.documentId) sources.append(el("a", { href: figureHref(ac.provenance.documentId, ac.sourceKey) }, t("tgt.actualSource")));
  if (tg) {
    sources.append(
      el("a", { href: href("indicators", [], { indicator: tg.indicatorId || tg.surfaceName, region: regionText, measure: String(tg.measure) }) }, t("tgt.series")),
    );
  }
  const margin = signedMargin(c.margin);
  return el(
    "tr",
    { class: `cmp ${look.className}`, title: c.explanation },
    el("th", { scope: "row", class: "cmp-indicator", "data-label": t("tgt.col.indicator") }, name),
    el("td", { "data-label": t("tgt.col.period") }, tg ? periodName(tg.period, L) : "—"),
    el("td", { class: "num", "data-label": t("tgt.col.target") }, tg ? formatObservationValue(tg) : "—"),
    el("td", { class: "num", "data-label": t("tgt.col.actual") }, ac ? formatObservationValue(ac) : el("span", { class: "muted" }, t("tgt.noActual"))),
    el("td", { "data-label": t("tgt.col.verdict") }, verdictBadge(c.verdict)),
    el(
      "td",
      { class: "num margin", "data-label": t("tgt.col.margin") },
      margin ? el("span", { class: "margin-value" }, margin) : "—",
      margin ? el("span", { class: "margin-words" }, marginWords(c.margin, c.verdict, L)) : null,
    ),
    sources,
  );
}

export function render(view: HTMLElement, params: URLSearchParams, _path: string[], ctx: PageContext): PageResult {
  const heading = el("h1", null, t("tgt.title"));
  const formBox = el("div");
  const body = el("div");
  view.replaceChildren(heading, formBox, body);
  let inds: Indicator[] = [];
  let regions: Region[] = [];
  let regionInput: HTMLInputElement | null = null;
  let yearInput: HTMLInputElement | null = null;
  let seq = 0;

  async function show(p: URLSearchParams): Promise<void> {
    const mine = ++seq;
    const regionText = p.get("region") ?? "";
    const year = Number(p.get("year") ?? "") || 0;
    if (regionInput) regionInput.value = regionText ? regionName(regions, regionText) : "";
    if (yearInput) yearInput.value = year ? String(year) : "";
    if (!regionText || !year) {
      heading.textContent = t("tgt.title");
      body.replaceChildren(empty(t("tgt.choose"), t("tgt.chooseNext"), el("a", { href: href("targets", [], { region: "大兴区", year: "2023" }) }, "大兴区 2023 →")));
      return;
    }
    loading(body);
    let comparisons: TargetComparison[];
    try {
      comparisons = (await indicators.compareTargets({ region: regionText, year }, { signal: ctx.signal })).comparisons;
    } catch (err) {
      if (!isCancel(err) && mine === seq) showError(body, err, () => void show(p));
      return;
    }
    if (mine !== seq || ctx.signal.aborted) return;
    const regName = regionName(regions, regionText);
    heading.textContent = `${t("tgt.title")} · ${regName} ${year}`;
    if (comparisons.length === 0) {
      body.replaceChildren(empty(t("tgt.none", { region: regName, year }), t("tgt.noneNext"), el("a", { href: href("documents") }, `${t("docs.title")} →`)));
      return;
    }
    const L = lang();
    const counts = el("ul", { class: "verdict-summary", "aria-label": t("tgt.summary", { n: comparisons.length }) });
    counts.append(el("li", { class: "total" }, t("tgt.summary", { n: comparisons.length })));
    for (const v of VERDICTS) {
      const n = comparisons.filter((c) => c.verdict === v).length;
      if (n === 0) continue;
      const look = verdictLook(v, L);
      counts.append(el("li", { class: `verdict ${look.className}` }, el("span", { class: "verdict-symbol", "aria-hidden": "true" }, look.symbol), `${look.text} ${n}`));
    }
    const tbody = el("tbody");
    for (const c of comparisons) tbody.append(row(c, inds, regionText));
    body.replaceChildren(
      counts,
      el(
        "div",
        { class: "table-wrap cmp-wrap" },
        el(
          "table",
          { class: "cmp-table cards-on-phone" },
          el(
            "thead",
            null,
            el(
              "tr",
              null,
              el("th", { scope: "col" }, t("tgt.col.indicator")),
              el("th", { scope: "col" }, t("tgt.col.period")),
              el("th", { scope: "col", class: "num" }, t("tgt.col.target")),
              el("th", { scope: "col", class: "num" }, t("tgt.col.actual")),
              el("th", { scope: "col" }, t("tgt.col.verdict")),
              el("th", { scope: "col", class: "num" }, t("tgt.col.margin")),
              el("th", { scope: "col" }, t("tgt.col.sources")),
            ),
          ),
          tbody,
        ),
      ),
    );
  }

  async function start(): Promise<void> {
    const loaded = await catalogOrError(body, ctx.signal, () => void start());
    if (!loaded) return;
    ({ indicators: inds, regions } = loaded);
    const reg = suggestInput("tgt-region", "", regionOptions(regions));
    regionInput = reg.input;
    yearInput = el("input", { id: "tgt-year", type: "number", min: 1900, max: 2999, inputmode: "numeric" });
    const form = el(
      "form",
      { class: "card fx-filters", role: "search", "aria-label": t("tgt.title") },
      field(t("tgt.region"), reg.input),
      reg.list,
      field(t("tgt.year"), yearInput),
      el("button", { type: "submit", class: "primary" }, t("tgt.show")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      setQuery({ region: reg.input.value.trim(), year: yearInput?.value.trim() });
    });
    formBox.replaceChildren(form);
    await show(params);
  }

  void start();
  return {
    update(next: URLSearchParams) {
      void show(next);
    },
  };
}
