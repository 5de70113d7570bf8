// Units of indicator values: magnitude words (万, 亿, 万亿 …), which units fit which measure, and exact
// conversion between units that differ only in magnitude ("1040000万元" == "104亿元").
#ifndef LUOSHI_SERVICES_INDICATORS_MEASUREMENT_UNITS_H_
#define LUOSHI_SERVICES_INDICATORS_MEASUREMENT_UNITS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "luoshi/v1/common.pb.h"

namespace luoshi::indicators {

// A unit split into its leading magnitude word and what remains: "亿元" -> {8, "元"},
// "万亿元" -> {12, "元"}, "万人" -> {4, "人"}, "%" -> {0, "%"}, "吨标准煤/万元" -> {0, "吨标准煤/万元"}
// (only a leading magnitude word counts).
struct ScaledUnit {
  int exponent = 0;
  std::string base;
};
ScaledUnit SplitUnit(const std::string& unit);

bool IsPercentUnit(const std::string& unit);          // "%", "％"
bool IsRateUnit(const std::string& unit);             // percent or "‰"
bool IsPercentagePointUnit(const std::string& unit);  // "个百分点", "百分点", "pp"

// OK when `unit` can carry a figure of `measure`; INVALID_ARGUMENT saying why not otherwise
// (a growth rate in 亿元, a level in 个百分点 …). An empty unit always fits.
absl::Status CheckUnitFitsMeasure(v1::Measure measure, const std::string& unit);

// The unit a figure is taken to have when none was written: % for rates, 个百分点 for pp changes,
// the indicator's default unit for levels and changes.
std::string ImpliedUnit(v1::Measure measure, const std::string& written_unit,
                        const std::string& indicator_default_unit);

// `value` (written in `from_unit`) expressed in `to_unit`, exactly. FAILED_PRECONDITION when the units
// differ in more than magnitude (亿元 vs 亿美元, % vs 元).
absl::StatusOr<v1::Decimal> ConvertUnit(const v1::Decimal& value, const std::string& from_unit,
                                        const std::string& to_unit);

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_MEASUREMENT_UNITS_H_
