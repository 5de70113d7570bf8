// Ledgers (台账): per unit, per leader or per section of a plan (GetLedger), ranked most overdue first
// as the server sends them, with a bar of each row's standing; CSV export (ledger or task list)
// through the server-streaming ExportTasks, chunks joined into one download that keeps the server's
// BOM (so Excel reads the UTF-8).
import "../app/messages-tasks.js";
import type { Ledger, LedgerRow, Plan, Task } from "../gen/luoshi/v1/tasks_pb.js";
import { LedgerGrouping } from "../gen/luoshi/v1/tasks_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExportTasksRequestSchema } from "../gen/luoshi/v1/tasks_pb.js";
import { tasks as api } from "../app/api.js";
import { t } from "../app/i18n.js";
import { el, empty, errorBox, field, loading, select, showError, toast } from "../app/ui.js";
import { href, refresh, setQuery, type PageContext, type PageResult } from "../app/router.js";
import { formatTs } from "../app/format.js";
import { isCancel } from "../app/errors.js";

const DUE_DAYS = 7;
const DUE_SHOWN = 5;

const GROUPINGS: Record<string, LedgerGrouping> = {
  unit: LedgerGrouping.UNIT,
  leader: LedgerGrouping.LEADER,
  section: LedgerGrouping.SECTION,
};

export function groupingOf(by: string): LedgerGrouping {
  return GROUPINGS[by] ?? LedgerGrouping.UNIT;
}

// Joins the streamed CSV chunks into one file, byte for byte (the BOM stays first).
export async function exportCsv(
  what: MessageInitShape<typeof ExportTasksRequestSchema>["what"],
  signal: AbortSignal,
): Promise<Blob> {
  const parts: BlobPart[] = [];
  for await (const chunk of api.exportTasks({ what }, { signal, timeoutMs: 120000 })) {
    parts.push(chunk.data as Uint8Array<ArrayBuffer>);
  }
  return new Blob(parts, { type: "text/csv;charset=utf-8" });
}

function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename, class: "visually-hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

function bar(row: LedgerRow, max: number): HTMLElement {
  const w = (n: number) => `${max ? (n / max) * 100 : 0}%`;
  return el(
    "div",
    { class: "standing", "aria-hidden": "true" },
    el("span", { class: "seg done", style: `width:${w(row.done)}` }),
    el("span", { class: "seg progress", style: `width:${w(row.inProgress)}` }),
    el("span", { class: "seg notstarted", style: `width:${w(row.notStarted)}` }),
  );
}

