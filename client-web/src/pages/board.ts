// The task board (任务看板): every task of a plan with its light, filtered in the browser by unit,
// leader, status, light and text (all in the URL), live through WatchTasks: a change made elsewhere
// appears without reload and flashes; the stream reconnects with backoff and asks for what it missed
// (after the last event's sequence), reloading only when the server no longer has it.
import type { Plan, Task, TaskEvent } from "../gen/luoshi/v1/tasks_pb.js";
import { tasks as api } from "../app/api.js";
import "../app/messages-tasks.js";
import { t, hasMessage } from "../app/i18n.js";
import { el, empty, field, loading, select, showError } from "../app/ui.js";
import { href, setQuery, refresh, type PageContext, type PageResult } from "../app/router.js";
import { errorSentence, isCancel, isUnauthenticated } from "../app/errors.js";
import { onUnauthenticated } from "../app/api.js";
import { lightBadge, lightLabel, statusLabel, LIGHT_NAMES, STATUS_KEYS } from "../app/lights.js";
import {
  countLights,
  distinct,
  filterFromParams,
  filterRows,
  filterToParams,
  toRow,
  type BoardFilter,
  type Row,
} from "../app/taskfilter.js";
import { Code, ConnectError } from "@connectrpc/connect";

const PAGE_SIZE = 1000; // ListTasks' maximum
// Rows: the first FIRST_CHUNK render at once (a screenful, so a filter change shows within a frame),
// the rest up to `limit` in chunks after each paint; beyond SHOW_STEP a "show more" button adds as many.
const FIRST_CHUNK = 30;
const CHUNK = 80;
const SHOW_STEP = 300;
const FLASH_MS = 2500;
const WATCH_TIMEOUT_MS = 50 * 60 * 1000; // below the gateway's 1 h cap; the stream is then reopened
const BACKOFF_MAX_MS = 30000;

