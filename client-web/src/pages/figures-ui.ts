// Shared by the document and indicator pages (W2): their strings (added to the one dictionary of
// src/app/i18n.ts through addMessages), the catalog cached for the session, who may upload or
// reprocess, and small builders for figure links and verdict badges.
import "./figures.css";
import { addMessages, getLang } from "../app/i18n.js";
import { indicators } from "../app/api.js";
import { session } from "../app/session.js";
import { href } from "../app/router.js";
import { el, loading, showError } from "../app/ui.js";
import { isCancel } from "../app/errors.js";
import type { Indicator, Region } from "../gen/luoshi/v1/indicators_pb.js";
import { figureIndex, verdictLook, type Lang } from "../figures/index.js";

addMessages({
  // Documents
  "docs.title": { zh: "文件", en: "Documents" },
  "docs.upload": { zh: "上传文件", en: "Upload documents" },
  "docs.drop": { zh: "把文件拖到这里，或", en: "Drop files here, or" },
  "docs.pick": { zh: "选择文件", en: "choose files" },
  "docs.formats": {
    zh: "支持 .txt、.html、.docx，UTF-8 或 GB18030 编码均可，可一次选多个。",
    en: ".txt, .html or .docx, UTF-8 or GB18030; several at once.",
  },
  "docs.yearHint": { zh: "年份（文件未写明时使用）", en: "Year (used when the document does not say)" },
  "docs.regionHint": { zh: "地区（文件未写明时使用）", en: "Region (used when the document does not say)" },
  "docs.optional": { zh: "可不填", en: "optional" },
  "docs.hints": { zh: "补充年份、地区（文件未写明时使用，可不填）", en: "Year and region (when the document does not say; optional)" },
  "docs.warnings": { zh: "{n} 条抽取提示", en: "{n} extraction notes" },
  "docs.progress": { zh: "已完成 {done}/{total} 个文件", en: "{done} of {total} files done" },
  "docs.reading": { zh: "读取中", en: "reading" },
  "docs.sending": { zh: "上传并抽取中", en: "uploading and extracting" },
  "docs.created": { zh: "已入库", en: "stored" },
  "docs.existing": { zh: "此前已上传过相同内容", en: "already stored (same content)" },
  "docs.counts": { zh: "{figures} 个指标数据，{tasks} 项任务", en: "{figures} figures, {tasks} tasks" },
  "docs.open": { zh: "查看", en: "Open" },
  "docs.failed": { zh: "上传失败", en: "failed" },
  "docs.list": { zh: "已上传的文件", en: "Stored documents" },
  "docs.col.title": { zh: "标题", en: "Title" },
  "docs.col.region": { zh: "地区", en: "Region" },
  "docs.col.year": { zh: "年份", en: "Year" },
  "docs.col.kind": { zh: "类型", en: "Kind" },
  "docs.col.figures": { zh: "指标数据", en: "Figures" },
  "docs.col.tasks": { zh: "任务", en: "Tasks" },
  "docs.col.delivery": { zh: "送达", en: "Delivery" },
  "docs.col.ingested": { zh: "上传时间", en: "Uploaded" },
  "docs.filter": { zh: "筛选", en: "Filter" },
  "docs.noneFiltered": { zh: "没有符合筛选条件的文件。", en: "No document matches the filter." },
  "docs.noneFilteredNext": { zh: "地区须与文件中写的一致（如“大兴区”）。可以放宽条件再试。", en: "The region must be as the document writes it (大兴区). Try a wider filter." },
  "docs.all": { zh: "显示全部文件", en: "Show all documents" },
  "docs.more": { zh: "加载更多", en: "Load more" },
  "docs.none": { zh: "还没有上传任何文件。", en: "No documents yet." },
  "docs.noneNext": {
    zh: "上传一份计划执行情况报告、工作报告或重点工作分工方案，系统会抽取其中的指标和任务。",
    en: "Upload a plan execution report, a work report or a division plan: its figures and tasks are extracted.",
  },
  "docs.noneViewer": { zh: "请等督查室或责任单位上传文件。", en: "Wait for an office to upload one." },
  "docs.untitled": { zh: "（无标题）", en: "(untitled)" },
  "docs.unknown": { zh: "—", en: "—" },
  // One document
  "doc.meta": { zh: "文件信息", en: "About the document" },
  "doc.issuer": { zh: "发文单位", en: "Issuer" },
  "doc.number": { zh: "文号", en: "Number" },
  "doc.written": { zh: "成文日期", en: "Written" },
  "doc.published": { zh: "发布日期", en: "Published" },
  "doc.period": { zh: "期间", en: "Period" },
  "doc.encoding": { zh: "编码", en: "Encoding" },
  "doc.file": { zh: "文件名", en: "File" },
  "doc.extractor": { zh: "抽取程序", en: "Extractor" },
  "doc.deliveries": { zh: "送达情况", en: "Deliveries" },
  "doc.leftOut": { zh: "{n} 个数据未送达：{why}", en: "{n} figures left out: {why}" },
  "doc.warnings": { zh: "抽取提示", en: "Extraction notes" },
  "doc.text": { zh: "正文", en: "Text" },
  "doc.legend": {
    zh: "黄色为抽取到的指标数据（点击查看解读，其所在句子以浅蓝色标出），蓝色下划线为任务。",
    en: "Yellow: extracted figures (click one to read it; its sentence turns light blue). Blue underline: tasks.",
  },
  "doc.legendFigure": { zh: "指标数据", en: "Figure" },
  "doc.legendTask": { zh: "任务", en: "Task" },
  "doc.reading": { zh: "数据解读", en: "Reading of the figure" },
  "doc.pickFigure": {
    zh: "点击正文中高亮的数字，这里会显示它被读成了什么，以及它进入了哪条指标序列。",
    en: "Click a highlighted figure in the text to see how it was read and the series it went into.",
  },
  "doc.indicator": { zh: "指标", en: "Indicator" },
  "doc.asWritten": { zh: "原文", en: "As written" },
  "doc.value": { zh: "数值", en: "Value" },
  "doc.unit": { zh: "单位", en: "Unit" },
  "doc.measure": { zh: "口径", en: "Measure" },
  "doc.bound": { zh: "界限", en: "Bound" },
  "doc.status": { zh: "性质", en: "Status" },
  "doc.base": { zh: "比较基准", en: "Compared with" },
  "doc.yoy": { zh: "同比", en: "year on year" },
  "doc.region": { zh: "地区", en: "Region" },
  "doc.section": { zh: "所在章节", en: "Section" },
  "doc.cell": { zh: "表格位置", en: "Table cell" },
  "doc.cellAt": { zh: "表{table}第{row}行第{column}列", en: "table {table}, row {row}, column {column}" },
  "doc.series": { zh: "查看这条指标序列", en: "Open its series" },
  "doc.notDelivered": {
    zh: "这个数据没有期间或地区，未进入指标库；可用“重新处理”补充年份。",
    en: "This figure has no period or region and was not stored; reprocess with a year.",
  },
  "doc.outside": { zh: "（指标目录外）", en: "(outside the catalog)" },
  "doc.task": { zh: "任务 {number}", en: "Task {number}" },
  "doc.taskLeaders": { zh: "牵头领导", en: "Lead leaders" },
  "doc.taskUnits": { zh: "责任单位", en: "Responsible units" },
  "doc.taskCoop": { zh: "配合单位", en: "Co-operating units" },
  "doc.taskDeadline": { zh: "完成时限", en: "Deadline" },
  "doc.taskBoard": { zh: "在任务看板中查看", en: "Find it on the task board" },
  "doc.figuresCount": { zh: "{n} 个指标数据", en: "{n} figures" },
  "doc.tasksCount": { zh: "{n} 项任务", en: "{n} tasks" },
  "doc.reprocess": { zh: "重新处理", en: "Reprocess" },
  "doc.reprocessIntro": {
    zh: "用当前抽取程序重新处理这份文件；填写年份或地区可补上文件中没有写明的信息。",
    en: "Run the current extractor again; a year or region fills in what the document does not say.",
  },
  "doc.reprocessYear": { zh: "年份", en: "Year" },
  "doc.reprocessRegion": { zh: "地区", en: "Region" },
  "doc.reprocessDone": { zh: "已重新处理：{figures} 个指标数据，{tasks} 项任务。", en: "Reprocessed: {figures} figures, {tasks} tasks." },
  "doc.reprocessing": { zh: "正在重新处理…", en: "Reprocessing…" },
  "doc.back": { zh: "← 全部文件", en: "← All documents" },
  "doc.noText": { zh: "这份文件没有可显示的正文。", en: "This document has no text to show." },
  // Indicators
  "ind.title": { zh: "指标序列", en: "Indicator series" },
  "ind.indicator": { zh: "指标（名称或别名）", en: "Indicator (name or alias)" },
  "ind.region": { zh: "地区（名称或别名）", en: "Region (name or alias)" },
  "ind.show": { zh: "查看", en: "Show" },
  "ind.which": { zh: "有多个指标包含“{text}”，请选择：", en: "Several indicators contain “{text}”; choose one:" },
  "ind.measure": { zh: "口径", en: "Measure" },
  "ind.choose": { zh: "请选择一个指标和一个地区。", en: "Choose an indicator and a region." },
  "ind.chooseNext": {
    zh: "例如：地区生产总值 + 大兴区。也可以在文件页点击一个数字，直接跳到它所在的序列。",
    en: "For example GDP + 大兴区, or click a figure on a document's page to come straight here.",
  },
  "ind.noData": { zh: "{region}还没有“{indicator}”的数据。", en: "No figures of {indicator} for {region} yet." },
  "ind.noDataNext": { zh: "到文件页上传包含这个指标的报告。", en: "Upload a report that gives it on the Documents page." },
  "ind.actual": { zh: "实际", en: "Actual" },
  "ind.target": { zh: "目标", en: "Target" },
  "ind.targetUpper": { zh: "目标上限", en: "Target (upper)" },
  "ind.chartLabel": { zh: "{indicator}（{region}）{measure}走势图，单位：{unit}", en: "{indicator} in {region}, {measure}, in {unit}" },
  "ind.notDrawn": { zh: "另有 {n} 个数据口径或单位不同，只列在下表中。", en: "{n} more figures use another base or unit: listed below only." },
  "ind.table": { zh: "全部数据", en: "All figures" },
  "ind.export": { zh: "导出 CSV（Excel 可直接打开）", en: "Export CSV (opens in Excel)" },
  "ind.col.period": { zh: "期间", en: "Period" },
  "ind.col.status": { zh: "性质", en: "Status" },
  "ind.col.measure": { zh: "口径", en: "Measure" },
  "ind.col.value": { zh: "数值（点击查看原文）", en: "Figure (opens its sentence)" },
  "ind.col.base": { zh: "比较基准", en: "Compared with" },
  "ind.col.source": { zh: "出处", en: "Source" },
  "ind.category": { zh: "类别", en: "Category" },
  "ind.nature": { zh: "属性", en: "Nature" },
  "ind.nature.1": { zh: "预期性", en: "expected" },
  "ind.nature.2": { zh: "约束性", en: "binding" },
  "ind.direction": { zh: "方向", en: "Good direction" },
  "ind.direction.1": { zh: "越高越好", en: "up" },
  "ind.direction.2": { zh: "越低越好", en: "down" },
  "ind.direction.3": { zh: "适中", en: "neutral" },
  "ind.defaultUnit": { zh: "默认单位", en: "Default unit" },
  "ind.targets": { zh: "查看{region}{year}年目标完成情况", en: "Targets of {region} for {year}" },
  // Targets
  "tgt.title": { zh: "目标完成情况", en: "Targets against actuals" },
  "tgt.region": { zh: "地区", en: "Region" },
  "tgt.year": { zh: "年份", en: "Year" },
  "tgt.show": { zh: "查看", en: "Show" },
  "tgt.choose": { zh: "请选择地区和年份。", en: "Choose a region and a year." },
  "tgt.chooseNext": { zh: "例如：大兴区 2023 年。", en: "For example 大兴区, 2023." },
  "tgt.none": { zh: "{region}{year}年还没有目标数据。", en: "No targets of {region} for {year} yet." },
  "tgt.noneNext": {
    zh: "上传写有该年度目标的文件（如上一年的计划执行情况报告或当年的重点工作分工方案）。",
    en: "Upload a document that sets that year's targets (the previous year's plan report or the year's division plan).",
  },
  "tgt.summary": { zh: "共 {n} 项目标", en: "{n} targets" },
  "tgt.col.indicator": { zh: "指标", en: "Indicator" },
  "tgt.col.period": { zh: "期间", en: "Period" },
  "tgt.col.target": { zh: "目标", en: "Target" },
  "tgt.col.actual": { zh: "实际", en: "Actual" },
  "tgt.col.verdict": { zh: "判定", en: "Verdict" },
  "tgt.col.margin": { zh: "差距（实际−目标）", en: "Margin (actual − target)" },
  "tgt.col.sources": { zh: "出处", en: "Sources" },
  "tgt.noActual": { zh: "尚无实际值", en: "no actual yet" },
  "tgt.targetSource": { zh: "目标原文", en: "target's sentence" },
  "tgt.actualSource": { zh: "实际原文", en: "actual's sentence" },
  "tgt.series": { zh: "序列", en: "series" },
});

