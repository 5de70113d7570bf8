#include "services/indicators/format.h"

#include "absl/strings/str_cat.h"
#include "services/common/decimal.h"
#include "services/indicators/measurement_units.h"

namespace luoshi::indicators {

std::string VerdictLabel(v1::Verdict verdict) {
  switch (verdict) {
    case v1::VERDICT_MET:
      return "met";
    case v1::VERDICT_NOT_MET:
      return "not met";
    case v1::VERDICT_PENDING:
      return "pending";
    case v1::VERDICT_NOT_MEASURABLE:
      return "not measurable";
    default:
      return "unknown";
  }
}

std::string MeasureLabel(v1::Measure measure) {
  switch (measure) {
    case v1::MEASURE_LEVEL:
      return "level";
    case v1::MEASURE_GROWTH_RATE:
      return "growth rate";
    case v1::MEASURE_PERCENTAGE_POINTS:
      return "pp change";
    case v1::MEASURE_SHARE:
      return "share";
    case v1::MEASURE_PROGRESS:
      return "progress";
    case v1::MEASURE_MULTIPLE:
      return "multiple";
    case v1::MEASURE_QUALITATIVE:
      return "qualitative";
    case v1::MEASURE_CHANGE:
      return "change";
    default:
      return "unspecified";
  }
}

std::string StatusLabel(v1::ObservationStatus status) {
  switch (status) {
    case v1::OBSERVATION_STATUS_ACTUAL:
      return "actual";
    case v1::OBSERVATION_STATUS_TARGET:
      return "target";
    case v1::OBSERVATION_STATUS_FORECAST:
      return "forecast";
    default:
      return "unspecified";
  }
}

std::string BoundSymbol(v1::Bound bound) {
  switch (bound) {
    case v1::BOUND_AT_LEAST:
      return "≥";
    case v1::BOUND_MORE_THAN:
      return ">";
    case v1::BOUND_AT_MOST:
      return "≤";
    case v1::BOUND_LESS_THAN:
      return "<";
    case v1::BOUND_ABOUT:
      return "≈";
    case v1::BOUND_RANGE:
      return "–";
    default:
      return "";
  }
}

std::string FormatAmount(const v1::Decimal& value, const std::string& unit) {
  if (IsPercentagePointUnit(unit)) return absl::StrCat(FormatDecimal(value), " pp");
  return absl::StrCat(FormatDecimal(value), unit);
}

std::string FormatQuantity(const v1::Quantity& q) { return FormatAmount(q.value(), q.unit()); }

namespace {

const char* DirectionWord(const v1::Observation& o) {
  bool is_change = o.measure() == v1::MEASURE_GROWTH_RATE || o.measure() == v1::MEASURE_PERCENTAGE_POINTS ||
                   o.measure() == v1::MEASURE_CHANGE;
  if (!is_change) return "";
  switch (o.change_direction()) {
    case v1::CHANGE_DIRECTION_UP:
      return "增长";
    case v1::CHANGE_DIRECTION_DOWN:
      return "下降";
    case v1::CHANGE_DIRECTION_FLAT:
      return "持平";
    default:
      return "";
  }
}

}  // namespace

std::string FormatObservationValue(const v1::Observation& o) {
  if (!o.has_value()) return o.qualitative_text();
  const std::string& unit = o.value().unit();
  const std::string word = DirectionWord(o);
  // After 增长/下降 the number is a magnitude, whichever sign the producer stored.
  auto shown = [&](const v1::Decimal& d) {
    return word.empty() ? d : MakeDecimal(d.unscaled() < 0 ? -d.unscaled() : d.unscaled(), d.scale());
  };
  if (o.bound() == v1::BOUND_RANGE && o.has_upper_value()) {
    return absl::StrCat(word, FormatDecimal(shown(o.value().value())), "–",
                        FormatAmount(shown(o.upper_value()), unit));
  }
  return absl::StrCat(word, BoundSymbol(o.bound()), FormatAmount(shown(o.value().value()), unit));
}

std::string IndicatorLabel(const v1::Observation& o) {
  if (!o.surface_name().empty()) return o.surface_name();
  return o.indicator_id();
}

std::string FormatComparison(const v1::TargetComparison& c, const std::string& indicator_name) {
  return absl::StrCat(indicator_name.empty() ? IndicatorLabel(c.target()) : indicator_name, " ",
                      c.target().period(), "  [", VerdictLabel(c.verdict()), "]  ", c.explanation());
}

std::string FormatSeries(const v1::Series& series) {
  std::string out = absl::StrCat(
      series.indicator().name().empty() ? series.indicator().id() : series.indicator().name(), " · ",
      series.region().name().empty() ? series.region().id() : series.region().name(), "\n");
  for (const v1::SeriesPoint& p : series.points()) {
    const v1::Observation& o = p.observation();
    absl::StrAppend(&out, p.period(), "\t", FormatObservationValue(o), "\t", MeasureLabel(o.measure()));
    if (p.history_size() > 0) absl::StrAppend(&out, "\t(", p.history_size(), " earlier vintages)");
    absl::StrAppend(&out, "\n");
    if (!o.provenance().sentence().empty() || !o.provenance().document_id().empty()) {
      absl::StrAppend(&out, "  ↳ ", o.provenance().document_id(), " #", o.provenance().sentence_index(), ": ",
                      o.provenance().sentence(), "\n");
    }
  }
  return out;
}

}  // namespace luoshi::indicators
