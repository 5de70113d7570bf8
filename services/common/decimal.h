// Exact decimal arithmetic on luoshi.v1.Decimal (unscaled * 10^-scale). No binary floating point.
#ifndef LUOSHI_SERVICES_COMMON_DECIMAL_H_
#define LUOSHI_SERVICES_COMMON_DECIMAL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "luoshi/v1/common.pb.h"

namespace luoshi {

// Parses "1334.8", "-3.2", "0.05", "104" (ASCII digits, optional sign and point). Trailing zeros after
// the point are kept in the scale ("5.20" has scale 2). INVALID_ARGUMENT on anything else or overflow.
absl::StatusOr<v1::Decimal> ParseDecimal(std::string_view text);

// "1334.8", "-0.05", "104": the digits exactly as the scale says (negative scales expand with zeros).
std::string FormatDecimal(const v1::Decimal& d);

// -1, 0 or 1. Compares numerically: 5.2 == 5.20.
int CompareDecimal(const v1::Decimal& a, const v1::Decimal& b);

// a - b, exact, at the larger of the two scales. INVALID_ARGUMENT on overflow.
absl::StatusOr<v1::Decimal> SubtractDecimal(const v1::Decimal& a, const v1::Decimal& b);

// d * 10^exponent (exponent may be negative), exact: only the scale changes.
v1::Decimal ShiftDecimal(const v1::Decimal& d, int exponent);

// Removes trailing zeros from the fraction ("5.20" -> "5.2"); keeps at least scale 0.
v1::Decimal NormalizeDecimal(const v1::Decimal& d);

v1::Decimal MakeDecimal(long long unscaled, int scale);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_DECIMAL_H_