export function lang(): Lang {
  return getLang();
}

export function role(): string {
  return session()?.claims.role ?? "";
}

// Ingest and reprocess: docs/authorization.md (admin, supervisor, office); viewers only read.
export function mayIngest(r: string = role()): boolean {
  return r === "admin" || r === "supervisor" || r === "office";
}

// The catalog, fetched once per page load (it changes only with a service restart).
let catalogPromise: Promise<{ indicators: Indicator[]; regions: Region[] }> | null = null;

export function catalog(signal?: AbortSignal): Promise<{ indicators: Indicator[]; regions: Region[] }> {
  if (!catalogPromise) {
    catalogPromise = Promise.all([indicators.listIndicators({}, { signal }), indicators.listRegions({}, { signal })]).then(
      ([i, r]) => ({ indicators: i.indicators, regions: r.regions }),
    );
    catalogPromise.catch(() => {
      catalogPromise = null;
    });
  }
  return catalogPromise;
}

// The catalog for a page that cannot work without it: a loading state in `into` while it comes, the
// error with `retry` there if it fails. Null when it failed or the page was left meanwhile.
export async function catalogOrError(
  into: HTMLElement,
  signal: AbortSignal,
  retry: () => void,
): Promise<{ indicators: Indicator[]; regions: Region[] } | null> {
  loading(into);
  try {
    const loaded = await catalog(signal);
    return signal.aborted ? null : loaded;
  } catch (err) {
    if (!isCancel(err)) showError(into, err, retry);
    return null;
  }
}

