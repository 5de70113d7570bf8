// One task (#/task/T56): its text, leaders, units, deadline, light and progress; the progress reports,
// reviews and journal; the progress-report form for its responsible office (and admins); review
// actions 办结 / 退回 for the supervising office while a completion claim waits. Controls a role may
// not use are not shown; if the server refuses anyway its message is shown where the action was.
import "../app/messages-tasks.js";
import type { JournalEntry, ProgressReport, Review, TaskDetail, Unit } from "../gen/luoshi/v1/tasks_pb.js";
import { TaskStatus } from "../gen/luoshi/v1/tasks_pb.js";
import { tasks as api } from "../app/api.js";
import { t, hasMessage } from "../app/i18n.js";
import { el, errorBox, field, loading, showError, toast, uid } from "../app/ui.js";
import { href, refresh, type PageContext } from "../app/router.js";
import { lightBadge, lightName, statusLabel } from "../app/lights.js";
import { formatTs, monthOf } from "../app/format.js";
import { session } from "../app/session.js";
import { taskControls } from "../app/taskaccess.js";
import { isCancel } from "../app/errors.js";

let unitsCache: Unit[] | null = null;

async function units(signal: AbortSignal): Promise<Unit[]> {
  if (!unitsCache) unitsCache = (await api.listUnits({}, { signal })).units;
  return unitsCache;
}

function dl(items: Array<[string, Node | string | null | undefined]>): HTMLElement {
  const list = el("dl", { class: "facts" });
  for (const [k, v] of items) {
    if (v === null || v === undefined || v === "") continue;
    list.append(el("div", null, el("dt", null, k), el("dd", null, v)));
  }
  return list;
}

function reportItem(r: ProgressReport): HTMLElement {
  const progress =
    r.progress.case === "percent"
      ? `${r.progress.value}%`
      : r.progress.case === "stage"
        ? r.progress.value
        : "";
  return el(
    "li",
    { class: "report" },
    el(
      "div",
      { class: "report-head" },
      el("strong", null, `${r.period}`),
      el("span", null, [r.unit, r.reporter].filter(Boolean).join(" · ")),
      progress ? el("span", { class: "badge" }, progress) : null,
      r.claimsCompletion ? el("span", { class: "badge claim" }, t("task.claim")) : null,
      el("time", { class: "muted" }, formatTs(r.reportedAt)),
    ),
    r.narrative ? el("p", null, r.narrative) : null,
    r.problems ? el("p", null, el("span", { class: "label" }, `${t("task.problems")}：`), r.problems) : null,
    r.nextSteps ? el("p", null, el("span", { class: "label" }, `${t("task.nextSteps")}：`), r.nextSteps) : null,
    r.evidenceLinks.length
      ? el(
          "p",
          null,
          el("span", { class: "label" }, `${t("task.evidence")}：`),
          ...r.evidenceLinks.flatMap((l, i) => [
            i ? "、" : "",
            /^https?:\/\//.test(l) ? el("a", { href: l, rel: "noopener noreferrer", target: "_blank" }, l) : l,
          ]),
        )
      : null,
  );
}

function reviewItem(v: Review): HTMLElement {
  return el(
    "li",
    { class: `review ${v.accepted ? "accepted" : "returned"}` },
    el(
      "div",
      { class: "report-head" },
      el("strong", null, v.accepted ? t("task.accepted") : t("task.returned")),
      el("span", null, v.reviewer),
      el("time", { class: "muted" }, formatTs(v.reviewedAt)),
    ),
    v.comment ? el("p", null, v.comment) : null,
  );
}

// The journal's action and field names in words (the raw name when there are none).
function words(prefix: string, name: string): string {
  const key = `${prefix}.${name}`;
  return hasMessage(key) ? t(key) : name;
}

function value(fieldName: string, v: string): string {
  if (fieldName === "status" && hasMessage(`status.${v}`)) return t(`status.${v}`);
  if (fieldName === "percent" && /^\d+$/.test(v)) return `${v}%`;
  return v;
}

function journalTable(entries: JournalEntry[]): HTMLElement {
  const body = el("tbody");
  for (const j of entries) {
    body.append(
      el(
        "tr",
        null,
        el("td", { class: "nowrap" }, formatTs(j.at)),
        el("td", null, j.actor),
        el("td", null, words("task.ja", j.action)),
        el("td", null, words("task.jf", j.field)),
        el(
          "td",
          { class: "change" },
          j.oldValue ? el("del", null, value(j.field, j.oldValue)) : null,
          j.oldValue ? " → " : null,
          el("span", null, value(j.field, j.newValue)),
        ),
      ),
    );
  }
  return el(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": t("task.journal") },
    el(
      "table",
      { class: "journal" },
      el("caption", { class: "visually-hidden" }, t("task.journal")),
      el(
        "thead",
        null,
        el(
          "tr",
          null,
          el("th", { scope: "col" }, t("task.j.at")),
          el("th", { scope: "col" }, t("task.j.actor")),
          el("th", { scope: "col" }, t("task.j.action")),
          el("th", { scope: "col" }, t("task.j.field")),
          el("th", { scope: "col" }, t("task.j.change")),
        ),
      ),
      body,
    ),
  );
}

