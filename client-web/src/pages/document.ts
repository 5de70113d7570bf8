// One document (#/document/ID?figure=N): its metadata and deliveries, its text with every extracted
// figure (a button) and task (underlined) highlighted from the extraction's spans, and a panel with
// the selected figure's structured reading and a link to the series it went into. ?figure=N selects
// figure N (its index in the extraction, as in the source key "<sha>:obs:N") and scrolls it into view:
// the indicator pages link here. Reprocessing with another year or region for those who may ingest.
import { ingestion } from "../app/api.js";
import { t } from "../app/i18n.js";
import { el, field, loading, showError, toast } from "../app/ui.js";
import { errorSentence, isCancel } from "../app/errors.js";
import { formatTs } from "../app/format.js";
import { href, setQuery, type PageContext, type PageResult } from "../app/router.js";
import type { Document, Extraction } from "../gen/luoshi/v1/ingestion_pb.js";
import type { Observation } from "../gen/luoshi/v1/indicators_pb.js";
import type { TaskDefinition } from "../gen/luoshi/v1/tasks_pb.js";
import {
  boundName,
  deliveryStateName,
  deliveryTargetName,
  documentTypeName,
  formatObservationValue,
  isYearOnYear,
  measureName,
  periodName,
  codePointIndex,
  segment,
  spanText,
  statusName,
  type Mark,
} from "../figures/index.js";
import { catalog, indicatorName, lang, mayIngest, regionName } from "./figures-ui.js";
import type { Indicator, Region } from "../gen/luoshi/v1/indicators_pb.js";

const DELIVERY_FAILED = 4;

function dl(rows: Array<[string, Node | string | null | undefined]>): HTMLElement {
  const list = el("dl", { class: "fx-facts" });
  for (const [k, v] of rows) {
    if (v === null || v === undefined || v === "") continue;
    list.append(el("dt", null, k), el("dd", null, v));
  }
  return list;
}

// The text with its marks: figures are buttons (data-fig), tasks spans (data-task) whose first run
// carries a small button that opens the task's reading.
interface Run {
  node: Text;
  begin: number; // UTF-16 index of the node's first character in the text
}

function renderText(text: string, ex: Extraction): { box: HTMLElement; runs: Run[] } {
  const marks: Mark[] = [];
  ex.observations.forEach((o, i) => marks.push({ span: o.provenance?.span, kind: "figure", id: i }));
  ex.tasks.forEach((task, i) => marks.push({ span: task.provenance?.span, kind: "task", id: i }));
  const box = el("div", { class: "doc-text", lang: "zh-CN" });
  const taskSeen = new Set<number>();
  const runs: Run[] = [];
  for (const s of segment(text, marks)) {
    const fig = s.kinds.figure;
    const task = s.kinds.task;
    const textNode = document.createTextNode(s.text);
    runs.push({ node: textNode, begin: s.begin });
    let node: Node;
    if (fig !== undefined) {
      const o = ex.observations[fig];
      node = el(
        "button",
        { type: "button", class: `fig fig-status-${o.status}`, "data-fig": fig, "aria-label": `${s.text}（${formatObservationValue(o)}）` },
        textNode,
      );
    } else {
      node = textNode;
    }
    if (task !== undefined) {
      const span = el("span", { class: "fx-task-text", "data-task": task });
      if (!taskSeen.has(task)) {
        taskSeen.add(task);
        span.append(
          el(
            "button",
            { type: "button", class: "task-badge", "data-task-open": task },
            t("doc.task", { number: ex.tasks[task].number || String(task + 1) }),
          ),
        );
      }
      span.append(node);
      node = span;
    }
    box.append(node);
  }
  return { box, runs };
}

