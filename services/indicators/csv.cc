#include "services/indicators/csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/decimal.h"
#include "services/indicators/format.h"

namespace luoshi::indicators {
namespace {

std::string TimestampText(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "";
  return google::protobuf::util::TimeUtil::ToString(t);
}

std::string ChangeDirectionLabel(v1::ChangeDirection d) {
  switch (d) {
    case v1::CHANGE_DIRECTION_UP:
      return "up";
    case v1::CHANGE_DIRECTION_DOWN:
      return "down";
    case v1::CHANGE_DIRECTION_FLAT:
      return "flat";
    default:
      return "";
  }
}

std::string BoundLabel(v1::Bound b) {
  switch (b) {
    case v1::BOUND_EXACT:
      return "exact";
    case v1::BOUND_AT_LEAST:
      return "at least";
    case v1::BOUND_MORE_THAN:
      return "more than";
    case v1::BOUND_AT_MOST:
      return "at most";
    case v1::BOUND_LESS_THAN:
      return "less than";
    case v1::BOUND_ABOUT:
      return "about";
    case v1::BOUND_RANGE:
      return "range";
    default:
      return "";
  }
}

}  // namespace

std::vector<std::string> ObservationCsvHeader() {
  return {"observation_id",   "indicator_id", "indicator_name", "surface_name",     "region",
          "region_name",      "period",       "status",         "measure",          "value",
          "upper_value",      "unit",         "bound",          "change_direction", "comparison_base",
          "qualitative_text", "as_of",        "recorded_at",    "source_key",       "document_id",
          "sentence_index",   "sentence",     "span_begin",     "span_end"};
}

std::vector<std::string> ObservationCsvFields(const v1::Observation& o, const std::string& indicator_name,
                                              const std::string& region_name) {
  const v1::Provenance& p = o.provenance();
  return {o.id(),
          o.indicator_id(),
          indicator_name,
          o.surface_name(),
          o.region(),
          region_name,
          o.period(),
          StatusLabel(o.status()),
          MeasureLabel(o.measure()),
          o.has_value() ? FormatDecimal(o.value().value()) : "",
          o.has_upper_value() ? FormatDecimal(o.upper_value()) : "",
          o.value().unit(),
          BoundLabel(o.bound()),
          ChangeDirectionLabel(o.change_direction()),
          o.comparison_base(),
          o.qualitative_text(),
          TimestampText(o.as_of()),
          TimestampText(o.recorded_at()),
          o.source_key(),
          p.document_id(),
          absl::StrCat(p.sentence_index()),
          p.sentence(),
          absl::StrCat(p.span().begin()),
          absl::StrCat(p.span().end())};
}

}  // namespace luoshi::indicators
