#include "services/indicators/measurement_units.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/decimal.h"

namespace luoshi::indicators {
namespace {

// Longest first, so that 万亿 wins over 万.
const std::pair<const char*, int> kMagnitudes[] = {
    {"万亿", 12}, {"千亿", 11}, {"百亿", 10}, {"亿", 8}, {"千万", 7}, {"百万", 6}, {"十万", 5}, {"万", 4},
};

const char* MeasureWords(v1::Measure m) {
  switch (m) {
    case v1::MEASURE_GROWTH_RATE:
      return "a growth rate, which is written in % (or ‰)";
    case v1::MEASURE_PROGRESS:
      return "progress against the annual task, which is written in % (or ‰)";
    case v1::MEASURE_SHARE:
      return "a share, which is written in % (or ‰) or without unit";
    case v1::MEASURE_PERCENTAGE_POINTS:
      return "a change in percentage points, which is written in 个百分点";
    case v1::MEASURE_MULTIPLE:
      return "a multiple, which is written in 倍 or without unit";
    default:
      return "a level or change, which cannot be written in 个百分点 (use MEASURE_PERCENTAGE_POINTS)";
  }
}

bool Fits(v1::Measure measure, const std::string& unit) {
  switch (measure) {
    case v1::MEASURE_GROWTH_RATE:
    case v1::MEASURE_PROGRESS:
    case v1::MEASURE_SHARE:
      return IsRateUnit(unit);
    case v1::MEASURE_PERCENTAGE_POINTS:
      return IsPercentagePointUnit(unit);
    case v1::MEASURE_MULTIPLE:
      return unit == "倍";
    case v1::MEASURE_LEVEL:
    case v1::MEASURE_CHANGE:
      return !IsPercentagePointUnit(unit);
    default:
      return true;
  }
}

}  // namespace

ScaledUnit SplitUnit(const std::string& unit) {
  for (const auto& [word, exponent] : kMagnitudes) {
    if (absl::StartsWith(unit, word)) return ScaledUnit{exponent, unit.substr(std::string(word).size())};
  }
  return ScaledUnit{0, unit};
}

bool IsPercentUnit(const std::string& unit) { return unit == "%" || unit == "％"; }

bool IsRateUnit(const std::string& unit) { return IsPercentUnit(unit) || unit == "‰"; }

bool IsPercentagePointUnit(const std::string& unit) {
  return unit == "个百分点" || unit == "百分点" || unit == "pp";
}

absl::Status CheckUnitFitsMeasure(v1::Measure measure, const std::string& unit) {
  if (unit.empty() || Fits(measure, unit)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unit \"", unit, "\" does not fit the measure: the figure is ", MeasureWords(measure)));
}

std::string ImpliedUnit(v1::Measure measure, const std::string& written_unit,
                        const std::string& indicator_default_unit) {
  if (!written_unit.empty()) return IsPercentUnit(written_unit) ? "%" : written_unit;
  switch (measure) {
    case v1::MEASURE_GROWTH_RATE:
    case v1::MEASURE_PROGRESS:
      return "%";
    case v1::MEASURE_PERCENTAGE_POINTS:
      return "个百分点";
    case v1::MEASURE_LEVEL:
    case v1::MEASURE_CHANGE:
      return indicator_default_unit;
    default:
      return "";
  }
}

absl::StatusOr<v1::Decimal> ConvertUnit(const v1::Decimal& value, const std::string& from_unit,
                                        const std::string& to_unit) {
  if (from_unit == to_unit) return value;
  ScaledUnit from = SplitUnit(from_unit), to = SplitUnit(to_unit);
  bool same_base =
      from.base == to.base || (IsPercentagePointUnit(from.base) && IsPercentagePointUnit(to.base));
  if (!same_base) {
    return absl::FailedPreconditionError(
        absl::StrCat("units \"", from_unit, "\" and \"", to_unit, "\" are not comparable"));
  }
  return NormalizeDecimal(ShiftDecimal(value, from.exponent - to.exponent));
}

}  // namespace luoshi::indicators
