// A series (GetSeries, actuals and targets) as the columns uPlot draws: one x per period, one y array
// per line. Figures are drawn in one unit per chart: magnitude words are converted (万元 → 亿元), other
// units, other comparison bases (a two-year growth rate) and qualitative figures are left out of the
// drawing (the table still lists them) and counted.
import { decimalToNumber, negateDecimal, absDecimal } from "./decimal.js";
import * as E from "./enums.js";
import { isChangeMeasure, isPercentagePointUnit } from "./format.js";
import { periodSortKey } from "./labels.js";
import type { DecimalLike, ObservationLike } from "./types.js";

export interface SeriesPointLike {
  period: string;
  observation?: ObservationLike;
}

const MAGNITUDES: ReadonlyArray<[string, number]> = [
  ["万亿", 12],
  ["千亿", 11],
  ["百亿", 10],
  ["亿", 8],
  ["千万", 7],
  ["百万", 6],
  ["十万", 5],
  ["万", 4],
];

// services/indicators/measurement_units.cc SplitUnit: "亿元" → {8, "元"}.
export function splitUnit(unit: string): { exponent: number; base: string } {
  for (const [word, exponent] of MAGNITUDES) {
    if (unit.startsWith(word)) return { exponent, base: unit.slice(word.length) };
  }
  return { exponent: 0, base: unit };
}

// The unit a figure is taken to have when none was written (measurement_units.cc ImpliedUnit).
export function impliedUnit(measure: number, written: string, defaultUnit: string): string {
  if (written !== "") return written;
  switch (measure) {
    case E.M_GROWTH_RATE:
    case E.M_SHARE:
    case E.M_PROGRESS:
      return "%";
    case E.M_PERCENTAGE_POINTS:
      return "个百分点";
    case E.M_MULTIPLE:
      return "倍";
    case E.M_LEVEL:
    case E.M_CHANGE:
      return defaultUnit;
    default:
      return "";
  }
}

// value × 10^(from − to), exactly (only the scale moves), when the units share a base; null when they
// are not comparable.
export function convert(value: DecimalLike, from: string, to: string): DecimalLike | null {
  if (from === to) return value;
  if (isPercentagePointUnit(from) && isPercentagePointUnit(to)) return value;
  const a = splitUnit(from);
  const b = splitUnit(to);
  if (a.base !== b.base) return null;
  return { unscaled: value.unscaled, scale: value.scale - (a.exponent - b.exponent) };
}

// services/indicators/service.cc NormalizeComparisonBase: "" for every way of saying year on year.
const YEAR_ON_YEAR = new Set(["", "同比", "上年", "上年同期", "去年", "去年同期", "同期", "上一年", "上年度"]);
export function isYearOnYear(base: string): boolean {
  let b = base.trim();
  for (const prefix of ["比", "较", "与"]) {
    if (b.startsWith(prefix)) {
      b = b.slice(prefix.length);
      break;
    }
  }
  return YEAR_ON_YEAR.has(b);
}

// A fall is drawn below zero whichever sign the producer stored (compare.cc SignedValue).
export function signedDecimal(o: ObservationLike, d: DecimalLike): DecimalLike {
  return isChangeMeasure(o.measure) && o.changeDirection === E.D_DOWN ? negateDecimal(absDecimal(d)) : d;
}

// Measures present among the points that can be drawn (not qualitative), most points first.
export function drawableMeasures(...lists: ReadonlyArray<readonly SeriesPointLike[]>): number[] {
  const count = new Map<number, number>();
  for (const list of lists) {
    for (const p of list) {
      const o = p.observation;
      if (!o || !o.value || o.measure === E.M_QUALITATIVE || o.measure === E.M_UNSPECIFIED) continue;
      count.set(o.measure, (count.get(o.measure) ?? 0) + 1);
    }
  }
  return [...count.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([m]) => m);
}

export interface ChartData {
  measure: number;
  unit: string; // the unit every drawn value is in
  periods: string[]; // x labels, in period order
  x: number[]; // 0 … periods.length − 1
  actual: (number | null)[];
  target: (number | null)[]; // the target's (lower) bound
  targetUpper: (number | null)[]; // the upper end of a range target, else null
  notDrawn: number; // points of this measure left out (other unit or comparison base)
}

function usable(p: SeriesPointLike, measure: number): p is SeriesPointLike & { observation: ObservationLike } {
  const o = p.observation;
  return !!o && !!o.value && !!o.value.value && o.measure === measure;
}

export function chartData(
  actuals: readonly SeriesPointLike[],
  targets: readonly SeriesPointLike[],
  measure: number,
  defaultUnit = "",
): ChartData {
  const actualPoints = actuals.filter((p) => usable(p, measure));
  const targetPoints = targets.filter((p) => usable(p, measure));
  let notDrawn = 0;
  const all = [...actualPoints, ...targetPoints];
  // The chart's unit: the one most figures were written in.
  const units = new Map<string, number>();
  for (const p of all) {
    const u = impliedUnit(measure, p.observation.value?.unit ?? "", defaultUnit);
    units.set(u, (units.get(u) ?? 0) + 1);
  }
  const unit = [...units.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? impliedUnit(measure, "", defaultUnit);

  const values = (points: typeof all, upper: boolean): Map<string, number> => {
    const out = new Map<string, number>();
    for (const p of points) {
      const o = p.observation;
      if (!isYearOnYear(o.comparisonBase) && isChangeMeasure(o.measure)) {
        if (!upper) notDrawn++;
        continue;
      }
      let d: DecimalLike | undefined = o.value?.value;
      if (upper) {
        if (o.bound !== E.B_RANGE || !o.upperValue) continue;
        d = o.upperValue;
      }
      if (!d) continue;
      if (o.bound === E.B_RANGE && o.upperValue && o.changeDirection === E.D_DOWN && isChangeMeasure(o.measure)) {
        // A range of falls: the lower end of the drawn band is the larger fall.
        d = upper ? o.value?.value : o.upperValue;
        if (!d) continue;
      }
      const v = convert(signedDecimal(o, d), impliedUnit(measure, o.value?.unit ?? "", defaultUnit), unit);
      if (v === null) {
        if (!upper) notDrawn++;
        continue;
      }
      if (!out.has(p.period)) out.set(p.period, decimalToNumber(v));
    }
    return out;
  };
  const a = values(actualPoints, false);
  const t = values(targetPoints, false);
  const tu = values(targetPoints, true);
  const periods = [...new Set([...a.keys(), ...t.keys()])].sort((p, q) => periodSortKey(p) - periodSortKey(q) || (p < q ? -1 : 1));
  return {
    measure,
    unit,
    periods,
    x: periods.map((_, i) => i),
    actual: periods.map((p) => a.get(p) ?? null),
    target: periods.map((p) => t.get(p) ?? null),
    targetUpper: periods.map((p) => tu.get(p) ?? null),
    notDrawn,
  };
}