function reportForm(taskId: string, signal: AbortSignal, done: () => void): HTMLElement {
  const period = el("input", { type: "month", name: "period", value: monthOf(Date.now()), max: monthOf(Date.now()) });
  const kindName = uid("kind");
  const kindPercent = el("input", { type: "radio", name: kindName, value: "percent", checked: true });
  const kindStage = el("input", { type: "radio", name: kindName, value: "stage" });
  const percent = el("input", { type: "number", name: "percent", min: 0, max: 100, step: 1, inputmode: "numeric" });
  const stage = el("input", { type: "text", name: "stage", placeholder: t("task.stageHint") });
  const percentField = field(t("task.percent"), percent);
  const stageField = field(t("task.stage"), stage);
  stageField.hidden = true;
  const toggle = () => {
    percentField.hidden = !kindPercent.checked;
    stageField.hidden = !kindStage.checked;
  };
  kindPercent.addEventListener("change", toggle);
  kindStage.addEventListener("change", toggle);
  const narrative = el("textarea", { name: "narrative", rows: 3 });
  const problems = el("textarea", { name: "problems", rows: 2 });
  const nextSteps = el("textarea", { name: "nextSteps", rows: 2 });
  const evidence = el("textarea", { name: "evidence", rows: 2 });
  const claim = el("input", { type: "checkbox", name: "claim", id: uid("claim") });
  const message = el("div", { class: "form-message", "aria-live": "polite" });
  const submit = el("button", { type: "submit", class: "primary" }, t("task.submitReport"));
  const form = el(
    "form",
    { class: "card report-form", "aria-labelledby": "report-title" },
    el("h2", { id: "report-title" }, t("task.reportTitle")),
    el(
      "div",
      { class: "form-grid" },
      field(t("task.period"), period, t("task.periodHint")),
      el(
        "fieldset",
        { class: "kind" },
        el("legend", null, t("task.progressKind")),
        el("label", { class: "check" }, kindPercent, t("task.byPercent")),
        el("label", { class: "check" }, kindStage, t("task.byStage")),
      ),
      percentField,
      stageField,
    ),
    field(t("task.narrative"), narrative),
    el("div", { class: "form-grid two" }, field(t("task.problems"), problems), field(t("task.nextSteps"), nextSteps)),
    field(t("task.evidence"), evidence, t("task.evidenceHint")),
    el("label", { class: "check", for: claim.id }, claim, t("task.claimLabel")),
    message,
    el("div", { class: "form-actions" }, submit),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    message.replaceChildren();
    const req: Parameters<typeof api.reportProgress>[0] = {
      taskId,
      period: period.value,
      narrative: narrative.value.trim(),
      problems: problems.value.trim(),
      nextSteps: nextSteps.value.trim(),
      evidenceLinks: evidence.value
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean),
      claimsCompletion: claim.checked,
    };
    if (kindPercent.checked && percent.value !== "") {
      req.progress = { case: "percent", value: Number(percent.value) };
    } else if (kindStage.checked && stage.value.trim()) {
      req.progress = { case: "stage", value: stage.value.trim() };
    }
    submit.disabled = true;
    const busy = el("p", { class: "state loading", role: "status" }, t("task.sending"));
    message.replaceChildren(busy);
    try {
      await api.reportProgress(req, { signal });
      toast(t("task.reported"));
      done();
    } catch (err) {
      if (isCancel(err) && signal.aborted) return;
      message.replaceChildren(errorBox(err));
      submit.disabled = false;
    }
  });
  return form;
}

function reviewPanel(taskId: string, signal: AbortSignal, done: () => void): HTMLElement {
  const comment = el("textarea", { name: "comment", rows: 2 });
  const message = el("div", { class: "form-message", "aria-live": "polite" });
  const accept = el("button", { type: "button", class: "primary" }, t("task.accept"));
  const ret = el("button", { type: "button", class: "danger" }, t("task.return"));
  const send = async (acceptIt: boolean) => {
    message.replaceChildren();
    if (!acceptIt && !comment.value.trim()) {
      message.replaceChildren(el("p", { class: "state error", role: "alert" }, t("task.returnNeedsReason")));
      comment.focus();
      return;
    }
    accept.disabled = ret.disabled = true;
    message.replaceChildren(el("p", { class: "state loading", role: "status" }, t("task.sending")));
    try {
      await api.reviewTask({ taskId, accept: acceptIt, comment: comment.value.trim() }, { signal });
      toast(acceptIt ? t("task.acceptedToast") : t("task.returnedToast"));
      done();
    } catch (err) {
      if (isCancel(err) && signal.aborted) return;
      message.replaceChildren(errorBox(err));
      accept.disabled = ret.disabled = false;
    }
  };
  accept.addEventListener("click", () => void send(true));
  ret.addEventListener("click", () => void send(false));
  return el(
    "section",
    { class: "card review-panel", "aria-labelledby": "review-title" },
    el("h2", { id: "review-title" }, t("task.reviewTitle")),
    el("p", { class: "hint" }, t("task.reviewIntro")),
    field(t("task.comment"), comment, t("task.commentHint")),
    message,
    el("div", { class: "form-actions" }, accept, ret),
  );
}

