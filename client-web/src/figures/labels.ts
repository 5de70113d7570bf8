// Words for a figure's parts in the client's two languages (zh-CN first). Pure: the pages pass the
// language the user chose.
import { measureLabel, statusLabel, verdictLabel } from "./format.js";

export type Lang = "zh" | "en";

// Each table is indexed by the enum number of proto/luoshi/v1/common.proto (indicators.proto for
// verdicts, ingestion.proto for document types and delivery states); unit tests pin every entry.
const MEASURE_ZH = ["未注明", "总量", "增速", "百分点变化", "占比", "完成进度", "倍数", "定性", "增减量"];
const STATUS_ZH = ["未注明", "实际", "目标", "预计"];
const BOUND_ZH = ["确数", "确数", "不低于（≥）", "超过（>）", "不超过（≤）", "低于（<）", "左右（≈）", "区间（–）"];
const BOUND_EN = ["exact", "exact", "at least (≥)", "more than (>)", "at most (≤)", "less than (<)", "about (≈)", "range (–)"];
const VERDICT_ZH = ["未知", "已达成", "未达成", "待判定", "无法衡量"];
const DOC_TYPE_ZH = ["未识别", "计划执行情况报告", "工作报告", "重点工作分工方案", "统计公报", "其他"];
const DOC_TYPE_EN = ["unknown", "plan execution report", "work report", "division plan", "statistical bulletin", "other"];
const DELIVERY_ZH = ["未知", "等待送达", "已送达", "无需送达", "送达失败"];
const DELIVERY_EN = ["unknown", "pending", "delivered", "not needed", "failed"];

export function measureName(measure: number, lang: Lang): string {
  return lang === "zh" ? (MEASURE_ZH[measure] ?? MEASURE_ZH[0]) : measureLabel(measure);
}

export function statusName(status: number, lang: Lang): string {
  return lang === "zh" ? (STATUS_ZH[status] ?? STATUS_ZH[0]) : statusLabel(status);
}

export function boundName(bound: number, lang: Lang): string {
  return (lang === "zh" ? BOUND_ZH : BOUND_EN)[bound] ?? "";
}

export function verdictName(verdict: number, lang: Lang): string {
  return lang === "zh" ? (VERDICT_ZH[verdict] ?? VERDICT_ZH[0]) : verdictLabel(verdict);
}

export function documentTypeName(type: number, lang: Lang): string {
  const list = lang === "zh" ? DOC_TYPE_ZH : DOC_TYPE_EN;
  return list[type] ?? list[0];
}

export function deliveryStateName(state: number, lang: Lang): string {
  const list = lang === "zh" ? DELIVERY_ZH : DELIVERY_EN;
  return list[state] ?? list[0];
}

export function deliveryTargetName(target: string, lang: Lang): string {
  if (lang === "en") return target;
  if (target === "indicators") return "指标";
  if (target === "tasks") return "任务";
  return target;
}

const QUARTERS = ["一", "二", "三", "四"];

export interface PeriodParts {
  year: number;
  firstMonth: number; // 1..12
  lastMonth: number; // 1..12
}

// Parses the period grammar of proto/luoshi/v1/common.proto: "2024", "2024H1", "2024Q3", "2024-07",
// "2024M07", "2024M01-M09"; null for anything else.
export function parsePeriod(code: string): PeriodParts | null {
  let m = /^(\d{4})$/.exec(code);
  if (m) return { year: +m[1], firstMonth: 1, lastMonth: 12 };
  m = /^(\d{4})H([12])$/.exec(code);
  if (m) return { year: +m[1], firstMonth: m[2] === "1" ? 1 : 7, lastMonth: m[2] === "1" ? 6 : 12 };
  m = /^(\d{4})Q([1-4])$/.exec(code);
  if (m) return { year: +m[1], firstMonth: (+m[2] - 1) * 3 + 1, lastMonth: +m[2] * 3 };
  m = /^(\d{4})(?:-|M)(\d{1,2})$/.exec(code);
  if (m && +m[2] >= 1 && +m[2] <= 12) return { year: +m[1], firstMonth: +m[2], lastMonth: +m[2] };
  m = /^(\d{4})M(\d{2})-M(\d{2})$/.exec(code);
  if (m && +m[2] >= 1 && +m[3] <= 12 && +m[2] <= +m[3]) return { year: +m[1], firstMonth: +m[2], lastMonth: +m[3] };
  return null;
}

// "2023年", "2023年上半年", "2023年一季度", "2023年7月", "2023年1-9月"; English keeps the code.
export function periodName(code: string, lang: Lang): string {
  const p = parsePeriod(code);
  if (!p || lang === "en") return code === "" ? (lang === "zh" ? "未注明" : "none") : code;
  const { year, firstMonth: a, lastMonth: b } = p;
  if (a === 1 && b === 12) return `${year}年`;
  if (a === 1 && b === 6) return `${year}年上半年`;
  if (a === 7 && b === 12) return `${year}年下半年`;
  if (b - a === 2 && (a - 1) % 3 === 0) return `${year}年${QUARTERS[(a - 1) / 3]}季度`;
  if (a === b) return `${year}年${a}月`;
  return `${year}年${a}-${b}月`;
}

// A sortable key: start month, then end month (as the service orders series).
export function periodSortKey(code: string): number {
  const p = parsePeriod(code);
  if (!p) return Number.MAX_SAFE_INTEGER;
  return (p.year * 12 + p.firstMonth - 1) * 100 + (p.lastMonth - p.firstMonth);
}
