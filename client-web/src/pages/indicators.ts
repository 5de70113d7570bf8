// Indicator series (#/indicators?indicator=gdp&region=大兴区&measure=2): choose an indicator and a
// region (name or alias, suggested from the catalog), see the series as a uPlot chart (actuals a line
// with points, targets dashed, a range target as a band) for one measure at a time, and a table of
// every figure (actuals, targets, forecasts) whose value links to its sentence on its document's page.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { indicators } from "../app/api.js";
import { t } from "../app/i18n.js";
import { el, field, loading, showError, empty, select } from "../app/ui.js";
import { errorSentence, isCancel } from "../app/errors.js";
import { href, setQuery, type PageContext, type PageResult } from "../app/router.js";
import type { Indicator, Region, Series, SeriesPoint } from "../gen/luoshi/v1/indicators_pb.js";
import {
  chartData,
  drawableMeasures,
  formatObservationValue,
  measureName,
  periodName,
  periodSortKey,
  statusName,
  type ChartData,
} from "../figures/index.js";
import {
  catalogOrError,
  figureHref,
  findIndicator,
  indicatorOptions,
  searchIndicators,
  lang,
  regionName,
  regionOptions,
  suggestInput,
} from "./figures-ui.js";

const STATUS_ACTUAL = 1;
const STATUS_TARGET = 2;
const STATUS_FORECAST = 3;

function drawChart(box: HTMLElement, data: ChartData, label: string): () => void {
  const L = lang();
  const width = () => Math.max(280, Math.floor(box.clientWidth || 600));
  const hasUpper = data.targetUpper.some((v) => v !== null);
  const shown = (_u: uPlot, v: number | null | undefined): string => (v === null || v === undefined ? "—" : `${v}${data.unit}`);
  // Every value in view with some room, zero included (a growth rate reads against 0).
  const values = [...data.actual, ...data.target, ...data.targetUpper].filter((v): v is number => v !== null);
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const pad = (hi - lo) * 0.12 || 1;
  const yRange: uPlot.Range.MinMax = [lo < 0 ? lo - pad : 0, hi + pad];
  const series: uPlot.Series[] = [
    { label: t("ind.col.period"), value: (_u, v) => (v === null || v === undefined || !data.periods[v] ? "—" : periodName(data.periods[v], L)) },
    {
      label: t("ind.actual"),
      stroke: "#0b57a4",
      width: 2,
      points: { show: true, size: 7, fill: "#0b57a4" },
      spanGaps: true,
      value: shown,
    },
    {
      label: t("ind.target"),
      stroke: "#b3261e",
      width: 2,
      dash: [6, 5],
      points: { show: true, size: 6, stroke: "#b3261e", fill: "#ffffff" },
      spanGaps: true,
      value: shown,
    },
  ];
  const columns: uPlot.AlignedData = [data.x, data.actual, data.target];
  const bands: uPlot.Band[] = [];
  if (hasUpper) {
    series.push({
      label: t("ind.targetUpper"),
      stroke: "#b3261e",
      width: 1,
      dash: [2, 4],
      spanGaps: true,
      value: shown,
    });
    columns.push(data.targetUpper);
    bands.push({ series: [3, 2], fill: "rgba(179, 38, 30, 0.10)" });
  }
  const opts: uPlot.Options = {
    width: width(),
    height: 280,
    title: undefined,
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(0, data.x.length - 1) + 0.5] },
      y: { range: () => yRange },
    },
    axes: [
      {
        splits: () => data.x,
        values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && data.periods[v] ? periodName(data.periods[v], L) : "")),
        grid: { show: false },
      },
      { label: data.unit, size: 60, values: (_u, splits) => splits.map((v) => String(+v.toFixed(6))) },
    ],
    series,
    bands,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
  };
  box.replaceChildren();
  const figure = el("figure", { class: "chart", role: "img", "aria-label": label });
  box.append(figure);
  const plot = new uPlot(opts, columns, figure);
  const onResize = () => plot.setSize({ width: width(), height: 280 });
  let ro: ResizeObserver | null = null;
  if (typeof ResizeObserver !== "undefined") {
    ro = new ResizeObserver(onResize);
    ro.observe(box);
  }
  return () => {
    ro?.disconnect();
    plot.destroy();
  };
}

