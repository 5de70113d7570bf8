#include "services/ingestion/ingest_summary.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/decimal.h"

namespace luoshi::ingestion {
namespace {

std::string FormatLabel(v1::SourceFormat format) {
  switch (format) {
    case v1::SOURCE_FORMAT_TEXT: return "text";
    case v1::SOURCE_FORMAT_HTML: return "HTML";
    case v1::SOURCE_FORMAT_DOCX: return "Word (.docx)";
    default: return "";
  }
}

std::string StatusLabel(v1::ObservationStatus status) {
  switch (status) {
    case v1::OBSERVATION_STATUS_ACTUAL: return "actual";
    case v1::OBSERVATION_STATUS_TARGET: return "target";
    case v1::OBSERVATION_STATUS_FORECAST: return "forecast";
    default: return "";
  }
}

// Drops empty parts and joins the rest with " · ".
std::string Dotted(const std::vector<std::string>& parts) {
  std::vector<std::string> kept;
  for (const std::string& p : parts) {
    if (!p.empty()) kept.push_back(p);
  }
  return absl::StrJoin(kept, " · ");
}

std::string StateLabel(const v1::Delivery& d) {
  switch (d.state()) {
    case v1::DELIVERY_STATE_DELIVERED:
      return d.attempts() > 1 ? absl::StrCat("delivered after ", d.attempts(), " attempts") : "delivered";
    case v1::DELIVERY_STATE_NOT_NEEDED: return "nothing to deliver";
    case v1::DELIVERY_STATE_PENDING:
      if (d.attempts() == 0) return "pending";
      return absl::StrCat("pending (", d.attempts(), d.attempts() == 1 ? " attempt" : " attempts",
                          "; last error: ", d.last_error(), ")");
    case v1::DELIVERY_STATE_FAILED: return absl::StrCat("FAILED, not retried (", d.last_error(), ")");
    default: return "unknown";
  }
}

// "; 3 left out: <reason>" when the delivery does not carry every extracted item.
std::string LeftOutNote(const v1::Delivery& d) {
  if (d.left_out() == 0) return "";
  return absl::StrCat("; ", d.left_out(), " left out: ", d.left_out_reason());
}

std::string ObservationLine(const v1::Observation& o) {
  std::string name = o.surface_name().empty() ? o.indicator_id() : o.surface_name();
  std::string value;
  if (o.has_value()) value = absl::StrCat(FormatDecimal(o.value().value()), o.value().unit());
  if (value.empty()) value = o.qualitative_text();
  std::string id = o.indicator_id().empty() ? "" : absl::StrCat("[", o.indicator_id(), "]");
  return absl::StrCat("      ", Dotted({name, value, o.period(), o.region(), StatusLabel(o.status()), id}));
}

std::string TaskLine(const v1::TaskDefinition& t) {
  std::string units = absl::StrJoin(t.responsible_units(), "、");
  std::string deadline = t.deadline().date().empty() ? t.deadline().text() : t.deadline().date();
  std::string text = t.text();
  constexpr size_t kMaxTextBytes = 90;  // about 30 Chinese characters
  if (text.size() > kMaxTextBytes) {
    size_t cut = kMaxTextBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    text = absl::StrCat(text.substr(0, cut), "…");
  }
  return absl::StrCat("      ", t.number(), "  ", text, units.empty() ? "" : absl::StrCat("  → ", units),
                      deadline.empty() ? "" : absl::StrCat(" · ", deadline));
}

template <typename Items, typename LineFn>
void AppendList(const char* heading, const Items& items, int max, LineFn line, std::string* out) {
  if (items.empty() || max <= 0) return;
  absl::StrAppend(out, "    ", heading, "\n");
  int shown = 0;
  for (const auto& item : items) {
    if (shown == max) break;
    absl::StrAppend(out, line(item), "\n");
    ++shown;
  }
  if (items.size() > shown) absl::StrAppend(out, "      … and ", items.size() - shown, " more\n");
}

}  // namespace

std::string DocumentTypeLabel(v1::DocumentType type) {
  switch (type) {
    case v1::DOCUMENT_TYPE_PLAN_EXECUTION_REPORT: return "plan execution report";
    case v1::DOCUMENT_TYPE_WORK_REPORT: return "work report";
    case v1::DOCUMENT_TYPE_DIVISION_PLAN: return "division plan";
    case v1::DOCUMENT_TYPE_STATISTICAL_BULLETIN: return "statistical bulletin";
    case v1::DOCUMENT_TYPE_OTHER: return "other document";
    default: return "unknown type";
  }
}

std::string FormatDeliveries(const v1::Document& document) {
  std::vector<std::string> parts;
  for (const v1::Delivery& d : document.deliveries()) {
    parts.push_back(absl::StrCat(d.target(), ": ", StateLabel(d), LeftOutNote(d)));
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, " · ");
}

std::string FormatIngestSummary(const v1::IngestDocumentResponse& response, const SummaryOptions& options) {
  const v1::Document& doc = response.document();
  const v1::DocumentMetadata& m = doc.metadata();
  const char* status = options.dry_run ? "dry run, nothing stored" : response.created() ? "new" : "already stored";
  std::string out = absl::StrCat(doc.id(), "  ", status, "  ", m.title().empty() ? "(untitled)" : m.title(), "\n");
  absl::StrAppend(&out, "    file       ",
                  Dotted({doc.filename(), absl::StrCat(doc.size_bytes(), " bytes"), FormatLabel(m.format()),
                          m.encoding()}),
                  "\n");
  absl::StrAppend(&out, "    document   ",
                  Dotted({DocumentTypeLabel(m.type()), m.region(), m.period().empty() && m.year() != 0
                                                                       ? std::to_string(m.year())
                                                                       : m.period(),
                          m.issuer(), m.document_number(),
                          m.published_date().empty() ? "" : absl::StrCat("published ", m.published_date())}),
                  "\n");
  absl::StrAppend(&out, "    extracted  ", doc.observation_count(), " figures, ", doc.task_count(), " tasks",
                  doc.extractor_version().empty() ? "" : absl::StrCat(" (extractor ", doc.extractor_version(), ")"),
                  "\n");
  if (!options.dry_run) absl::StrAppend(&out, "    delivery   ", FormatDeliveries(doc), "\n");
  for (const v1::Delivery& d : doc.deliveries()) {
    if (options.dry_run && d.left_out() > 0) {
      absl::StrAppend(&out, "    would send ", d.target(), " without ", d.left_out(), ": ", d.left_out_reason(), "\n");
    }
  }
  for (const std::string& w : response.extraction().warnings()) absl::StrAppend(&out, "    warning    ", w, "\n");
  AppendList("figures", response.extraction().observations(), options.max_observations, ObservationLine, &out);
  AppendList("tasks", response.extraction().tasks(), options.max_tasks, TaskLine, &out);
  return out;
}

}  // namespace luoshi::ingestion
