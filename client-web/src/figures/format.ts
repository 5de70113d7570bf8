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

// "≥", ">", "≤", "<", "≈", "" (exact or unspecified), "–" for ranges.
export function boundSymbol(bound: number): string {
  switch (bound) {
    case E.B_AT_LEAST:
      return "≥";
    case E.B_MORE_THAN:
      return ">";
    case E.B_AT_MOST:
      return "≤";
    case E.B_LESS_THAN:
      return "<";
    case E.B_ABOUT:
      return "≈";
    case E.B_RANGE:
      return "–";
    default:
      return "";
  }
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

function directionWord(o: ObservationLike): string {
  if (!isChangeMeasure(o.measure)) return "";
  switch (o.changeDirection) {
    case E.D_UP:
      return "增长";
    case E.D_DOWN:
      return "下降";
    case E.D_FLAT:
      return "持平";
    default:
      return "";
  }
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

// The CLI's English words (services/indicators/format.cc), used where the web shows the same line.
export function measureLabel(measure: number): string {
  switch (measure) {
    case E.M_LEVEL:
      return "level";
    case E.M_GROWTH_RATE:
      return "growth rate";
    case E.M_PERCENTAGE_POINTS:
      return "pp change";
    case E.M_SHARE:
      return "share";
    case E.M_PROGRESS:
      return "progress";
    case E.M_MULTIPLE:
      return "multiple";
    case E.M_QUALITATIVE:
      return "qualitative";
    case E.M_CHANGE:
      return "change";
    default:
      return "unspecified";
  }
}

export function statusLabel(status: number): string {
  switch (status) {
    case E.S_ACTUAL:
      return "actual";
    case E.S_TARGET:
      return "target";
    case E.S_FORECAST:
      return "forecast";
    default:
      return "unspecified";
  }
}

export function verdictLabel(verdict: number): string {
  switch (verdict) {
    case E.V_MET:
      return "met";
    case E.V_NOT_MET:
      return "not met";
    case E.V_PENDING:
      return "pending";
    case E.V_NOT_MEASURABLE:
      return "not measurable";
    default:
      return "unknown";
  }
}
