// Documents (#/documents): upload one or several files (drop zone or picker; the raw bytes are sent,
// the ingestion service detects format and encoding) with progress and a result per file, and the
// list of stored documents (newest first, paged by the service's token). While a delivery is still
// pending the list refreshes itself, so "等待送达" turns into "已送达" without a reload.
import { ingestion } from "../app/api.js";
import { t } from "../app/i18n.js";
import { el, field, loading, showError, errorBox, empty, select } from "../app/ui.js";
import { errorSentence, isCancel } from "../app/errors.js";
import { formatTs } from "../app/format.js";
import { href, setQuery, type PageContext, type PageResult } from "../app/router.js";
import type { Document } from "../gen/luoshi/v1/ingestion_pb.js";
import { deliveryStateName, deliveryTargetName, documentTypeName, periodName } from "../figures/index.js";
import { lang, mayIngest } from "./figures-ui.js";

const PAGE_SIZE = 50;
const ACCEPT = ".txt,.htm,.html,.docx";
const DELIVERY_PENDING = 1;
const DELIVERY_FAILED = 4;

function deliveryBadges(d: Document): HTMLElement {
  const box = el("span", { class: "deliveries" });
  for (const x of d.deliveries) {
    const state = x.state === DELIVERY_FAILED ? "bad" : x.state === DELIVERY_PENDING ? "wait" : "ok";
    const badge = el(
      "span",
      { class: `delivery delivery-${state}` },
      `${deliveryTargetName(x.target, lang())}：${deliveryStateName(x.state, lang())}`,
    );
    if (x.lastError) badge.title = x.lastError;
    else if (x.leftOutReason) badge.title = x.leftOutReason;
    box.append(badge);
  }
  return box;
}

function documentRow(d: Document): HTMLTableRowElement {
  const m = d.metadata;
  const title = m?.title || d.filename || t("docs.untitled");
  return el(
    "tr",
    null,
    el("th", { scope: "row", class: "doc-title" }, el("a", { href: href("document", [d.id]) }, title)),
    el("td", { class: "nowrap", "data-label": t("docs.col.region") }, m?.region || t("docs.unknown")),
    el("td", { class: "nowrap", "data-label": t("docs.col.year") }, m?.period ? periodName(m.period, lang()) : m?.year ? String(m.year) : t("docs.unknown")),
    el("td", { class: "nowrap", "data-label": t("docs.col.kind") }, documentTypeName(m?.type ?? 0, lang())),
    el("td", { class: "num", "data-label": t("docs.col.figures") }, d.observationCount),
    el("td", { class: "num", "data-label": t("docs.col.tasks") }, d.taskCount),
    el("td", { "data-label": t("docs.col.delivery") }, deliveryBadges(d)),
    el("td", { class: "nowrap", "data-label": t("docs.col.ingested") }, formatTs(d.ingestedAt)),
  );
}

function readFile(file: File, onProgress: (fraction: number) => void): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error("read failed"));
    reader.readAsArrayBuffer(file);
  });
}

// The list's filters from the query: ?type=3&region=大兴区&year=2023 (every one optional).
function filtersOf(params: URLSearchParams): { type: number; region: string; year: number } {
  return {
    type: Number(params.get("type") ?? "") || 0,
    region: (params.get("region") ?? "").trim(),
    year: Number(params.get("year") ?? "") || 0,
  };
}

