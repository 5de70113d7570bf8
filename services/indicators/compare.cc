#include "services/indicators/compare.h"

#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "services/common/decimal.h"
#include "services/indicators/format.h"
#include "services/indicators/measurement_units.h"

namespace luoshi::indicators {
namespace {

v1::Decimal Negate(const v1::Decimal& d) { return MakeDecimal(-d.unscaled(), d.scale()); }
v1::Decimal Abs(const v1::Decimal& d) { return MakeDecimal(std::llabs(d.unscaled()), d.scale()); }
bool IsZero(const v1::Decimal& d) { return d.unscaled() == 0; }

// Whether the figure is a fall (下降3.2%, 收窄3.4个百分点). Producers may send its value as written (3.2) or
// already negative (-3.2); either way the written number is its magnitude.
bool IsWrittenFall(const v1::Observation& o) {
  bool is_change = o.measure() == v1::MEASURE_GROWTH_RATE || o.measure() == v1::MEASURE_PERCENTAGE_POINTS ||
                   o.measure() == v1::MEASURE_CHANGE;
  return is_change && o.change_direction() == v1::CHANGE_DIRECTION_DOWN;
}

v1::Decimal SignedValue(const v1::Observation& o) {
  return IsWrittenFall(o) ? Negate(Abs(o.value().value())) : o.value().value();
}

v1::Bound Flip(v1::Bound b) {
  switch (b) {
    case v1::BOUND_AT_LEAST:
      return v1::BOUND_AT_MOST;
    case v1::BOUND_AT_MOST:
      return v1::BOUND_AT_LEAST;
    case v1::BOUND_MORE_THAN:
      return v1::BOUND_LESS_THAN;
    case v1::BOUND_LESS_THAN:
      return v1::BOUND_MORE_THAN;
    default:
      return b;
  }
}

// The target as a signed condition: bound, lower (or only) value, upper value for ranges.
struct Condition {
  v1::Bound bound = v1::BOUND_EXACT;
  v1::Decimal low;
  v1::Decimal high;
  std::string unit;
};

Condition TargetCondition(const v1::Observation& t, const std::string& unit) {
  Condition c;
  c.unit = unit;
  c.bound = t.bound() == v1::BOUND_UNSPECIFIED ? v1::BOUND_EXACT : t.bound();
  c.low = t.value().value();
  c.high = t.has_upper_value() ? t.upper_value() : c.low;
  if (IsWrittenFall(t)) {
    c.bound = Flip(c.bound);
    v1::Decimal low = Negate(Abs(c.high)), high = Negate(Abs(c.low));
    c.low = low;
    c.high = high;
  }
  return c;
}

std::string DescribeCondition(const Condition& c) {
  if (c.bound == v1::BOUND_RANGE) {
    return absl::StrCat(FormatDecimal(c.low), "–", FormatAmount(c.high, c.unit));
  }
  return absl::StrCat(BoundSymbol(c.bound), FormatAmount(c.low, c.unit));
}

std::string MarginUnit(const std::string& target_unit) {
  return IsPercentUnit(target_unit) ? "个百分点" : target_unit;
}

v1::DesiredDirection Direction(const v1::Indicator* indicator) {
  return indicator ? indicator->desired_direction() : v1::DESIRED_DIRECTION_UNSPECIFIED;
}

struct Judgement {
  bool met = false;
  v1::Decimal margin;  // actual − target (signed)
  std::string phrase;  // "met by 0.7 pp"
};

// Exact difference; both operands come from int64 decimals, overflow only for absurd magnitudes.
v1::Decimal Minus(const v1::Decimal& a, const v1::Decimal& b) {
  absl::StatusOr<v1::Decimal> d = SubtractDecimal(a, b);
  return d.ok() ? *d : MakeDecimal(0, 0);
}

bool MetByDirection(const Condition& c, const v1::Decimal& a, v1::DesiredDirection direction,
                    std::string* how) {
  int cmp = CompareDecimal(a, c.low);
  switch (direction) {
    case v1::DESIRED_DIRECTION_UP:
      return cmp >= 0;
    case v1::DESIRED_DIRECTION_DOWN:
      return cmp <= 0;
    default:
      break;
  }
  if (c.bound == v1::BOUND_ABOUT) {
    // Within a tenth of the target either way.
    v1::Decimal tolerance = MakeDecimal(std::llabs(c.low.unscaled()), c.low.scale() + 1);
    *how = "within 10% of the target";
    return CompareDecimal(Abs(Minus(a, c.low)), tolerance) <= 0;
  }
  return cmp == 0;
}

Judgement Judge(const Condition& c, const v1::Decimal& a, v1::DesiredDirection direction) {
  Judgement j;
  std::string how;
  switch (c.bound) {
    case v1::BOUND_AT_LEAST:
      j.met = CompareDecimal(a, c.low) >= 0;
      break;
    case v1::BOUND_MORE_THAN:
      j.met = CompareDecimal(a, c.low) > 0;
      break;
    case v1::BOUND_AT_MOST:
      j.met = CompareDecimal(a, c.low) <= 0;
      break;
    case v1::BOUND_LESS_THAN:
      j.met = CompareDecimal(a, c.low) < 0;
      break;
    case v1::BOUND_RANGE:
      j.met = CompareDecimal(a, c.low) >= 0 && CompareDecimal(a, c.high) <= 0;
      if (j.met) how = "within the range";
      break;
    default:
      j.met = MetByDirection(c, a, direction, &how);
      break;
  }
  const bool above_range = c.bound == v1::BOUND_RANGE && CompareDecimal(a, c.high) > 0;
  j.margin = Minus(a, above_range ? c.high : c.low);
  const std::string size = FormatAmount(Abs(j.margin), MarginUnit(c.unit));
  if (j.met) {
    j.phrase = !how.empty() ? absl::StrCat("met, ", how)
                            : (IsZero(j.margin) ? "met exactly" : absl::StrCat("met by ", size));
  } else {
    j.phrase =
        IsZero(j.margin) ? "not met (the target excludes its own value)" : absl::StrCat("missed by ", size);
  }
  return j;
}

v1::TargetComparison NotMeasurable(v1::TargetComparison out, const std::string& why) {
  out.set_verdict(v1::VERDICT_NOT_MEASURABLE);
  out.set_explanation(why);
  return out;
}

}  // namespace

v1::TargetComparison JudgeTarget(const v1::Observation& target, const v1::Observation* actual,
                                 const v1::Indicator* indicator) {
  v1::TargetComparison out;
  *out.mutable_target() = target;
  if (actual) *out.mutable_actual() = *actual;
  const std::string default_unit = indicator ? indicator->default_unit() : "";
  if (!target.has_value() || target.measure() == v1::MEASURE_QUALITATIVE) {
    return NotMeasurable(std::move(out), absl::StrCat("target \"", FormatObservationValue(target),
                                                      "\" is qualitative: not measurable"));
  }
  const std::string target_unit = ImpliedUnit(target.measure(), target.value().unit(), default_unit);
  const Condition condition = TargetCondition(target, target_unit);
  const std::string target_text = absl::StrCat("target ", DescribeCondition(condition));
  if (!actual) {
    out.set_verdict(v1::VERDICT_PENDING);
    out.set_explanation(absl::StrCat(target_text, ", no actual yet: pending"));
    return out;
  }
  if (!actual->has_value()) {
    return NotMeasurable(std::move(out), absl::StrCat(target_text, ", actual \"", actual->qualitative_text(),
                                                      "\" is qualitative: not measurable"));
  }
  const std::string actual_unit = ImpliedUnit(actual->measure(), actual->value().unit(), default_unit);
  const std::string actual_text = absl::StrCat("actual ", FormatAmount(SignedValue(*actual), actual_unit));
  absl::StatusOr<v1::Decimal> a = ConvertUnit(SignedValue(*actual), actual_unit, target_unit);
  if (!a.ok()) {
    return NotMeasurable(std::move(out),
                         absl::StrCat(target_text, ", ", actual_text, ": units \"", target_unit, "\" and \"",
                                      actual_unit, "\" are not comparable"));
  }
  const Judgement j = Judge(condition, *a, Direction(indicator));
  out.set_verdict(j.met ? v1::VERDICT_MET : v1::VERDICT_NOT_MET);
  *out.mutable_margin()->mutable_value() = j.margin;
  out.mutable_margin()->set_unit(MarginUnit(target_unit));
  out.set_explanation(absl::StrCat(target_text, ", ", actual_text, ": ", j.phrase));
  return out;
}

}  // namespace luoshi::indicators
