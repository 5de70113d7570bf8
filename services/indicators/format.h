// Human-readable text for indicator data, shared by the service (comparison explanations) and by
// clients (the `luoshi indicators …` commands). Pure functions of the protos: no I/O, no RPC.
#ifndef LUOSHI_SERVICES_INDICATORS_FORMAT_H_
#define LUOSHI_SERVICES_INDICATORS_FORMAT_H_

#include <string>

#include "luoshi/v1/indicators.pb.h"

namespace luoshi::indicators {

// "met", "not met", "pending", "not measurable".
std::string VerdictLabel(v1::Verdict verdict);
// "level", "growth rate", "pp change", "share", "progress", "multiple", "qualitative", "change".
std::string MeasureLabel(v1::Measure measure);
// "actual", "target", "forecast".
std::string StatusLabel(v1::ObservationStatus status);
// "≥", ">", "≤", "<", "≈", "" (exact or unspecified), "–" for ranges.
std::string BoundSymbol(v1::Bound bound);

// A number with its unit as a reader expects it: "1334.8亿元", "5.2%", "0.7 pp" (for 个百分点).
std::string FormatAmount(const v1::Decimal& value, const std::string& unit);
std::string FormatQuantity(const v1::Quantity& quantity);

// An observation's figure the way the document put it: "增长5.2%", "下降3.2%", "≥4.5%", "1334.8亿元",
// "3–5个", "≈20%", or the qualitative text when there is no value.
std::string FormatObservationValue(const v1::Observation& observation);

// The indicator's display name: the catalog id's surface name when given, else the id.
std::string IndicatorLabel(const v1::Observation& observation);

// One line per comparison, e.g.
//   "地区生产总值 2023  [met]  target ≥4.5%, actual 5.2%: met by 0.7 pp"
// `indicator_name` (from ListIndicators / GetIndicator) replaces the target's surface name or id.
std::string FormatComparison(const v1::TargetComparison& comparison, const std::string& indicator_name = "");

// A series as a small text table: one line per point (period, figure, measure, vintages) followed by
// its source ("  ↳ doc-1 #12: 地区生产总值总量完成1334.8亿元,同比增长5.2%").
std::string FormatSeries(const v1::Series& series);

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_FORMAT_H_