export function render(view: HTMLElement, params: URLSearchParams, _path: string[], ctx: PageContext): PageResult {
  let filters = filtersOf(params);
  const canUpload = mayIngest();
  const listBox = el("div", { class: "doc-list", "aria-live": "polite" });
  const results = el("ul", { class: "upload-results", "aria-live": "polite" });
  const overall = el("progress", { class: "upload-progress", max: 1, value: 0, hidden: true, "aria-label": t("docs.upload") });
  const overallText = el("p", { class: "hint", role: "status" });

  view.replaceChildren(el("h1", null, t("docs.title")));

  if (canUpload) {
    const input = el("input", {
      type: "file",
      multiple: true,
      accept: ACCEPT,
      class: "visually-hidden",
      id: "doc-files",
      tabindex: -1,
      "aria-label": t("docs.pick"),
    });
    const yearInput = el("input", { type: "number", min: 1949, max: 2100, inputmode: "numeric", placeholder: t("docs.optional") });
    const regionInput = el("input", { type: "text", placeholder: t("docs.optional"), autocomplete: "off" });
    const pick = el("button", { type: "button", class: "primary", onclick: () => input.click() }, t("docs.pick"));
    const zone = el(
      "div",
      { class: "drop-zone", id: "drop-zone" },
      el("p", null, t("docs.drop"), " ", pick),
      el("p", { class: "hint" }, t("docs.formats")),
      input,
    );
    zone.addEventListener("dragover", (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      const files = e.dataTransfer?.files;
      if (files && files.length) void upload(Array.from(files));
    });
    input.addEventListener("change", () => {
      if (input.files && input.files.length) void upload(Array.from(input.files));
      input.value = "";
    });
    view.append(
      el(
        "section",
        { class: "card upload", "aria-labelledby": "upload-h" },
        el("h2", { id: "upload-h" }, t("docs.upload")),
        zone,
        el(
          "details",
          { class: "upload-hints" },
          el("summary", null, t("docs.hints")),
          el("div", { class: "hints-row" }, field(t("docs.yearHint"), yearInput), field(t("docs.regionHint"), regionInput)),
        ),
        overall,
        overallText,
        results,
      ),
    );

    async function upload(files: File[]): Promise<void> {
      const year = Number(yearInput.value) || 0;
      const region = regionInput.value.trim();
      let done = 0;
      overall.hidden = false;
      overall.max = files.length;
      overall.value = 0;
      const setOverall = () => {
        overall.value = done;
        overallText.textContent = t("docs.progress", { done, total: files.length });
      };
      setOverall();
      const items = files.map((file) => {
        const bar = el("progress", { max: 1, value: 0, "aria-label": file.name });
        const status = el("span", { class: "upload-status" }, t("docs.reading"));
        const li = el("li", { class: "upload-item" }, el("span", { class: "upload-name" }, file.name), bar, status);
        results.prepend(li);
        return { file, li, bar, status };
      });
      // One file after another: the service extracts each in turn anyway, and results arrive in order.
      for (const item of items) {
        try {
          const bytes = await readFile(item.file, (f) => (item.bar.value = f * 0.5));
          item.bar.value = 0.5;
          item.bar.removeAttribute("value"); // indeterminate while the server extracts
          item.status.textContent = t("docs.sending");
          const res = await ingestion.ingestDocument(
            { content: bytes, filename: item.file.name, contentType: item.file.type, yearHint: year, regionHint: region },
            { signal: ctx.signal },
          );
          item.bar.max = 1;
          item.bar.value = 1;
          const d = res.document;
          const title = d?.metadata?.title || item.file.name;
          item.li.classList.add("ok");
          item.status.replaceChildren(
            el("strong", null, res.created ? t("docs.created") : t("docs.existing")),
            "：",
            t("docs.counts", { figures: d?.observationCount ?? 0, tasks: d?.taskCount ?? 0 }),
            " ",
            d ? el("a", { href: href("document", [d.id]) }, `${t("docs.open")}《${title}》`) : "",
          );
          const warnings = res.extraction?.warnings ?? [];
          if (warnings.length) {
            item.li.append(
              el(
                "details",
                { class: "upload-warnings" },
                el("summary", null, t("docs.warnings", { n: warnings.length })),
                el("ul", null, ...warnings.map((w) => el("li", null, w))),
              ),
            );
          }
        } catch (err) {
          if (isCancel(err)) return;
          item.bar.max = 1;
          item.bar.value = 1;
          item.li.classList.add("bad");
          item.status.replaceChildren(el("strong", null, t("docs.failed")), "：", errorSentence(err));
          item.status.setAttribute("role", "alert");
        }
        done++;
        setOverall();
      }
      void loadList();
    }
  }

  const typeSelect = select(
    [["0", t("filter.any")], ...[1, 2, 3, 4, 5].map((n): [string, string] => [String(n), documentTypeName(n, lang())])],
    String(filters.type),
  );
  const regionFilter = el("input", { type: "text", autocomplete: "off", value: filters.region, placeholder: t("filter.any") });
  const yearFilter = el("input", { type: "number", min: 1949, max: 2100, inputmode: "numeric", value: filters.year ? String(filters.year) : "", placeholder: t("filter.any") });
  const filterForm = el(
    "form",
    { class: "fx-filters doc-filters", role: "search", "aria-label": t("docs.filter") },
    field(t("docs.col.kind"), typeSelect),
    field(t("docs.col.region"), regionFilter),
    field(t("docs.col.year"), yearFilter),
    el("button", { type: "submit", class: "secondary" }, t("docs.filter")),
  );
  filterForm.addEventListener("submit", (e) => {
    e.preventDefault();
    setQuery({ type: typeSelect.value === "0" ? "" : typeSelect.value, region: regionFilter.value.trim(), year: yearFilter.value.trim() });
  });
  view.append(el("section", { "aria-labelledby": "list-h" }, el("h2", { id: "list-h" }, t("docs.list")), filterForm, listBox));

  let pollTimer = 0;
  ctx.onCleanup(() => clearTimeout(pollTimer));

  async function loadList(): Promise<void> {
    clearTimeout(pollTimer);
    const firstTime = !listBox.firstChild;
    if (firstTime) loading(listBox);
    let docs: Document[] = [];
    let token = "";
    try {
      const res = await ingestion.listDocuments({ ...filters, page: { pageSize: PAGE_SIZE } }, { signal: ctx.signal });
      docs = res.documents;
      token = res.nextPageToken;
    } catch (err) {
      if (isCancel(err)) return;
      showError(listBox, err, () => void loadList());
      return;
    }
    if (docs.length === 0) {
      const filtered = filters.type !== 0 || filters.region !== "" || filters.year !== 0;
      listBox.replaceChildren(
        filtered
          ? empty(t("docs.noneFiltered"), t("docs.noneFilteredNext"), el("a", { href: href("documents") }, t("docs.all")))
          : empty(t("docs.none"), canUpload ? t("docs.noneNext") : t("docs.noneViewer")),
      );
      return;
    }
    const tbody = el("tbody");
    for (const d of docs) tbody.append(documentRow(d));
    const table = el(
      "table",
      { class: "doc-table cards-on-phone" },
      el(
        "thead",
        null,
        el(
          "tr",
          null,
          el("th", { scope: "col" }, t("docs.col.title")),
          el("th", { scope: "col" }, t("docs.col.region")),
          el("th", { scope: "col" }, t("docs.col.year")),
          el("th", { scope: "col" }, t("docs.col.kind")),
          el("th", { scope: "col", class: "num" }, t("docs.col.figures")),
          el("th", { scope: "col", class: "num" }, t("docs.col.tasks")),
          el("th", { scope: "col" }, t("docs.col.delivery")),
          el("th", { scope: "col" }, t("docs.col.ingested")),
        ),
      ),
      tbody,
    );
    const more = el("div", { class: "fx-more" });
    const addMore = (next: string) => {
      more.replaceChildren();
      if (!next) return;
      const button = el("button", { type: "button", class: "secondary" }, t("docs.more"));
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const res = await ingestion.listDocuments({ ...filters, page: { pageSize: PAGE_SIZE, pageToken: next } }, { signal: ctx.signal });
          for (const d of res.documents) tbody.append(documentRow(d));
          addMore(res.nextPageToken);
        } catch (err) {
          if (!isCancel(err)) more.replaceChildren(errorBox(err, () => addMore(next)));
        }
      });
      more.append(button);
    };
    addMore(token);
    listBox.replaceChildren(el("div", { class: "table-wrap" }, table), more);
    // Deliveries still under way: look again shortly.
    if (docs.some((d) => d.deliveries.some((x) => x.state === DELIVERY_PENDING)) && !ctx.signal.aborted) {
      pollTimer = window.setTimeout(() => void loadList(), 1500);
    }
  }

  void loadList();
  return {
    update(next: URLSearchParams) {
      filters = filtersOf(next);
      typeSelect.value = String(filters.type);
      regionFilter.value = filters.region;
      yearFilter.value = filters.year ? String(filters.year) : "";
      listBox.replaceChildren();
      void loadList();
    },
  };
}
