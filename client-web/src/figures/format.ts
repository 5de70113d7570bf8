// A figure's text, identical to what the CLI prints for the same figure: a port of
// services/indicators/format.cc (FormatAmount, FormatQuantity, FormatObservationValue, BoundSymbol,
// MeasureLabel, StatusLabel, VerdictLabel). test/unit/figures-cli.test.mjs compares this output with
// the real `luoshi` binary's for every figure of the seed documents, so any drift fails a test.
import { absDecimal, formatDecimal } from "./decimal.js";
import * as E from "./enums.js";
import type { DecimalLike, ObservationLike, QuantityLike } from "./types.js";

const ZERO: DecimalLike = { unscaled: 0n, scale: 0 };

// services/indicators/measurement_units.cc IsPercentagePointUnit.
export function isPercentagePointUnit(unit: string): boolean {
  return unit === "个百分点" || unit === "百分点" || unit === "pp";
}

export function isPercentUnit(unit: string): boolean {
  return unit === "%" || unit === "％";
}

// "≥", ">", "≤", "<", "≈", "" (exact or unspecified), "–" for ranges; indexed by Bound.
const BOUND_SYMBOLS = ["", "", "≥", ">", "≤", "<", "≈", "–"];
export function boundSymbol(bound: number): string {
  return BOUND_SYMBOLS[bound] ?? "";
}

// "1334.8亿元", "5.2%", "0.7 pp" (for 个百分点).
export function formatAmount(value: DecimalLike, unit: string): string {
  if (isPercentagePointUnit(unit)) return `${formatDecimal(value)} pp`;
  return formatDecimal(value) + unit;
}

export function formatQuantity(q: QuantityLike): string {
  return formatAmount(q.value ?? ZERO, q.unit);
}

export function isChangeMeasure(measure: number): boolean {
  return measure === E.M_GROWTH_RATE || measure === E.M_PERCENTAGE_POINTS || measure === E.M_CHANGE;
}

// 增长 / 下降 / 持平 by ChangeDirection, for changes only.
const DIRECTION_WORDS = ["", "增长", "下降", "持平"];
function directionWord(o: ObservationLike): string {
  return isChangeMeasure(o.measure) ? (DIRECTION_WORDS[o.changeDirection] ?? "") : "";
}

// "增长5.2%", "下降3.2%", "≥4.5%", "1334.8亿元", "3–5个", "≈20%", or the qualitative text.
export function formatObservationValue(o: ObservationLike): string {
  if (!o.value) return o.qualitativeText;
  const unit = o.value.unit;
  const word = directionWord(o);
  // After 增长/下降 the number is a magnitude, whichever sign the producer stored.
  const shown = (d: DecimalLike): DecimalLike => (word === "" ? d : absDecimal(d));
  const value = o.value.value ?? ZERO;
  if (o.bound === E.B_RANGE && o.upperValue) {
    return `${word}${formatDecimal(shown(value))}–${formatAmount(shown(o.upperValue), unit)}`;
  }
  return word + boundSymbol(o.bound) + formatAmount(shown(value), unit);
}

// The indicator's display name: the surface name when given, else the id.
export function indicatorLabel(o: Pick<ObservationLike, "surfaceName" | "indicatorId">): string {
  return o.surfaceName !== "" ? o.surfaceName : o.indicatorId;
}

// The CLI's English words (services/indicators/format.cc), indexed by the enum number; used where the
// web shows the same line, and in English.
const MEASURE_LABELS = ["unspecified", "level", "growth rate", "pp change", "share", "progress", "multiple", "qualitative", "change"];
const STATUS_LABELS = ["unspecified", "actual", "target", "forecast"];
const VERDICT_LABELS = ["unknown", "met", "not met", "pending", "not measurable"];

export function measureLabel(measure: number): string {
  return MEASURE_LABELS[measure] ?? "unspecified";
}

export function statusLabel(status: number): string {
  return STATUS_LABELS[status] ?? "unspecified";
}

export function verdictLabel(verdict: number): string {
  return VERDICT_LABELS[verdict] ?? "unknown";
}