export async function loadAllTasks(planId: string, signal: AbortSignal): Promise<Task[]> {
  const all: Task[] = [];
  let pageToken = "";
  do {
    const res = await api.listTasks({ filter: { planId }, page: { pageSize: PAGE_SIZE, pageToken } }, { signal });
    all.push(...res.tasks);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return all;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function planLabel(p: Plan): string {
  const old = p.current ? "" : ` ${t("board.oldVersion")}`;
  return `${p.id} · ${p.title}${p.version > 1 ? ` v${p.version}` : ""}${old}`;
}

export async function render(view: HTMLElement, params: URLSearchParams, _path: string[], ctx: PageContext): Promise<PageResult> {
  const { signal } = ctx;
  let filter: BoardFilter = filterFromParams(params);
  let rows: Row[] = [];
  let byId = new Map<string, Row>();
  let shown: Row[] = [];
  let limit = SHOW_STEP;
  let plans: Plan[] = [];
  const flashUntil = new Map<string, number>();
  let loaded = false;
  const pending: TaskEvent[] = [];

  const live = el("span", { class: "live connecting" }, t("board.live.connecting"));
  const announce = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const head = el("div", { class: "page-head" }, el("h1", null, t("board.title")), el("div", { class: "live-wrap" }, live));
  const filters = el("form", { class: "filters", role: "search", "aria-label": t("board.filters") });
  const summary = el("div", { class: "summary" });
  const results = el("div", { class: "results" });
  // On a phone the filters fold away behind one line (desktop: always open, the summary line hidden).
  const filterSummary = el("summary");
  const filterBox = el("details", { class: "filter-box" }, filterSummary, filters);
  filterBox.open = typeof matchMedia === "undefined" || !matchMedia("(max-width: 700px)").matches;
  const setFilterSummary = () => {
    const n = (["unit", "leader", "status", "light", "q"] as const).filter((k) => filter[k]).length;
    filterSummary.textContent = n ? t("board.filterActive", { n }) : t("board.filterToggle");
  };
  setFilterSummary();
  view.replaceChildren(head, filterBox, summary, results, announce);
  loading(results, t("board.loading"));

  // ---- filter controls (built once data is there) ----
  const controls: Record<string, HTMLSelectElement | HTMLInputElement> = {};
  const change = (replace = false) => {
    const next: BoardFilter = { ...filter };
    for (const [k, c] of Object.entries(controls)) (next as unknown as Record<string, string>)[k] = c.value.trim();
    setQuery(filterToParams(next), { replace });
  };

  function buildFilters(): void {
    const unitOpts = distinct(rows, (r) => r.units);
    if (filter.unit && !unitOpts.includes(filter.unit)) unitOpts.unshift(filter.unit);
    const leaderOpts = distinct(rows, (r) => r.leaders);
    if (filter.leader && !leaderOpts.includes(filter.leader)) leaderOpts.unshift(filter.leader);
    const any: [string, string] = ["", t("filter.any")];
    controls.plan = select([["", t("board.allPlans")], ...plans.map((p): [string, string] => [p.id, planLabel(p)])], filter.plan, { name: "plan" });
    controls.unit = select([any, ...unitOpts.map((u): [string, string] => [u, u])], filter.unit, { name: "unit" });
    controls.leader = select([any, ...leaderOpts.map((u): [string, string] => [u, u])], filter.leader, { name: "leader" });
    controls.status = select(
      [any, ...Object.values(STATUS_KEYS).map((k): [string, string] => [k, t(`status.${k}`)])],
      filter.status,
      { name: "status" },
    );
    controls.light = select([any, ...LIGHT_NAMES.map((l): [string, string] => [l, lightLabel(l)])], filter.light, { name: "light" });
    controls.sort = select(
      [
        ["", t("board.sort.number")],
        ["light", t("board.sort.light")],
        ["due", t("board.sort.due")],
      ],
      filter.sort,
      { name: "sort" },
    );
    controls.q = el("input", { type: "search", name: "q", value: filter.q, placeholder: t("board.searchHint") });
    for (const [k, c] of Object.entries(controls)) {
      if (k === "q") {
        let timer = 0;
        c.addEventListener("input", () => {
          clearTimeout(timer);
          timer = window.setTimeout(() => change(true), 250);
        });
      } else {
        c.addEventListener("change", () => change());
      }
    }
    const clear = el("button", { type: "button", class: "secondary small", onclick: () => setQuery(filter.plan ? { plan: filter.plan } : {}) }, t("board.clear"));
    filters.replaceChildren(
      field(t("board.plan"), controls.plan),
      field(t("board.unit"), controls.unit),
      field(t("board.leader"), controls.leader),
      field(t("board.status"), controls.status),
      field(t("board.light"), controls.light),
      field(t("board.search"), controls.q),
      field(t("board.sort"), controls.sort),
      el("div", { class: "field actions" }, clear),
    );
    filters.addEventListener("submit", (e) => {
      e.preventDefault();
      change();
    });
  }

  function syncControls(): void {
    for (const [k, c] of Object.entries(controls)) {
      const v = filter[k as keyof BoardFilter];
      if (c instanceof HTMLSelectElement && v && !Array.from(c.options).some((o) => o.value === v)) c.append(el("option", { value: v }, v));
      if (c.value !== v && document.activeElement !== c) c.value = v;
    }
  }

  // ---- rows ----
  const tbody = el("tbody");
  const more = el("div", { class: "more" });
  const table = el(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": t("board.title") },
    el(
      "table",
      { class: "tasks" },
      el(
        "colgroup",
        null,
        el("col", { class: "c-num" }),
        el("col", { class: "c-light" }),
        el("col", { class: "c-task" }),
        el("col", { class: "c-leaders" }),
        el("col", { class: "c-units" }),
        el("col", { class: "c-deadline" }),
        el("col", { class: "c-progress" }),
      ),
      el("caption", { class: "visually-hidden" }, t("board.title")),
      el(
        "thead",
        null,
        el(
          "tr",
          null,
          el("th", { scope: "col", class: "num" }, t("board.col.number")),
          el("th", { scope: "col" }, t("board.col.light")),
          el("th", { scope: "col" }, t("board.col.task")),
          el("th", { scope: "col" }, t("board.col.leaders")),
          el("th", { scope: "col" }, t("board.col.units")),
          el("th", { scope: "col" }, t("board.col.deadline")),
          el("th", { scope: "col" }, t("board.col.progress")),
        ),
      ),
      tbody,
    ),
  );

  // Column names (for the phone's card layout), looked up once, not per row.
  const label = {
    number: t("board.col.number"),
    light: t("board.col.light"),
    task: t("board.col.task"),
    leaders: t("board.col.leaders"),
    units: t("board.col.units"),
    deadline: t("board.col.deadline"),
    progress: t("board.col.progress"),
  };

  function rowElement(r: Row, now: number): HTMLTableRowElement {
    const d = r.task.definition;
    const pct = r.task.percentComplete;
    const tr = el(
      "tr",
      { "data-id": r.id, class: (flashUntil.get(r.id) ?? 0) > now ? "flash" : undefined },
      el("td", { class: "num", "data-label": label.number }, d?.number ?? ""),
      el("td", { "data-label": label.light }, lightBadge(r.light)),
      el("td", { class: "task-text", "data-label": label.task }, el("a", { href: href("task", [r.id]) }, r.text)),
      el("td", { "data-label": label.leaders }, r.leaders.join("、")),
      el("td", { class: "units", "data-label": label.units }, r.units.join("、")),
      el("td", { class: "deadline", "data-label": label.deadline }, d?.deadline?.text || "—"),
      el(
        "td",
        { class: "progress", "data-label": label.progress },
        el("span", { class: "pct", "aria-hidden": "true" }, el("span", { style: `width:${Math.max(0, Math.min(100, pct))}%` })),
        el("span", { class: "pct-text" }, `${pct}%`),
        el("span", { class: `status status-${r.status}` }, statusLabel(r.status)),
      ),
    );
    return tr;
  }

  let fillJob = 0;
  // Appends shown[from, to) to the table in chunks, each after the browser painted the previous one.
  function fill(from: number, to: number): void {
    const job = ++fillJob;
    let i = from;
    const step = () => {
      if (job !== fillJob || signal.aborted) return;
      const end = Math.min(to, i + CHUNK);
      const now = Date.now();
      const frag = document.createDocumentFragment();
      for (const r of shown.slice(i, end)) frag.append(rowElement(r, now));
      tbody.append(frag);
      i = end;
      if (i < to) afterPaint(step);
      else renderMore();
    };
    if (i < to) afterPaint(step);
    else renderMore();
  }

  function afterPaint(fn: () => void): void {
    requestAnimationFrame(() => setTimeout(fn, 0));
  }

  function renderMore(): void {
    const rest = shown.length - limit;
    if (rest <= 0) {
      more.replaceChildren();
      return;
    }
    more.replaceChildren(
      el(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: () => {
            const from = limit;
            limit += SHOW_STEP;
            more.replaceChildren();
            fill(from, Math.min(limit, shown.length));
          },
        },
        t("board.more", { n: Math.min(rest, SHOW_STEP), rest }),
      ),
    );
  }

  function renderSummary(): void {
    const counts = countLights(rows);
    const chips = LIGHT_NAMES.map((l) =>
      el(
        "button",
        {
          type: "button",
          class: `chip${filter.light === l ? " on" : ""}`,
          "aria-pressed": filter.light === l ? "true" : "false",
          onclick: () => setQuery(filterToParams({ ...filter, light: filter.light === l ? "" : l })),
        },
        lightBadge(l),
        el("strong", null, String(counts[l])),
      ),
    );
    summary.replaceChildren(
      el("p", { class: "count" }, t("board.count", { shown: shown.length, total: rows.length })),
      el("div", { class: "chips", role: "group", "aria-label": t("board.byLight") }, ...chips),
    );
  }

  function renderRows(): void {
    shown = filterRows(rows, filter);
    renderSummary();
    if (rows.length === 0) {
      const plan = filter.plan;
      results.replaceChildren(
        empty(
          plan ? t("board.emptyPlan", { plan }) : t("board.empty"),
          t("board.emptyNext"),
          el("a", { href: href("documents"), class: "button-link" }, t("board.toDocuments")),
        ),
      );
      return;
    }
    if (shown.length === 0) {
      results.replaceChildren(
        empty(
          t("board.noMatch"),
          t("board.noMatchNext"),
          el("button", { type: "button", class: "secondary", onclick: () => setQuery(filter.plan ? { plan: filter.plan } : {}) }, t("board.clear")),
        ),
      );
      return;
    }
    const now = Date.now();
    const frag = document.createDocumentFragment();
    const first = Math.min(FIRST_CHUNK, shown.length, limit);
    for (const r of shown.slice(0, first)) frag.append(rowElement(r, now));
    tbody.replaceChildren(frag);
    more.replaceChildren();
    if (results.firstChild !== table) results.replaceChildren(table, more);
    fill(first, Math.min(limit, shown.length));
  }

  function setRows(list: Task[]): void {
    rows = list.map((task, i) => toRow(task, i));
    byId = new Map(rows.map((r) => [r.id, r]));
  }

  // ---- live updates ----
  let renderQueued = false;
  function queueRender(): void {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      if (!signal.aborted) renderRows();
    });
  }

  function apply(ev: TaskEvent): void {
    const task = ev.task;
    if (!task) return;
    const old = byId.get(task.id);
    const row = toRow(task, old ? old.seq : rows.length);
    // rows[r.seq] === r: rows keep their first position, new ones are appended.
    if (old) rows[old.seq] = row;
    else rows.push(row);
    byId.set(row.id, row);
    flashUntil.set(row.id, Date.now() + FLASH_MS);
    setTimeout(() => {
      if ((flashUntil.get(row.id) ?? 0) <= Date.now()) {
        flashUntil.delete(row.id);
        tbody.querySelector(`tr[data-id="${row.id}"]`)?.classList.remove("flash");
      }
    }, FLASH_MS + 50);
    announce.textContent = t("board.changed", {
      id: row.id,
      number: task.definition?.number ?? "",
      action: hasMessage(`board.action.${ev.action}`) ? t(`board.action.${ev.action}`) : ev.action,
    });
    queueRender();
  }

  function setLive(state: "live" | "connecting" | "retry", text: string): void {
    live.className = `live ${state}`;
    live.textContent = text;
  }

  let connects = 0;
  // The resume token: the sequence of the last event received. A new stream asks for what came after
  // it (WatchTasksRequest.afterSequence), so nothing needs reloading; 0n: none yet, or no longer usable.
  let lastSequence = 0n;
  async function watch(): Promise<void> {
    let delay = 1000;
    let first = true;
    while (!signal.aborted) {
      const reconnect = !first;
      first = false;
      const resume = reconnect && lastSequence > 0n;
      setLive("connecting", t("board.live.connecting"));
      try {
        const stream = api.watchTasks(
          { filter: { planId: filter.plan }, afterSequence: resume ? lastSequence : 0n },
          {
            signal,
            timeoutMs: WATCH_TIMEOUT_MS,
            onHeader: () => {
              connects++;
              live.dataset.connects = String(connects);
              setLive("live", t("board.live.on"));
              delay = 1000;
              // Without a resume token, events between the old stream's end and this one's start were
              // missed: reload. With one, the server sends them first.
              if (reconnect && !resume) void reloadQuietly();
            },
          },
        );
        for await (const ev of stream) {
          if (ev.sequence > lastSequence) lastSequence = ev.sequence;
          if (!loaded) pending.push(ev);
          else apply(ev);
        }
        // The server ended the stream without an error: open a new one at once.
        continue;
      } catch (err) {
        // Only our own abort (leaving the page) ends watching; a stream the server or the gateway
        // cancelled (shutdown) is retried like any other failure.
        if (signal.aborted) return;
        if (isUnauthenticated(err)) {
          onUnauthenticated(err);
          return;
        }
        if (err instanceof ConnectError && err.code === Code.DeadlineExceeded) continue;
        if (err instanceof ConnectError && err.code === Code.OutOfRange) {
          // The missed changes are no longer kept (or too many): watch afresh and reload.
          lastSequence = 0n;
          continue;
        }
        setLive("retry", t("board.live.retry", { s: Math.round(delay / 1000), why: errorSentence(err) }));
        await sleep(delay, signal);
        delay = Math.min(delay * 2, BACKOFF_MAX_MS);
      }
    }
  }

  async function reloadQuietly(): Promise<void> {
    try {
      const list = await loadAllTasks(filter.plan, signal);
      setRows(list);
      renderRows();
    } catch (err) {
      if (!signal.aborted && !isCancel(err)) setLive("retry", errorSentence(err));
    }
  }

  // ---- first load ----
  void watch();
  try {
    const [planRes, list] = await Promise.all([api.listPlans({}, { signal }), loadAllTasks(filter.plan, signal)]);
    plans = planRes.plans;
    performance.mark("luoshi:board-data");
    setRows(list);
  } catch (err) {
    if (signal.aborted) return {};
    showError(results, err, () => refresh());
    return {};
  }
  loaded = true;
  buildFilters();
  renderRows();
  for (const ev of pending.splice(0)) apply(ev);
  performance.mark("luoshi:board-rendered");

  return {
    update(next: URLSearchParams): boolean {
      const f = filterFromParams(next);
      if (f.plan !== filter.plan) return false; // another plan: load it (full render)
      const t0 = performance.now();
      filter = f;
      limit = SHOW_STEP;
      setFilterSummary();
      syncControls();
      renderRows();
      // The script part of a filter change (the e2e test also measures until the next frame).
      performance.measure("luoshi:board-filter", { start: t0, end: performance.now() });
      return true;
    },
  };
}
