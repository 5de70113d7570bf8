// How a verdict looks: a CSS class (colour), a symbol and words, so that it never relies on colour
// alone; and its margin as text in the target's unit, formatted like the CLI's explanation.
import { formatAmount } from "./format.js";
import { absDecimal } from "./decimal.js";
import * as E from "./enums.js";
import { verdictName, type Lang } from "./labels.js";
import type { QuantityLike } from "./types.js";

export interface VerdictLook {
  className: string; // verdict-met | verdict-not-met | verdict-pending | verdict-unmeasurable
  symbol: string; // ✓ ✗ … –
  text: string; // 已达成 / met …
  colour: string; // text colour on white, contrast ≥ 4.5:1
  background: string; // a light tint of it
}

type Look = Omit<VerdictLook, "text">;
const UNMEASURABLE: Look = { className: "verdict-unmeasurable", symbol: "–", colour: "#53575c", background: "#eef0f2" };
// Indexed by Verdict: unspecified, met, not met, pending, not measurable.
const LOOKS: Look[] = [
  UNMEASURABLE,
  { className: "verdict-met", symbol: "✓", colour: "#1b6e34", background: "#e3f4e8" },
  { className: "verdict-not-met", symbol: "✗", colour: "#b3261e", background: "#fce8e6" },
  { className: "verdict-pending", symbol: "…", colour: "#8a5300", background: "#fff4dc" },
  UNMEASURABLE,
];

export function verdictLook(verdict: number, lang: Lang): VerdictLook {
  const look = LOOKS[verdict] ?? UNMEASURABLE;
  return { ...look, text: verdictName(verdict, lang) };
}

// "+0.7 pp", "-4微克/立方米", "0 pp"; "" when there is no margin (pending, not measurable).
export function signedMargin(margin: QuantityLike | undefined): string {
  if (!margin || !margin.value) return "";
  const text = formatAmount(margin.value, margin.unit);
  return margin.value.unscaled > 0n ? `+${text}` : text;
}

// The margin in words: "超出 0.7 pp" / "差 0.1 pp" (by how much it met or missed), as the CLI's
// "met by 0.7 pp" / "missed by 0.1 pp".
export function marginWords(margin: QuantityLike | undefined, verdict: number, lang: Lang): string {
  if (!margin || !margin.value) return "";
  const size = formatAmount(absDecimal(margin.value), margin.unit);
  if (verdict === E.V_MET) {
    if (margin.value.unscaled === 0n) return lang === "zh" ? "恰好达成" : "met exactly";
    return lang === "zh" ? `余量 ${size}` : `met by ${size}`;
  }
  if (verdict === E.V_NOT_MET) return lang === "zh" ? `差 ${size}` : `missed by ${size}`;
  return "";
}
