// Words for a figure's parts in the client's two languages (zh-CN first). Pure: the pages pass the
// language the user chose.
import * as E from "./enums.js";
import { measureLabel, statusLabel, verdictLabel } from "./format.js";

export type Lang = "zh" | "en";

const MEASURE_ZH: Record<number, string> = {
  [E.M_LEVEL]: "总量",
  [E.M_GROWTH_RATE]: "增速",
  [E.M_PERCENTAGE_POINTS]: "百分点变化",
  [E.M_SHARE]: "占比",
  [E.M_PROGRESS]: "完成进度",
  [E.M_MULTIPLE]: "倍数",
  [E.M_QUALITATIVE]: "定性",
  [E.M_CHANGE]: "增减量",
};

export function measureName(measure: number, lang: Lang): string {
  return lang === "zh" ? (MEASURE_ZH[measure] ?? "未注明") : measureLabel(measure);
}

const STATUS_ZH: Record<number, string> = {
  [E.S_ACTUAL]: "实际",
  [E.S_TARGET]: "目标",
  [E.S_FORECAST]: "预计",
};

export function statusName(status: number, lang: Lang): string {
  return lang === "zh" ? (STATUS_ZH[status] ?? "未注明") : statusLabel(status);
}

const BOUND_ZH: Record<number, string> = {
  [E.B_UNSPECIFIED]: "确数",
  [E.B_EXACT]: "确数",
  [E.B_AT_LEAST]: "不低于（≥）",
  [E.B_MORE_THAN]: "超过（>）",
  [E.B_AT_MOST]: "不超过（≤）",
  [E.B_LESS_THAN]: "低于（<）",
  [E.B_ABOUT]: "左右（≈）",
  [E.B_RANGE]: "区间（–）",
};
const BOUND_EN: Record<number, string> = {
  [E.B_UNSPECIFIED]: "exact",
  [E.B_EXACT]: "exact",
  [E.B_AT_LEAST]: "at least (≥)",
  [E.B_MORE_THAN]: "more than (>)",
  [E.B_AT_MOST]: "at most (≤)",
  [E.B_LESS_THAN]: "less than (<)",
  [E.B_ABOUT]: "about (≈)",
  [E.B_RANGE]: "range (–)",
};

export function boundName(bound: number, lang: Lang): string {
  return (lang === "zh" ? BOUND_ZH : BOUND_EN)[bound] ?? "";
}

const VERDICT_ZH: Record<number, string> = {
  [E.V_MET]: "已达成",
  [E.V_NOT_MET]: "未达成",
  [E.V_PENDING]: "待判定",
  [E.V_NOT_MEASURABLE]: "无法衡量",
};

export function verdictName(verdict: number, lang: Lang): string {
  return lang === "zh" ? (VERDICT_ZH[verdict] ?? "未知") : verdictLabel(verdict);
}

const DOC_TYPE: Record<number, [string, string]> = {
  0: ["未识别", "unknown"],
  1: ["计划执行情况报告", "plan execution report"],
  2: ["工作报告", "work report"],
  3: ["重点工作分工方案", "division plan"],
  4: ["统计公报", "statistical bulletin"],
  5: ["其他", "other"],
};

export function documentTypeName(type: number, lang: Lang): string {
  const pair = DOC_TYPE[type] ?? DOC_TYPE[0];
  return lang === "zh" ? pair[0] : pair[1];
}

const DELIVERY: Record<number, [string, string]> = {
  0: ["未知", "unknown"],
  1: ["等待送达", "pending"],
  2: ["已送达", "delivered"],
  3: ["无需送达", "not needed"],
  4: ["送达失败", "failed"],
};

export function deliveryStateName(state: number, lang: Lang): string {
  const pair = DELIVERY[state] ?? DELIVERY[0];
  return lang === "zh" ? pair[0] : pair[1];
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