// Marks the selected figure's sentence with the CSS Custom Highlight API (no DOM change, so the
// figures' buttons stay as they are); browsers without it simply show no sentence highlight.
function highlightSentence(text: string, runs: Run[], span: { begin: number; end: number } | undefined): void {
  // lib.dom declares HighlightRegistry without its map methods.
  const registry = (typeof CSS !== "undefined" ? CSS.highlights : undefined) as unknown as Map<string, Highlight> | undefined;
  const HighlightCtor = typeof Highlight !== "undefined" ? Highlight : undefined;
  if (!registry || !HighlightCtor) return;
  registry.delete("fx-sentence");
  if (!span || span.end <= span.begin || runs.length === 0) return;
  const toUnit = codePointIndex(text);
  const at = (unit: number): { node: Text; offset: number } => {
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[mid].begin <= unit) lo = mid;
      else hi = mid - 1;
    }
    const run = runs[lo];
    return { node: run.node, offset: Math.min(Math.max(0, unit - run.begin), run.node.length) };
  };
  const a = at(toUnit(span.begin));
  const b = at(toUnit(span.end));
  const range = document.createRange();
  range.setStart(a.node, a.offset);
  range.setEnd(b.node, b.offset);
  registry.set("fx-sentence", new HighlightCtor(range));
}

function figureReading(o: Observation, index: number, text: string, inds: Indicator[], regions: Region[]): HTMLElement {
  const L = lang();
  const name = indicatorName(inds, o.indicatorId, o.surfaceName);
  const value = o.value;
  const delivered = o.period !== "" && o.region !== "";
  const prov = o.provenance;
  const rows: Array<[string, Node | string | null]> = [
    [t("doc.indicator"), o.indicatorId ? `${name}（${o.indicatorId}）` : `${name} ${t("doc.outside")}`],
    [t("doc.asWritten"), spanText(text, prov?.span) || o.surfaceName],
    [t("doc.value"), el("strong", { class: "fig-value" }, formatObservationValue(o))],
    [t("doc.unit"), value?.unit || "—"],
    [t("doc.measure"), measureName(o.measure, L)],
    [t("doc.bound"), boundName(o.bound, L)],
    [t("doc.period"), periodName(o.period, L)],
    [t("doc.status"), statusName(o.status, L)],
    [t("doc.base"), o.comparisonBase ? o.comparisonBase : isYearOnYear(o.comparisonBase) && value ? t("doc.yoy") : null],
    [t("doc.region"), o.region ? regionName(regions, o.region) : "—"],
    [t("doc.section"), prov?.sectionPath.length ? prov.sectionPath.join(" › ") : null],
    [
      t("doc.cell"),
      prov?.tableCell
        ? t("doc.cellAt", { table: prov.tableCell.table, row: prov.tableCell.row, column: prov.tableCell.column })
        : null,
    ],
  ];
  const panel = el("div", { class: "reading", "data-reading": index }, dl(rows));
  if (prov?.sentence) panel.append(el("blockquote", { class: "sentence" }, prov.sentence));
  if (delivered) {
    panel.append(
      el(
        "p",
        null,
        el(
          "a",
          {
            class: "series-link",
            href: href("indicators", [], {
              indicator: o.indicatorId || o.surfaceName,
              region: o.region,
              measure: String(o.measure),
            }),
          },
          `${t("doc.series")} →`,
        ),
      ),
    );
  } else {
    panel.append(el("p", { class: "state notice" }, t("doc.notDelivered")));
  }
  return panel;
}

function taskReading(task: TaskDefinition): HTMLElement {
  const panel = el(
    "div",
    { class: "reading" },
    el("h3", null, t("doc.task", { number: task.number })),
    el("p", null, task.text),
    dl([
      [t("doc.taskLeaders"), task.leadLeaders.join("、")],
      [t("doc.taskUnits"), task.responsibleUnits.join("、")],
      [t("doc.taskCoop"), task.cooperatingUnits.join("、")],
      [t("doc.taskDeadline"), task.deadline?.text || null],
    ]),
  );
  panel.append(el("p", null, el("a", { href: href("board", [], { q: task.text.slice(0, 16) }) }, `${t("doc.taskBoard")} →`)));
  return panel;
}