// The catalog indicator an id, name or alias names (exact), else undefined.
export function findIndicator(list: Indicator[], text: string): Indicator | undefined {
  const q = text.trim();
  if (!q) return undefined;
  const lower = q.toLowerCase();
  return (
    list.find((i) => i.id === q || i.name === q) ??
    list.find((i) => i.aliases.includes(q)) ??
    list.find((i) => i.id.toLowerCase() === lower || i.aliases.some((a) => a.toLowerCase() === lower))
  );
}

// Catalog indicators whose id, name or an alias contains `text` (ASCII case ignored), as
// ListIndicators' query matches; the catalog is already here, so no call is needed.
export function searchIndicators(list: Indicator[], text: string): Indicator[] {
  const q = text.trim().toLowerCase();
  if (!q) return [];
  return list.filter((i) => [i.id, i.name, ...i.aliases].some((x) => x.toLowerCase().includes(q)));
}

export function findRegion(list: Region[], text: string): Region | undefined {
  const q = text.trim();
  if (!q) return undefined;
  return list.find((r) => r.id === q || r.name === q) ?? list.find((r) => r.aliases.includes(q));
}

// A region as people name it: the catalog name for an id ("beijing.daxing" → 大兴区).
export function regionName(list: Region[], idOrName: string): string {
  return findRegion(list, idOrName)?.name ?? idOrName;
}