export async function render(view: HTMLElement, params: URLSearchParams, _path: string[], ctx: PageContext): Promise<PageResult> {
  const { signal } = ctx;
  let plan = params.get("plan") ?? "";
  let by = params.get("by") ?? "unit";
  if (!(by in GROUPINGS)) by = "unit";
  let plans: Plan[] = [];

  const controls = el("form", { class: "filters ledger-filters", "aria-label": t("ledger.controls") });
  const actions = el("div", { class: "export" });
  const exportMessage = el("div", { "aria-live": "polite" });
  const results = el("div");
  const due = el("section", { class: "due", "aria-labelledby": "due-title" });
  view.replaceChildren(
    el("div", { class: "page-head" }, el("h1", null, t("ledger.title")), actions),
    controls,
    exportMessage,
    due,
    el("ul", { class: "legend", "aria-label": t("ledger.legend") },
      el("li", null, el("i", { class: "seg done", "aria-hidden": "true" }), t("ledger.done")),
      el("li", null, el("i", { class: "seg progress", "aria-hidden": "true" }), t("ledger.inProgress")),
      el("li", null, el("i", { class: "seg notstarted", "aria-hidden": "true" }), t("ledger.notStarted")),
    ),
    results,
  );

  async function doExport(kind: "ledger" | "tasks", button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    exportMessage.replaceChildren(el("p", { class: "state loading", role: "status" }, t("ledger.exporting")));
    try {
      const what: MessageInitShape<typeof ExportTasksRequestSchema>["what"] =
        kind === "ledger"
          ? { case: "ledger", value: { planId: plan, grouping: groupingOf(by) } }
          : { case: "tasks", value: { planId: plan } };
      const blob = await exportCsv(what, signal);
      const name =
        kind === "ledger"
          ? `${t("ledger.fileLedger")}-${plan || t("ledger.allPlansFile")}-${t(`ledger.by.${by}`)}.csv`
          : `${t("ledger.fileTasks")}-${plan || t("ledger.allPlansFile")}.csv`;
      download(blob, name);
      exportMessage.replaceChildren();
      toast(t("ledger.exported", { name }));
    } catch (err) {
      if (signal.aborted && isCancel(err)) return;
      exportMessage.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  }

  const exportLedger = el("button", { type: "button", class: "primary" }, t("ledger.exportLedger"));
  const exportTasks = el("button", { type: "button", class: "secondary" }, t("ledger.exportTasks"));
  exportLedger.addEventListener("click", () => void doExport("ledger", exportLedger));
  exportTasks.addEventListener("click", () => void doExport("tasks", exportTasks));
  actions.append(exportLedger, exportTasks);

  function buildControls(): void {
    const planSelect = select(
      [["", t("board.allPlans")], ...plans.map((p): [string, string] => [p.id, `${p.id} · ${p.title}${p.current ? "" : t("board.oldVersion")}`])],
      plan,
      { name: "plan" },
    );
    planSelect.addEventListener("change", () => setQuery({ plan: planSelect.value, by: by === "unit" ? "" : by }));
    const group = el("fieldset", { class: "segmented" }, el("legend", null, t("ledger.groupBy")));
    for (const key of Object.keys(GROUPINGS)) {
      const input = el("input", { type: "radio", name: "by", value: key, checked: key === by });
      input.addEventListener("change", () => setQuery({ plan, by: key === "unit" ? "" : key }));
      group.append(el("label", null, input, el("span", null, t(`ledger.by.${key}`))));
    }
    controls.replaceChildren(field(t("board.plan"), planSelect), group);
  }

  function renderLedger(ledger: Ledger): void {
    const rows = ledger.rows;
    if (rows.length === 0) {
      results.replaceChildren(
        empty(t("ledger.empty"), t("board.emptyNext"), el("a", { href: href("documents"), class: "button-link" }, t("board.toDocuments"))),
      );
      return;
    }
    const max = Math.max(...rows.map((r) => r.taskCount));
    const body = el("tbody");
    for (const r of rows) {
      const overdue = r.overdueTaskIds.length
        ? el(
            "details",
            { class: "overdue-list" },
            el("summary", null, t("ledger.overdueIds", { n: r.overdueTaskIds.length })),
            el("p", null, ...r.overdueTaskIds.flatMap((id, i) => [i ? " " : "", el("a", { href: href("task", [id]) }, id)])),
          )
        : null;
      const boardLink =
        by === "unit"
          ? href("board", [], { plan, unit: r.key })
          : by === "leader"
            ? href("board", [], { plan, leader: r.key })
            : "";
      body.append(
        el(
          "tr",
          { class: r.overdue ? "has-overdue" : undefined },
          el("th", { scope: "row", class: "key" }, boardLink ? el("a", { href: boardLink }, r.key || "—") : r.key || t("ledger.noSection"), overdue),
          el("td", { class: "bar-cell" }, bar(r, max)),
          el("td", { class: "num" }, String(r.taskCount)),
          el("td", { class: "num c-done" }, String(r.done)),
          el("td", { class: "num c-progress" }, String(r.inProgress)),
          el("td", { class: "num c-notstarted" }, String(r.notStarted)),
          el("td", { class: `num overdue${r.overdue ? " bad" : ""}` }, String(r.overdue)),
          el("td", { class: "num" }, `${r.completionRate}%`),
          el("td", { class: "nowrap last" }, formatTs(r.lastReportAt) || "—"),
        ),
      );
    }
    results.replaceChildren(
      el(
        "div",
        { class: "table-wrap", tabindex: 0, role: "region", "aria-label": t("ledger.title") },
        el(
          "table",
          { class: "ledger" },
          el("caption", { class: "visually-hidden" }, `${t("ledger.title")} · ${t(`ledger.by.${by}`)}`),
          el(
            "thead",
            null,
            el(
              "tr",
              null,
              el("th", { scope: "col" }, t(`ledger.by.${by}`)),
              el("th", { scope: "col" }, t("ledger.standing")),
              el("th", { scope: "col", class: "num" }, t("ledger.tasks")),
              el("th", { scope: "col", class: "num c-done" }, t("ledger.done")),
              el("th", { scope: "col", class: "num c-progress" }, t("ledger.inProgress")),
              el("th", { scope: "col", class: "num c-notstarted" }, t("ledger.notStarted")),
              el("th", { scope: "col", class: "num" }, t("ledger.overdue")),
              el("th", { scope: "col", class: "num" }, t("ledger.rate")),
              el("th", { scope: "col" }, t("ledger.lastReport")),
            ),
          ),
          body,
        ),
      ),
    );
  }

  async function load(): Promise<void> {
    loading(results, t("ledger.loading"));
    void loadDue();
    try {
      const ledger = await api.getLedger({ planId: plan, grouping: groupingOf(by) }, { signal });
      if (!signal.aborted) renderLedger(ledger);
    } catch (err) {
      if (!signal.aborted) showError(results, err, () => void load());
    }
  }

  // Reminders (催办): what to chase this week, whose report is missing this period, what is overdue.
  async function loadDue(): Promise<void> {
    loading(due, t("due.loading"));
    try {
      const res = await api.listDueTasks({ planId: plan, withinDays: DUE_DAYS }, { signal });
      if (signal.aborted) return;
      const group = (key: string, list: Task[], more: string) =>
        el(
          "div",
          { class: "due-group" },
          el("h3", null, t(key, { n: list.length, d: DUE_DAYS })),
          list.length
            ? el(
                "ul",
                null,
                ...list.slice(0, DUE_SHOWN).map((task) =>
                  el(
                    "li",
                    null,
                    el("a", { href: href("task", [task.id]) }, `${task.definition?.number ?? ""}. ${task.definition?.text ?? ""}`),
                    el("span", { class: "muted" }, ` ${(task.definition?.responsibleUnits ?? []).join("、")}`),
                  ),
                ),
                list.length > DUE_SHOWN ? el("li", { class: "more-link" }, el("a", { href: more }, t("due.more", { n: list.length - DUE_SHOWN }))) : null,
              )
            : el("p", { class: "muted" }, t("due.none")),
        );
      due.replaceChildren(
        el("h2", { id: "due-title" }, t("due.title")),
        el(
          "div",
          { class: "due-groups" },
          group("due.soon", res.dueSoon, href("board", [], { plan, sort: "due" })),
          group("due.withoutReport", res.withoutReport, href("board", [], { plan, sort: "due" })),
          group("due.overdue", res.overdue, href("board", [], { plan, light: "red", sort: "due" })),
        ),
      );
    } catch (err) {
      if (!signal.aborted) showError(due, err, () => void loadDue());
    }
  }

  loading(results, t("ledger.loading"));
  try {
    plans = (await api.listPlans({}, { signal })).plans;
  } catch (err) {
    if (!signal.aborted) showError(results, err, () => refresh());
    return {};
  }
  buildControls();
  await load();
  return {
    update(next: URLSearchParams): boolean {
      plan = next.get("plan") ?? "";
      by = next.get("by") ?? "unit";
      if (!(by in GROUPINGS)) by = "unit";
      buildControls();
      void load();
      return true;
    },
  };
}