export async function render(view: HTMLElement, _params: URLSearchParams, path: string[], ctx: PageContext): Promise<void> {
  const id = path[0] ?? "";
  const { signal } = ctx;
  const back = el("p", { class: "back" }, el("a", { href: href("board") }, `← ${t("task.back")}`));
  const body = el("div");
  view.replaceChildren(back, body);
  loading(body, t("task.loading"));
  let detail: TaskDetail;
  let unitList: Unit[];
  try {
    [detail, unitList] = await Promise.all([api.getTask({ id }, { signal }), units(signal).catch(() => [] as Unit[])]);
  } catch (err) {
    if (signal.aborted) return;
    showError(body, err, () => refresh());
    return;
  }
  const task = detail.task;
  if (!task) {
    showError(body, new Error("empty answer"));
    return;
  }
  const def = task.definition;
  if (def?.number) back.firstElementChild?.setAttribute("href", href("board", [], { plan: task.planId }));
  const who = session()?.claims ?? { role: "", unit: "", user: "" };
  const controls = taskControls(who, def, task.status, unitList, detail.reports[0]?.reporter ?? "");
  const light = lightName(task.light, task.status);
  const reload = () => refresh();

  const units2 = def?.responsibleUnits ?? [];
  const unitsNode = el(
    "span",
    null,
    ...units2.flatMap((u, i) => [i ? "、" : "", i === 0 && units2.length > 1 ? el("strong", { title: t("task.leadUnit") }, u) : u]),
  );
  const milestones = def?.milestones ?? [];
  const head = el(
    "section",
    { class: "card task-head" },
    el(
      "div",
      { class: "task-title" },
      el("h1", null, t("task.title", { number: def?.number ?? "", id: task.id })),
      el(
        "div",
        { class: "task-state" },
        lightBadge(light),
        // A done task's light already says 已办结.
        light === "done" ? null : el("span", { class: `status status-${task.status}` }, statusLabel(task.status)),
      ),
    ),
    def?.sectionPath.length ? el("p", { class: "muted section" }, def.sectionPath.join(" › ")) : null,
    el("p", { class: "task-text-full" }, def?.text ?? ""),
    dl([
      [t("task.plan"), task.planId],
      [t("board.col.leaders"), (def?.leadLeaders ?? []).join("、")],
      [t("board.col.units"), unitsNode],
      [t("task.cooperating"), (def?.cooperatingUnits ?? []).join("、")],
      [
        t("board.col.deadline"),
        def?.deadline?.text
          ? `${def.deadline.text}${def.deadline.date && def.deadline.date !== def.deadline.text ? `（${def.deadline.date}）` : ""}`
          : t("task.noDeadline"),
      ],
      [
        t("board.col.progress"),
        el(
          "span",
          null,
          el("span", { class: "pct", "aria-hidden": "true" }, el("span", { style: `width:${task.percentComplete}%` })),
          `${task.percentComplete}%`,
        ),
      ],
      [t("task.lastReport"), formatTs(task.lastReportAt) || t("task.never")],
      [t("task.indicatorActual"), task.indicatorActual],
      [t("task.milestones"), milestones.length ? milestones.map((m) => m.text).join("、") : ""],
      [t("task.updated"), formatTs(task.updatedAt)],
    ]),
  );

  const actions = el("div", { class: "task-actions" });
  if (controls.review) actions.append(reviewPanel(task.id, signal, reload));
  if (controls.report) actions.append(reportForm(task.id, signal, reload));
  if (controls.noReportKey) actions.append(el("p", { class: "state notice" }, t(controls.noReportKey, { unit: who.unit })));
  if (controls.noReviewKey) actions.append(el("p", { class: "state notice" }, t(controls.noReviewKey)));
  else if (task.status === TaskStatus.COMPLETION_CLAIMED && !controls.review) {
    actions.append(el("p", { class: "state notice" }, t("task.waitingReview")));
  }

  const reports = el(
    "section",
    { "aria-labelledby": "reports-title" },
    el("h2", { id: "reports-title" }, t("task.reports", { n: detail.reports.length })),
    detail.reports.length
      ? el("ol", { class: "reports" }, ...detail.reports.map(reportItem))
      : el("p", { class: "state empty" }, controls.report ? t("task.noReportsYou") : t("task.noReports")),
  );
  const reviews = detail.reviews.length
    ? el(
        "section",
        { "aria-labelledby": "reviews-title" },
        el("h2", { id: "reviews-title" }, t("task.reviews")),
        el("ol", { class: "reports" }, ...detail.reviews.map(reviewItem)),
      )
    : null;
  const journal = el(
    "section",
    { "aria-labelledby": "journal-title" },
    el("h2", { id: "journal-title" }, t("task.journal")),
    detail.journal.length ? journalTable(detail.journal) : el("p", { class: "state empty" }, t("task.noJournal")),
  );
  body.replaceChildren(el("div", { class: "task-layout" }, el("div", { class: "task-main" }, head, actions, reports, reviews ?? ""), el("div", { class: "task-side" }, journal)));
}