export function indicatorName(list: Indicator[], id: string, surface = ""): string {
  if (id) return list.find((i) => i.id === id)?.name ?? id;
  return surface;
}

// A link to a figure on its document's page (the figure selected, its sentence in view).
export function figureHref(documentId: string, sourceKey: string): string {
  const i = figureIndex(sourceKey);
  return href("document", [documentId], i === null ? {} : { figure: String(i) });
}

// A verdict as a badge: colour, symbol and words (never colour alone).
export function verdictBadge(verdict: number): HTMLElement {
  const look = verdictLook(verdict, lang());
  return el(
    "span",
    { class: `verdict ${look.className}` },
    el("span", { class: "verdict-symbol", "aria-hidden": "true" }, look.symbol),
    look.text,
  );
}

// <input list=…> with a <datalist> of suggestions (name, aliases): typing searches by name or alias.
export function suggestInput(
  id: string,
  value: string,
  options: Array<{ value: string; label: string }>,
): { input: HTMLInputElement; list: HTMLDataListElement } {
  const list = el("datalist", { id: `${id}-list` });
  for (const o of options) list.append(el("option", { value: o.value }, o.label));
  const input = el("input", { id, type: "text", list: `${id}-list`, value, autocomplete: "off" });
  return { input, list };
}

export function regionOptions(regions: Region[]): Array<{ value: string; label: string }> {
  return regions.map((r) => ({ value: r.name, label: [r.name, ...r.aliases].join(" / ") }));
}

export function indicatorOptions(list: Indicator[]): Array<{ value: string; label: string }> {
  return list.map((i) => ({ value: i.name, label: [i.id, ...i.aliases].join(" / ") }));
}