function sourceCell(p: SeriesPoint): HTMLElement {
  const o = p.observation;
  const prov = o?.provenance;
  if (!o || !prov?.documentId) return el("span", { class: "muted" }, "—");
  return el("span", { class: "source" }, el("a", { href: figureHref(prov.documentId, o.sourceKey) }, excerpt(prov) || prov.documentId));
}

// The words around the figure in its sentence (spans count code points), at most ~50 characters.
function excerpt(prov: { sentence: string; span?: { begin: number; end: number }; sentenceSpan?: { begin: number; end: number } }): string {
  const chars = Array.from(prov.sentence);
  if (chars.length <= 50) return prov.sentence;
  let from = 0;
  if (prov.span && prov.sentenceSpan) {
    const at = prov.span.begin - prov.sentenceSpan.begin;
    if (at >= 0 && at < chars.length) from = Math.max(0, Math.min(at - 20, chars.length - 50));
  }
  const to = Math.min(chars.length, from + 50);
  return `${from > 0 ? "…" : ""}${chars.slice(from, to).join("")}${to < chars.length ? "…" : ""}`;
}

export function render(view: HTMLElement, params: URLSearchParams, _path: string[], ctx: PageContext): PageResult {
  let destroyChart: (() => void) | null = null;
  ctx.onCleanup(() => destroyChart?.());

  const heading = el("h1", null, t("ind.title"));
  const formBox = el("div");
  const body = el("div", { class: "ind-body" });
  view.replaceChildren(heading, formBox, body);

  let inds: Indicator[] = [];
  let regions: Region[] = [];
  let indInput: HTMLInputElement | null = null;
  let regionInput: HTMLInputElement | null = null;
  let seq = 0;
  const choices = el("div", { class: "choices", "aria-live": "polite" });

  async function show(p: URLSearchParams): Promise<void> {
    const mine = ++seq;
    choices.replaceChildren();
    destroyChart?.();
    destroyChart = null;
    const indicatorText = p.get("indicator") ?? "";
    const regionText = p.get("region") ?? "";
    if (indInput) indInput.value = findIndicator(inds, indicatorText)?.name ?? indicatorText;
    if (regionInput) regionInput.value = regionText ? regionName(regions, regionText) : "";
    if (!indicatorText || !regionText) {
      body.replaceChildren(
        empty(
          t("ind.choose"),
          t("ind.chooseNext"),
          el("a", { href: href("indicators", [], { indicator: "gdp", region: "大兴区" }) }, `${findIndicator(inds, "gdp")?.name ?? "gdp"} · 大兴区 →`),
        ),
      );
      return;
    }
    loading(body);
    const known = findIndicator(inds, indicatorText);
    const key = known?.id ?? indicatorText;
    let actual: Series;
    let target: Series;
    let forecast: Series;
    try {
      [actual, target, forecast] = await Promise.all(
        [STATUS_ACTUAL, STATUS_TARGET, STATUS_FORECAST].map((status) =>
          indicators.getSeries({ indicatorId: key, region: regionText, status }, { signal: ctx.signal }),
        ),
      );
    } catch (err) {
      if (!isCancel(err) && mine === seq) showError(body, err, () => void show(p));
      return;
    }
    if (mine !== seq || ctx.signal.aborted) return;
    const L = lang();
    const ind = actual.indicator ?? known;
    const indName = ind?.name || indicatorText;
    const regName = actual.region?.name || regionName(regions, regionText);
    heading.textContent = `${indName} · ${regName}`;
    const all: SeriesPoint[] = [...actual.points, ...target.points, ...forecast.points];
    if (all.length === 0) {
      body.replaceChildren(empty(t("ind.noData", { indicator: indName, region: regName }), t("ind.noDataNext"), el("a", { href: href("documents") }, `${t("docs.title")} →`)));
      return;
    }
    const measures = drawableMeasures(actual.points, target.points);
    const wanted = Number(p.get("measure") ?? "0");
    const measure = measures.includes(wanted) ? wanted : (measures[0] ?? 0);

    const info = el("dl", { class: "fx-facts fx-facts-inline" });
    const addInfo = (k: string, v: string) => {
      if (v) info.append(el("dt", null, k), el("dd", null, v));
    };
    if (ind) {
      addInfo(t("ind.category"), ind.category);
      addInfo(t("ind.nature"), ind.nature ? t(`ind.nature.${ind.nature}`) : "");
      addInfo(t("ind.defaultUnit"), ind.defaultUnit);
      addInfo(t("ind.direction"), ind.desiredDirection ? t(`ind.direction.${ind.desiredDirection}`) : "");
    }

    const chartSection = el("section", { class: "card chart-card", "aria-labelledby": "chart-h" });
    if (measures.length) {
      const measureSelect = select(
        measures.map((m) => [String(m), measureName(m, L)]),
        String(measure),
        { id: "measure-select" },
      );
      measureSelect.addEventListener("change", () => {
        const next = new URLSearchParams(p);
        next.set("measure", measureSelect.value);
        setQuery(next);
      });
      const data = chartData(actual.points, target.points, measure, ind?.defaultUnit ?? "");
      const chartBox = el("div", { class: "chart-box" });
      chartSection.append(
        el("div", { class: "chart-head" }, el("h2", { id: "chart-h" }, measureName(measure, L)), field(t("ind.measure"), measureSelect)),
        chartBox,
      );
      if (data.notDrawn > 0) chartSection.append(el("p", { class: "hint" }, t("ind.notDrawn", { n: data.notDrawn })));
      body.replaceChildren(info, chartSection);
      destroyChart = drawChart(
        chartBox,
        data,
        t("ind.chartLabel", { indicator: indName, region: regName, measure: measureName(measure, L), unit: data.unit || "—" }),
      );
    } else {
      body.replaceChildren(info);
    }

    // The table: every figure, in period order, actual before target before forecast.
    all.sort(
      (a, b) =>
        periodSortKey(a.period) - periodSortKey(b.period) ||
        (a.observation?.status ?? 0) - (b.observation?.status ?? 0) ||
        (a.observation?.measure ?? 0) - (b.observation?.measure ?? 0),
    );
    const tbody = el("tbody");
    for (const pt of all) {
      const o = pt.observation;
      if (!o) continue;
      const valueText = formatObservationValue(o);
      const link = o.provenance?.documentId
        ? el("a", { href: figureHref(o.provenance.documentId, o.sourceKey), class: "fig-link" }, valueText)
        : el("span", null, valueText);
      tbody.append(
        el(
          "tr",
          { class: `status-${o.status}` },
          el("th", { scope: "row", class: "nowrap period-cell" }, periodName(pt.period, L)),
          el("td", { "data-label": t("ind.col.status") }, el("span", { class: `status-tag status-tag-${o.status}` }, statusName(o.status, L))),
          el("td", { "data-label": t("ind.col.measure") }, measureName(o.measure, L)),
          el("td", { class: "value-cell", "data-label": t("ind.col.value") }, link),
          el("td", { "data-label": t("ind.col.base") }, o.comparisonBase || "—"),
          el("td", { class: "source-cell", "data-label": t("ind.col.source") }, sourceCell(pt)),
        ),
      );
    }
    const targetYears = [...new Set(target.points.map((x) => x.period.slice(0, 4)))];
    const exportButton = el("button", { type: "button", class: "secondary small" }, t("ind.export"));
    const exportStatus = el("span", { class: "hint", role: "status" });
    exportButton.addEventListener("click", async () => {
      exportButton.disabled = true;
      exportStatus.textContent = t("loading");
      try {
        // Every vintage-latest figure of this indicator and region, as the server writes the CSV (with
        // its BOM, so that Excel reads the UTF-8 correctly), joined from the stream's chunks.
        const parts: BlobPart[] = [];
        for await (const chunk of indicators.exportObservations(
          { filter: { indicatorIds: [key], region: regionText } },
          { signal: ctx.signal, timeoutMs: 120000 },
        )) {
          parts.push(new Uint8Array(chunk.data));
        }
        const url = URL.createObjectURL(new Blob(parts, { type: "text/csv;charset=utf-8" }));
        const a = el("a", { href: url, download: `${indName}-${regName}.csv`, class: "visually-hidden" });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
        exportStatus.textContent = "";
      } catch (err) {
        if (!isCancel(err)) exportStatus.replaceChildren(el("span", { class: "error-text", role: "alert" }, errorSentence(err)));
      } finally {
        exportButton.disabled = false;
      }
    });
    body.append(
      el(
        "section",
        { "aria-labelledby": "table-h" },
        el("div", { class: "table-head" }, el("h2", { id: "table-h" }, t("ind.table")), exportButton, exportStatus),
        el(
          "div",
          { class: "table-wrap" },
          el(
            "table",
            { class: "series-table cards-on-phone" },
            el(
              "thead",
              null,
              el(
                "tr",
                null,
                el("th", { scope: "col" }, t("ind.col.period")),
                el("th", { scope: "col" }, t("ind.col.status")),
                el("th", { scope: "col" }, t("ind.col.measure")),
                el("th", { scope: "col" }, t("ind.col.value")),
                el("th", { scope: "col" }, t("ind.col.base")),
                el("th", { scope: "col" }, t("ind.col.source")),
              ),
            ),
            tbody,
          ),
        ),
        targetYears.length
          ? el(
              "p",
              { class: "target-links" },
              ...targetYears.map((y) =>
                el("a", { href: href("targets", [], { region: regName, year: y }) }, `${t("ind.targets", { region: regName, year: y })} →`),
              ),
            )
          : null,
      ),
    );
  }

  async function start(): Promise<void> {
    const loaded = await catalogOrError(body, ctx.signal, () => void start());
    if (!loaded) return;
    ({ indicators: inds, regions } = loaded);
    const ind = suggestInput("ind-input", "", indicatorOptions(inds));
    const reg = suggestInput("region-input", "", regionOptions(regions));
    indInput = ind.input;
    regionInput = reg.input;
    const form = el(
      "form",
      { class: "card fx-filters", role: "search", "aria-label": t("ind.title") },
      field(t("ind.indicator"), ind.input),
      ind.list,
      field(t("ind.region"), reg.input),
      reg.list,
      el("button", { type: "submit", class: "primary" }, t("ind.show")),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      choices.replaceChildren();
      const text = ind.input.value.trim();
      const region = reg.input.value.trim();
      const found = findIndicator(inds, text);
      if (found || !text) {
        setQuery({ indicator: found?.id ?? text, region });
        return;
      }
      // Part of a name or alias: one match is taken, several are offered; none is asked as written
      // (figures outside the catalog are stored under the words the document used).
      const matches = searchIndicators(inds, text);
      if (matches.length === 1) {
        setQuery({ indicator: matches[0].id, region });
        return;
      }
      if (matches.length === 0) {
        setQuery({ indicator: text, region });
        return;
      }
      choices.append(
        el("p", null, t("ind.which", { text })),
        el(
          "ul",
          null,
          ...matches.slice(0, 12).map((m) =>
            el("li", null, el("a", { href: href("indicators", [], { indicator: m.id, region }) }, `${m.name}（${[m.id, ...m.aliases].join("、")}）`)),
          ),
        ),
      );
    });
    formBox.replaceChildren(form, choices);
    await show(params);
  }

  void start();
  return {
    update(next: URLSearchParams) {
      void show(next);
    },
  };
}
