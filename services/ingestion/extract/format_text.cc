// `luoshi extract --format=text`: metadata, then one line per observation and per task.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/decimal.h"
#include "services/ingestion/extract/extractor.h"

namespace luoshi::extract {
namespace {

std::string MeasureName(v1::Measure m) {
  switch (m) {
    case v1::MEASURE_LEVEL: return "level";
    case v1::MEASURE_GROWTH_RATE: return "growth";
    case v1::MEASURE_PERCENTAGE_POINTS: return "pp";
    case v1::MEASURE_SHARE: return "share";
    case v1::MEASURE_PROGRESS: return "progress";
    case v1::MEASURE_MULTIPLE: return "multiple";
    case v1::MEASURE_QUALITATIVE: return "qualitative";
    case v1::MEASURE_CHANGE: return "change";
    default: return "-";
  }
}

std::string BoundSign(v1::Bound b) {
  switch (b) {
    case v1::BOUND_AT_LEAST: return "≥";
    case v1::BOUND_MORE_THAN: return ">";
    case v1::BOUND_AT_MOST: return "≤";
    case v1::BOUND_LESS_THAN: return "<";
    case v1::BOUND_ABOUT: return "≈";
    default: return "";
  }
}

std::string StatusName(v1::ObservationStatus s) {
  switch (s) {
    case v1::OBSERVATION_STATUS_ACTUAL: return "actual";
    case v1::OBSERVATION_STATUS_TARGET: return "target";
    case v1::OBSERVATION_STATUS_FORECAST: return "forecast";
    default: return "-";
  }
}

std::string TypeName(v1::DocumentType t) {
  switch (t) {
    case v1::DOCUMENT_TYPE_PLAN_EXECUTION_REPORT: return "plan execution report";
    case v1::DOCUMENT_TYPE_WORK_REPORT: return "work report";
    case v1::DOCUMENT_TYPE_DIVISION_PLAN: return "division plan";
    case v1::DOCUMENT_TYPE_STATISTICAL_BULLETIN: return "statistical bulletin";
    case v1::DOCUMENT_TYPE_OTHER: return "other";
    default: return "-";
  }
}

std::string Or(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

std::string FormatExtractionText(const v1::Extraction& e) {
  const auto& md = e.metadata();
  std::string out;
  absl::StrAppend(&out, "title:     ", Or(md.title()), "\n", "type:      ", TypeName(md.type()), "\n",
                  "region:    ", Or(md.region()), "   year: ", md.year(), "   period: ", Or(md.period()),
                  "\n", "issuer:    ", Or(md.issuer()), "   number: ", Or(md.document_number()), "\n",
                  "written:   ", Or(md.written_date()), "   published: ", Or(md.published_date()),
                  "   encoding: ", Or(md.encoding()), "\n", "extractor: ", e.extractor_version(), "\n");
  absl::StrAppend(&out, "\nobservations (", e.observations_size(), ")\n");
  absl::StrAppend(&out, "  #   indicator                      region      period        status    measure      value\n");
  int i = 0;
  for (const auto& o : e.observations()) {
    std::string value;
    if (o.has_value()) {
      value = absl::StrCat(BoundSign(o.bound()), FormatDecimal(o.value().value()));
      if (o.has_upper_value()) absl::StrAppend(&value, "–", FormatDecimal(o.upper_value()));
      absl::StrAppend(&value, o.value().unit());
    } else {
      value = o.qualitative_text();
    }
    std::string name = o.indicator_id().empty() ? absl::StrCat("(", o.surface_name(), ")")
                                                : absl::StrCat(o.indicator_id(), " ", o.surface_name());
    absl::StrAppend(&out, "  ", i++, "  ", name, "  ", Or(o.region()), "  ", Or(o.period()), "  ",
                    StatusName(o.status()), "  ", MeasureName(o.measure()), "  ", value,
                    o.comparison_base().empty() ? "" : absl::StrCat("  vs ", o.comparison_base()),
                    "   [sentence ", o.provenance().sentence_index(), " @", o.provenance().span().begin(),
                    o.provenance().has_table_cell()
                        ? absl::StrCat(", table ", o.provenance().table_cell().table(), " row ",
                                       o.provenance().table_cell().row(), " column ",
                                       o.provenance().table_cell().column())
                        : "",
                    "]\n");
  }
  absl::StrAppend(&out, "\ntasks (", e.tasks_size(), ")\n");
  for (const auto& t : e.tasks()) {
    absl::StrAppend(&out, "  ", t.number(), ". ", t.text(), "\n", "      leaders: ",
                    Or(absl::StrJoin(t.lead_leaders(), "、")), "   units: ",
                    Or(absl::StrJoin(t.responsible_units(), "、")), "   cooperating: ",
                    Or(absl::StrJoin(t.cooperating_units(), "、")), "\n", "      deadline: ",
                    Or(t.deadline().text()), " ", t.deadline().ongoing() ? "(ongoing)" : t.deadline().date(),
                    t.indicator_id().empty() ? "" : absl::StrCat("   indicator: ", t.indicator_id()), "\n");
    for (const auto& m : t.milestones()) {
      absl::StrAppend(&out, "      milestone: ", m.text(), " (", m.subject(), ")\n");
    }
  }
  for (const auto& w : e.warnings()) absl::StrAppend(&out, "warning: ", w, "\n");
  return out;
}

}  // namespace luoshi::extract
