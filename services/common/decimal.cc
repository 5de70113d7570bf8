#include "services/common/decimal.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"

namespace luoshi {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Multiplies by 10^n, reporting overflow.
bool ScaleUp(int64_t v, int n, int64_t* out) {
  for (int i = 0; i < n; ++i) {
    if (v > kMax / 10 || v < -(kMax / 10)) return false;
    v *= 10;
  }
  *out = v;
  return true;
}

}  // namespace

v1::Decimal MakeDecimal(long long unscaled, int scale) {
  v1::Decimal d;
  d.set_unscaled(unscaled);
  d.set_scale(scale);
  return d;
}

absl::StatusOr<v1::Decimal> ParseDecimal(std::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  int64_t value = 0;
  int scale = 0;
  bool seen_point = false, seen_digit = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(absl::StrCat("not a decimal number: \"", std::string(text), "\""));
    }
    seen_digit = true;
    if (value > (kMax - (c - '0')) / 10) {
      return absl::InvalidArgumentError(absl::StrCat("number has too many digits: \"", std::string(text), "\""));
    }
    value = value * 10 + (c - '0');
    if (seen_point) ++scale;
  }
  if (!seen_digit) return absl::InvalidArgumentError(absl::StrCat("not a decimal number: \"", std::string(text), "\""));
  return MakeDecimal(negative ? -value : value, scale);
}

std::string FormatDecimal(const v1::Decimal& d) {
  int64_t u = d.unscaled();
  bool negative = u < 0;
  std::string digits = std::to_string(u);
  if (negative) digits.erase(0, 1);
  int scale = d.scale();
  if (scale <= 0) {
    if (u != 0) digits.append(static_cast<size_t>(-scale), '0');
  } else {
    if (static_cast<int>(digits.size()) <= scale) {
      digits.insert(0, static_cast<size_t>(scale - digits.size() + 1), '0');
    }
    digits.insert(digits.size() - scale, ".");
  }
  return negative ? "-" + digits : digits;
}

v1::Decimal NormalizeDecimal(const v1::Decimal& d) {
  int64_t u = d.unscaled();
  int scale = d.scale();
  while (scale > 0 && u % 10 == 0) {
    u /= 10;
    --scale;
  }
  if (u == 0) scale = 0;
  return MakeDecimal(u, scale);
}

v1::Decimal ShiftDecimal(const v1::Decimal& d, int exponent) {
  return MakeDecimal(d.unscaled(), d.scale() - exponent);
}

namespace {
// Brings both to the same scale; false on overflow.
bool Align(const v1::Decimal& a, const v1::Decimal& b, int64_t* ua, int64_t* ub, int* scale) {
  v1::Decimal na = NormalizeDecimal(a), nb = NormalizeDecimal(b);
  int s = std::max(na.scale(), nb.scale());
  *scale = s;
  return ScaleUp(na.unscaled(), s - na.scale(), ua) && ScaleUp(nb.unscaled(), s - nb.scale(), ub);
}
}  // namespace

int CompareDecimal(const v1::Decimal& a, const v1::Decimal& b) {
  int64_t ua, ub;
  int s;
  if (!Align(a, b, &ua, &ub, &s)) {
    // Only reachable for astronomically different magnitudes: compare by sign and size of exponent.
    long double x = static_cast<long double>(a.unscaled());
    long double y = static_cast<long double>(b.unscaled());
    for (int i = 0; i < a.scale(); ++i) x /= 10;
    for (int i = 0; i < b.scale(); ++i) y /= 10;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  return ua < ub ? -1 : (ua > ub ? 1 : 0);
}

absl::StatusOr<v1::Decimal> SubtractDecimal(const v1::Decimal& a, const v1::Decimal& b) {
  int64_t ua, ub;
  int s;
  if (!Align(a, b, &ua, &ub, &s) || (ub < 0 && ua > kMax + ub) || (ub > 0 && ua < -kMax + ub)) {
    return absl::InvalidArgumentError("decimal subtraction overflows");
  }
  return NormalizeDecimal(MakeDecimal(ua - ub, s));
}

}  // namespace luoshi