export function render(view: HTMLElement, params: URLSearchParams, path: string[], ctx: PageContext): PageResult {
  const id = path[0] ?? "";
  let selectFigure: (index: number | null, scroll: boolean) => void = () => {};

  async function load(): Promise<void> {
    loading(view);
    let doc: Document;
    let ex: Extraction;
    try {
      [doc, ex] = await Promise.all([
        ingestion.getDocument({ documentId: id }, { signal: ctx.signal }),
        ingestion.getExtraction({ documentId: id }, { signal: ctx.signal }),
      ]);
    } catch (err) {
      if (!isCancel(err)) showError(view, err, () => void load());
      return;
    }
    let inds: Indicator[] = [];
    let regions: Region[] = [];
    try {
      ({ indicators: inds, regions } = await catalog(ctx.signal));
    } catch {
      /* names fall back to ids */
    }
    if (ctx.signal.aborted) return;
    const L = lang();
    const m = ex.metadata ?? doc.metadata;
    const title = m?.title || doc.filename || t("docs.untitled");

    const deliveries = el("ul", { class: "delivery-list" });
    for (const d of doc.deliveries) {
      const li = el(
        "li",
        null,
        el(
          "span",
          { class: `delivery delivery-${d.state === DELIVERY_FAILED ? "bad" : d.state === 1 ? "wait" : "ok"}` },
          `${deliveryTargetName(d.target, L)}：${deliveryStateName(d.state, L)}`,
        ),
      );
      if (d.lastError) li.append(" ", el("span", { class: "error-text" }, d.lastError));
      if (d.leftOut > 0) li.append(" ", el("span", { class: "hint" }, t("doc.leftOut", { n: d.leftOut, why: d.leftOutReason })));
      deliveries.append(li);
    }

    const meta = el(
      "section",
      { class: "card doc-meta", "aria-labelledby": "meta-h" },
      el("h2", { id: "meta-h", class: "visually-hidden" }, t("doc.meta")),
      dl([
        [t("docs.col.kind"), documentTypeName(m?.type ?? 0, L)],
        [t("docs.col.region"), m?.region || t("docs.unknown")],
        [t("doc.period"), m?.period ? periodName(m.period, L) : m?.year ? String(m.year) : t("docs.unknown")],
        [t("doc.issuer"), m?.issuer],
        [t("doc.number"), m?.documentNumber],
        [t("doc.written"), m?.writtenDate],
        [t("doc.published"), m?.publishedDate],
        [t("doc.file"), doc.filename],
        [t("doc.encoding"), m?.encoding],
        [t("docs.col.ingested"), formatTs(doc.ingestedAt)],
        [t("doc.extractor"), doc.extractorVersion],
      ]),
      el("h3", null, t("doc.deliveries")),
      deliveries,
    );
    if (ex.warnings.length) {
      meta.append(el("h3", null, t("doc.warnings")), el("ul", { class: "warnings" }, ...ex.warnings.map((w) => el("li", null, w))));
    }

    let reprocess: HTMLElement | null = null;
    if (mayIngest()) {
      const year = el("input", { type: "number", min: 1949, max: 2100, inputmode: "numeric", value: m?.year ? String(m.year) : "" });
      const region = el("input", { type: "text", autocomplete: "off", value: "" });
      const button = el("button", { type: "submit", class: "secondary" }, t("doc.reprocess"));
      const out = el("div", { "aria-live": "polite" });
      const form = el(
        "form",
        { class: "reprocess-form", "aria-labelledby": "rp-h" },
        el("h2", { id: "rp-h" }, t("doc.reprocess")),
        el("p", { class: "hint" }, t("doc.reprocessIntro")),
        el("div", { class: "hints-row" }, field(t("doc.reprocessYear"), year), field(t("doc.reprocessRegion"), region)),
        button,
        out,
      );
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        button.disabled = true;
        loading(out, t("doc.reprocessing"));
        try {
          const res = await ingestion.reprocessDocument(
            { documentId: id, yearHint: Number(year.value) || 0, regionHint: region.value.trim() },
            { signal: ctx.signal },
          );
          toast(t("doc.reprocessDone", { figures: res.document?.observationCount ?? 0, tasks: res.document?.taskCount ?? 0 }));
          void load();
        } catch (err) {
          if (isCancel(err)) return;
          out.replaceChildren(el("p", { class: "state error", role: "alert" }, errorSentence(err)));
          button.disabled = false;
        }
      });
      reprocess = el("section", { class: "card" }, form);
    }

    const text = ex.text;
    const rendered = text ? renderText(text, ex) : null;
    const textBox = rendered ? rendered.box : el("p", { class: "state empty" }, t("doc.noText"));
    const runs = rendered ? rendered.runs : [];
    ctx.onCleanup(() => highlightSentence(text, [], undefined));
    const panelBody = el("div", { class: "reading-body" }, el("p", { class: "hint" }, t("doc.pickFigure")));
    const panel = el(
      "aside",
      { class: "reading-panel card", "aria-labelledby": "reading-h", "aria-live": "polite" },
      el("h2", { id: "reading-h" }, t("doc.reading")),
      panelBody,
    );

    let selected: HTMLElement | null = null;
    selectFigure = (index, scroll) => {
      selected?.classList.remove("selected");
      selected?.setAttribute("aria-pressed", "false");
      selected = null;
      if (index === null || !ex.observations[index]) {
        highlightSentence(text, runs, undefined);
        panelBody.replaceChildren(el("p", { class: "hint" }, t("doc.pickFigure")));
        panel.classList.remove("has-reading");
        return;
      }
      highlightSentence(text, runs, ex.observations[index].provenance?.sentenceSpan);
      const button = textBox.querySelector<HTMLElement>(`button[data-fig="${index}"]`);
      if (button) {
        button.classList.add("selected");
        button.setAttribute("aria-pressed", "true");
        selected = button;
        if (scroll) button.scrollIntoView({ block: "center" });
      }
      panelBody.replaceChildren(figureReading(ex.observations[index], index, text, inds, regions));
      panel.classList.add("has-reading");
    };
    textBox.querySelectorAll<HTMLElement>("button.fig").forEach((b) => b.setAttribute("aria-pressed", "false"));
    textBox.addEventListener("click", (e) => {
      const target = e.target as HTMLElement;
      const fig = target.closest<HTMLElement>("button[data-fig]");
      if (fig) {
        const index = Number(fig.dataset.fig);
        selectFigure(index, false);
        setQuery({ figure: String(index) }, { replace: true });
        return;
      }
      const task = target.closest<HTMLElement>("button[data-task-open]");
      if (task) {
        selected?.classList.remove("selected");
        panelBody.replaceChildren(taskReading(ex.tasks[Number(task.dataset.taskOpen)]));
        panel.classList.add("has-reading");
      }
    });

    view.replaceChildren(
      el("p", { class: "crumbs" }, el("a", { href: href("documents") }, t("doc.back"))),
      el("h1", null, title),
      el(
        "p",
        { class: "doc-counts" },
        el("span", { class: "count-figure" }, t("doc.figuresCount", { n: ex.observations.length })),
        " · ",
        el("span", { class: "count-task" }, t("doc.tasksCount", { n: ex.tasks.length })),
      ),
      meta,
      el(
        "div",
        { class: "doc-layout" },
        el(
          "section",
          { class: "doc-body card", "aria-labelledby": "text-h" },
          el("h2", { id: "text-h" }, t("doc.text")),
          el(
            "p",
            { class: "fx-legend hint" },
            el("span", { class: "legend-fig" }, t("doc.legendFigure")),
            el("span", { class: "legend-task" }, t("doc.legendTask")),
            t("doc.legend"),
          ),
          textBox,
        ),
        panel,
      ),
      reprocess ?? "",
    );
    const wanted = params.get("figure");
    if (wanted !== null && wanted !== "") selectFigure(Number(wanted), true);
  }

  void load();
  return {
    update(next: URLSearchParams) {
      const f = next.get("figure");
      selectFigure(f === null || f === "" ? null : Number(f), false);
    },
  };
}
