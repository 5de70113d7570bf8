// Exact decimals as the services carry them (unscaled × 10^-scale), formatted exactly as
// services/common/decimal.cc FormatDecimal does: no exponent, no rounding, trailing zeros kept
// ("5.20" stays "5.20"), a negative scale multiplies ({5, -2} → "500").
import type { DecimalLike } from "./types.js";

export function formatDecimal(d: DecimalLike): string {
  const u = d.unscaled;
  const negative = u < 0n;
  let digits = (negative ? -u : u).toString();
  const scale = d.scale;
  if (scale <= 0) {
    if (u !== 0n) digits += "0".repeat(-scale);
  } else {
    if (digits.length <= scale) digits = "0".repeat(scale - digits.length + 1) + digits;
    digits = digits.slice(0, digits.length - scale) + "." + digits.slice(digits.length - scale);
  }
  return negative ? "-" + digits : digits;
}

export function absDecimal(d: DecimalLike): DecimalLike {
  return { unscaled: d.unscaled < 0n ? -d.unscaled : d.unscaled, scale: d.scale };
}

export function negateDecimal(d: DecimalLike): DecimalLike {
  return { unscaled: -d.unscaled, scale: d.scale };
}

// The nearest binary float, for drawing only (never for comparing or showing a figure).
export function decimalToNumber(d: DecimalLike): number {
  return Number.parseFloat(formatDecimal(d));
}

// Parses "5.2", "-3", "1334.80" into an exact decimal; null for anything else.
export function parseDecimal(text: string): DecimalLike | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const fraction = m[3] ?? "";
  const unscaled = BigInt(m[2] + fraction);
  return { unscaled: m[1] ? -unscaled : unscaled, scale: fraction.length };
}
