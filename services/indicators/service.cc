#include "services/indicators/service.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/enums.h"
#include "services/common/decimal.h"
#include "services/common/fnv.h"
#include "services/common/paging.h"
#include "services/common/status_macros.h"
#include "services/common/wire.h"
#include "services/indicators/compare.h"
#include "services/indicators/csv.h"
#include "services/indicators/errors.h"
#include "services/common/period.h"
#include "services/indicators/measurement_units.h"

namespace luoshi::indicators {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kOutsideCatalogPrefix[] = "~";

// ---- Comparison bases -------------------------------------------------------------------------------

bool IsYearOnYear(const std::string& base) {
  static const std::set<std::string>* words = new std::set<std::string>{
      "", "同比", "上年", "上年同期", "去年", "去年同期", "同期", "上一年", "上年度"};
  return words->count(base) > 0;
}

// ---- Page tokens ------------------------------------------------------------------------------------
// The fingerprint of a normalized filter (FNV-1a), part of a page token's scope (paging.h): a token from
// another query is refused instead of silently skipping rows.

std::string FilterFingerprint(const ObservationFilter& f) {
  auto opt = [](const std::optional<int>& v) { return v ? absl::StrCat(*v) : std::string("-"); };
  std::string canonical =
      absl::StrCat(absl::StrJoin(f.indicator_keys, "\x1f"), "\x1e", absl::StrJoin(f.region_keys, "\x1f"),
                   "\x1e", opt(f.start_from), "\x1e", opt(f.start_to), "\x1e", f.measure, "\x1e", f.status,
                   "\x1e", f.document_id, "\x1e", f.all_vintages ? 1 : 0);
  return absl::StrCat(absl::Hex(Fnv1a64(canonical)));
}

// A page cursor as the text inside a page token (paging.h): start key, end key and sequence.
std::string CursorText(const PageCursor& c) { return absl::StrCat(c.start_key, "|", c.end_key, "|", c.sequence); }

absl::StatusOr<PageCursor> CursorFrom(const std::string& token, const std::string& scope) {
  LUOSHI_ASSIGN_OR_RETURN(std::string text, DecodePageToken(token, scope));
  std::vector<std::string> parts = absl::StrSplit(text, '|');
  PageCursor c;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &c.start_key) || !absl::SimpleAtoi(parts[1], &c.end_key) ||
      !absl::SimpleAtoi(parts[2], &c.sequence)) {
    return InvalidPageToken();
  }
  return c;
}

// ---- Validation of recorded observations -------------------------------------------------------------

// Substring match, ignoring ASCII case ("gdp" finds "GDP"); Chinese text matches as written.
bool ContainsFolded(const std::string& text, const std::string& needle) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(needle));
}

// The reason an observation's figure is unusable, or "" when it is fine.
std::string FigureProblem(const v1::Observation& o) {
  if (!o.has_value() && o.qualitative_text().empty()) {
    return "it has neither a value nor qualitative text; send the number (with unit) or the words of a "
           "qualitative figure";
  }
  if (o.has_value()) {
    int scale = o.value().value().scale();
    if (scale < -18 || scale > 18) return absl::StrCat("value scale ", scale, " is outside -18..18");
    absl::Status unit = CheckUnitFitsMeasure(o.measure(), o.value().unit());
    if (!unit.ok()) return std::string(unit.message());
  }
  if (o.bound() == v1::BOUND_RANGE) {
    if (!o.has_value() || !o.has_upper_value())
      return "a range (BOUND_RANGE) needs both value and upper_value";
    // A fall may arrive with a negative value; its range is then judged on magnitudes (下降3至5%).
    const bool fall = o.change_direction() == v1::CHANGE_DIRECTION_DOWN;
    auto magnitude = [fall](const v1::Decimal& d) {
      return fall && d.unscaled() < 0 ? MakeDecimal(-d.unscaled(), d.scale()) : d;
    };
    if (CompareDecimal(magnitude(o.upper_value()), magnitude(o.value().value())) < 0) {
      return "upper_value is below value";
    }
  } else if (o.has_upper_value()) {
    return "upper_value is only meaningful with bound BOUND_RANGE";
  }
  return "";
}

int64_t Micros(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToMicroseconds(t); }

}  // namespace

std::string NormalizeComparisonBase(const std::string& base) {
  std::string b(absl::StripAsciiWhitespace(base));
  for (const char* prefix : {"比", "较", "与"}) {
    if (absl::StartsWith(b, prefix)) {
      b = b.substr(std::string(prefix).size());
      break;
    }
  }
  return IsYearOnYear(b) ? "" : b;
}

IndicatorLogic::IndicatorLogic(const CatalogIndex* catalog, ObservationStore* store, const Clock* clock)
    : catalog_(catalog), store_(store), clock_(clock) {
  for (const v1::Region& r : catalog_->catalog().regions()) {
    if (!r.parent_id().empty()) children_.emplace(r.parent_id(), r.id());
  }
  for (int i = 0; i < catalog_->catalog().indicators_size(); ++i) {
    positions_.emplace(catalog_->catalog().indicators(i).id(), i);
  }
}

// ---- Name resolution --------------------------------------------------------------------------------

std::string IndicatorLogic::IndicatorKey(const std::string& id_or_name) const {
  const v1::Indicator* i = catalog_->FindIndicator(id_or_name);
  return i ? i->id() : absl::StrCat(kOutsideCatalogPrefix, id_or_name);
}

std::string IndicatorLogic::RegionKey(const std::string& id_or_name) const {
  const std::string name(absl::StripAsciiWhitespace(id_or_name));
  const v1::Region* r = catalog_->FindRegion(name);
  return r ? r->id() : name;
}

std::vector<std::string> IndicatorLogic::RegionWithDescendants(const std::string& region_key) const {
  std::vector<std::string> out = {region_key};
  for (size_t i = 0; i < out.size(); ++i) {
    auto [begin, end] = children_.equal_range(out[i]);
    for (auto it = begin; it != end; ++it) {
      if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
    }
  }
  return out;
}

const v1::Indicator* IndicatorLogic::IndicatorOf(const v1::Observation& o) const {
  return o.indicator_id().empty() ? nullptr : catalog_->FindIndicator(o.indicator_id());
}

int IndicatorLogic::CatalogPosition(const v1::Observation& o) const {
  auto it = positions_.find(o.indicator_id());
  return it == positions_.end() ? catalog_->catalog().indicators_size() : it->second;
}

// ---- Catalog ----------------------------------------------------------------------------------------

absl::StatusOr<v1::ListIndicatorsResponse> IndicatorLogic::ListIndicators(const Identity& /*caller*/,
                                                                   const v1::ListIndicatorsRequest& request) const {
  v1::ListIndicatorsResponse response;
  for (const v1::Indicator& i : catalog_->catalog().indicators()) {
    if (!request.category().empty() && i.category() != request.category()) continue;
    bool matches = request.query().empty() || ContainsFolded(i.id(), request.query()) ||
                   ContainsFolded(i.name(), request.query());
    for (const std::string& alias : i.aliases()) {
      matches = matches || ContainsFolded(alias, request.query());
    }
    if (matches) *response.add_indicators() = i;
  }
  return response;
}

absl::StatusOr<v1::Indicator> IndicatorLogic::GetIndicator(const Identity& /*caller*/,
                                                   const v1::GetIndicatorRequest& request) const {
  if (request.id().empty())
    return MissingField("id", "give an indicator id, name or alias (gdp, 地区生产总值, GDP)");
  const v1::Indicator* i = catalog_->FindIndicator(std::string(absl::StripAsciiWhitespace(request.id())));
  if (!i) return IndicatorNotFound(request.id());
  return *i;
}

absl::StatusOr<v1::ListRegionsResponse> IndicatorLogic::ListRegions(const Identity& /*caller*/,
                                                             const v1::ListRegionsRequest& /*request*/) const {
  v1::ListRegionsResponse response;
  for (const v1::Region& r : catalog_->catalog().regions()) *response.add_regions() = r;
  return response;
}

// ---- Recording --------------------------------------------------------------------------------------

absl::StatusOr<ObservationRecord> IndicatorLogic::Normalize(int index, const v1::Observation& in) const {
  auto invalid = [&](const std::string& reason) {
    return InvalidObservation(index, in.source_key(), reason);
  };
  if (in.source_key().empty()) {
    return invalid(
        "source_key is empty; every figure needs a stable key (ingestion uses document hash + item index)");
  }
  ObservationRecord r;
  r.observation = in;
  v1::Observation& o = r.observation;
  if (!o.indicator_id().empty()) {
    const v1::Indicator* i = catalog_->FindIndicator(o.indicator_id());
    if (!i) {
      return invalid(absl::StrCat("indicator_id \"", o.indicator_id(),
                                  "\" is not in the catalog; leave it empty and set surface_name for figures "
                                  "outside the catalog"));
    }
    o.set_indicator_id(i->id());
  } else if (o.surface_name().empty()) {
    return invalid("neither indicator_id nor surface_name is set; say which indicator the figure is about");
  } else if (const v1::Indicator* i = catalog_->FindIndicator(o.surface_name())) {
    o.set_indicator_id(i->id());
  }
  r.indicator_key =
      o.indicator_id().empty() ? absl::StrCat(kOutsideCatalogPrefix, o.surface_name()) : o.indicator_id();
  if (absl::StripAsciiWhitespace(o.region()).empty()) {
    return invalid("region is empty; name the region (大兴区) or give its catalog id");
  }
  r.region_key = RegionKey(o.region());
  o.set_region(r.region_key);
  absl::StatusOr<Period> period = ParsePeriod(o.period());
  if (!period.ok()) return invalid(std::string(period.status().message()));
  r.period = *period;
  o.set_period(FormatPeriod(*period));
  for (const absl::Status& known :
       {CheckEnumValue("status", o.status(), v1::ObservationStatus_descriptor()),
        CheckEnumValue("measure", o.measure(), v1::Measure_descriptor()),
        CheckEnumValue("bound", o.bound(), v1::Bound_descriptor()),
        CheckEnumValue("change_direction", o.change_direction(), v1::ChangeDirection_descriptor())}) {
    if (!known.ok()) return invalid(std::string(known.message()));
  }
  if (o.status() == v1::OBSERVATION_STATUS_UNSPECIFIED) {
    return invalid("status is unspecified; say whether the figure is an actual, a target or a forecast");
  }
  if (o.measure() == v1::MEASURE_UNSPECIFIED) {
    return invalid("measure is unspecified; say whether the figure is a level, a growth rate, a pp change …");
  }
  if (std::string problem = FigureProblem(o); !problem.empty()) return invalid(problem);
  r.base_key = NormalizeComparisonBase(o.comparison_base());
  r.as_of_micros = Micros(o.as_of());
  r.recorded_at_micros = absl::ToUnixMicros(clock_->Now());
  return r;
}

absl::StatusOr<v1::RecordObservationsResponse> IndicatorLogic::RecordObservations(
    const Identity& caller, const v1::RecordObservationsRequest& request) {
  // Figures come from documents through the ingestion service (role service); an administrator may
  // correct them by hand. Everyone else reads (docs/authorization.md).
  LUOSHI_RETURN_IF_ERROR(RequireRole(caller, {Role::kAdmin, Role::kService}, "record observations"));
  v1::RecordObservationsResponse response;
  if (request.observations_size() > kMaxObservationBatch) {
    return absl::InvalidArgumentError(absl::StrCat("a batch holds ", request.observations_size(),
                                                   " observations; send at most ", kMaxObservationBatch,
                                                   " per call"));
  }
  std::vector<ObservationRecord> records;
  records.reserve(request.observations_size());
  for (int i = 0; i < request.observations_size(); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(ObservationRecord r, Normalize(i, request.observations(i)));
    records.push_back(std::move(r));
  }
  LUOSHI_ASSIGN_OR_RETURN(RecordOutcome outcome, store_->Record(records));
  response.set_recorded(outcome.recorded);
  response.set_unchanged(outcome.unchanged);
  return response;
}

// ---- Queries ----------------------------------------------------------------------------------------

absl::StatusOr<ObservationFilter> IndicatorLogic::FilterFrom(
    const v1::QueryObservationsRequest& request) const {
  ObservationFilter f;
  for (const std::string& id : request.indicator_ids()) f.indicator_keys.push_back(IndicatorKey(id));
  if (!request.region().empty()) {
    std::string key = RegionKey(request.region());
    f.region_keys =
        request.include_child_regions() ? RegionWithDescendants(key) : std::vector<std::string>{key};
  }
  if (!request.period_from().empty()) {
    absl::StatusOr<Period> p = ParsePeriod(request.period_from());
    if (!p.ok()) return InvalidPeriodFilter("period_from", std::string(p.status().message()));
    f.start_from = p->StartKey();
  }
  if (!request.period_to().empty()) {
    absl::StatusOr<Period> p = ParsePeriod(request.period_to());
    if (!p.ok()) return InvalidPeriodFilter("period_to", std::string(p.status().message()));
    f.start_to = p->EndKey();  // periods that start within period_to are included
  }
  LUOSHI_RETURN_IF_ERROR(CheckEnumValue("measure", request.measure(), v1::Measure_descriptor()));
  LUOSHI_RETURN_IF_ERROR(CheckEnumValue("status", request.status(), v1::ObservationStatus_descriptor()));
  f.measure = request.measure();
  f.status = request.status();
  f.document_id = request.document_id();
  f.all_vintages = request.all_vintages();
  return f;
}

absl::StatusOr<v1::QueryObservationsResponse> IndicatorLogic::QueryObservations(
    const Identity& caller, const v1::QueryObservationsRequest& request) const {
  LUOSHI_ASSIGN_OR_RETURN(std::string bytes, QueryObservationsWire(caller, request));
  v1::QueryObservationsResponse response;
  if (!response.ParseFromString(bytes)) return absl::DataLossError("a stored observation cannot be decoded");
  return response;
}

absl::StatusOr<std::string> IndicatorLogic::QueryObservationsWire(const Identity& /*caller*/,
                                                           const v1::QueryObservationsRequest& request) const {
  std::string response;
  LUOSHI_ASSIGN_OR_RETURN(ObservationFilter filter, FilterFrom(request));
  LUOSHI_ASSIGN_OR_RETURN(int size, PageSizeOf(request.page().page_size()));
  const std::string scope = PageScope({"QueryObservations", FilterFingerprint(filter)});
  std::optional<PageCursor> after;
  if (!request.page().page_token().empty()) {
    LUOSHI_ASSIGN_OR_RETURN(PageCursor c, CursorFrom(request.page().page_token(), scope));
    after = c;
  }
  LUOSHI_ASSIGN_OR_RETURN(ObservationBytesPage page, store_->QueryBytes(filter, after, size));
  size_t total = 0;
  for (const StoredObservationBytes& s : page.observations) total += s.wire.size() + 4;
  response.reserve(total + 64);
  for (const StoredObservationBytes& s : page.observations) {
    wire::AppendBytesField(v1::QueryObservationsResponse::kObservationsFieldNumber, s.wire, &response);
  }
  if (page.next) {
    wire::AppendBytesField(v1::QueryObservationsResponse::kNextPageTokenFieldNumber,
                           EncodePageToken(scope, CursorText(*page.next)), &response);
  }
  return response;
}

namespace {

// Series points are keyed by period, then measure and comparison base (each its own line); the vintages
// of one point come newest first: latest as_of first, then the later recording first.
bool PointOrder(const StoredObservationBytes* a, const StoredObservationBytes* b) {
  if (a->start_key != b->start_key) return a->start_key < b->start_key;
  if (a->end_key != b->end_key) return a->end_key < b->end_key;
  if (a->measure != b->measure) return a->measure < b->measure;
  if (a->base_key != b->base_key) return a->base_key < b->base_key;
  if (a->as_of_micros != b->as_of_micros) return a->as_of_micros > b->as_of_micros;
  return a->sequence > b->sequence;
}

bool SamePoint(const StoredObservationBytes* a, const StoredObservationBytes* b) {
  return a->start_key == b->start_key && a->end_key == b->end_key && a->measure == b->measure &&
         a->base_key == b->base_key;
}

}  // namespace

absl::StatusOr<v1::Series> IndicatorLogic::GetSeries(const Identity& caller, const v1::GetSeriesRequest& request) const {
  LUOSHI_ASSIGN_OR_RETURN(std::string bytes, GetSeriesWire(caller, request));
  v1::Series response;
  if (!response.ParseFromString(bytes)) return absl::DataLossError("a stored observation cannot be decoded");
  return response;
}

absl::StatusOr<std::string> IndicatorLogic::GetSeriesWire(const Identity& /*caller*/,
                                                   const v1::GetSeriesRequest& request) const {
  std::string response;
  if (request.indicator_id().empty())
    return MissingField("indicator_id", "give an indicator id, name or alias");
  if (request.region().empty()) return MissingField("region", "give a region name, alias or id (大兴区)");
  LUOSHI_RETURN_IF_ERROR(CheckEnumValue("measure", request.measure(), v1::Measure_descriptor()));
  LUOSHI_RETURN_IF_ERROR(CheckEnumValue("status", request.status(), v1::ObservationStatus_descriptor()));
  ObservationFilter f;
  f.indicator_keys = {IndicatorKey(request.indicator_id())};
  f.region_keys = {RegionKey(request.region())};
  f.status = request.status() == v1::OBSERVATION_STATUS_UNSPECIFIED ? v1::OBSERVATION_STATUS_ACTUAL
                                                                    : request.status();
  f.measure = request.measure();
  f.all_vintages = request.include_history();
  f.any_order = true;  // the points are sorted below
  LUOSHI_ASSIGN_OR_RETURN(ObservationBytesPage rows, store_->QueryBytes(f, std::nullopt, 0));
  const v1::Indicator* indicator = catalog_->FindIndicator(request.indicator_id());
  const v1::Region* region = catalog_->FindRegion(f.region_keys[0]);
  if (rows.observations.empty() && !indicator) return IndicatorNotFound(request.indicator_id());
  if (rows.observations.empty() && !region) return RegionNotFound(request.region());
  size_t total = 0;
  for (const StoredObservationBytes& s : rows.observations) total += s.wire.size() + s.period.size() + 8;
  response.reserve(total + 512);
  if (indicator) {
    wire::AppendMessageField(v1::Series::kIndicatorFieldNumber, *indicator, &response);
  } else {
    v1::Indicator named;
    named.set_name(request.indicator_id());
    wire::AppendMessageField(v1::Series::kIndicatorFieldNumber, named, &response);
  }
  if (region) {
    wire::AppendMessageField(v1::Series::kRegionFieldNumber, *region, &response);
  } else {
    v1::Region named;
    named.set_id(f.region_keys[0]);
    named.set_name(f.region_keys[0]);
    wire::AppendMessageField(v1::Series::kRegionFieldNumber, named, &response);
  }
  std::vector<const StoredObservationBytes*> order;
  order.reserve(rows.observations.size());
  for (const StoredObservationBytes& s : rows.observations) order.push_back(&s);
  std::sort(order.begin(), order.end(), PointOrder);
  for (size_t first = 0; first < order.size();) {
    size_t end = first + 1;
    while (end < order.size() && SamePoint(order[first], order[end])) ++end;
    // SeriesPoint: the period, the newest vintage, then the older ones as history.
    size_t point_size =
        wire::BytesFieldSize(v1::SeriesPoint::kPeriodFieldNumber, order[first]->period.size()) +
        wire::BytesFieldSize(v1::SeriesPoint::kObservationFieldNumber, order[first]->wire.size());
    for (size_t i = first + 1; i < end; ++i) {
      point_size += wire::BytesFieldSize(v1::SeriesPoint::kHistoryFieldNumber, order[i]->wire.size());
    }
    wire::AppendBytesHeader(v1::Series::kPointsFieldNumber, point_size, &response);
    wire::AppendBytesField(v1::SeriesPoint::kPeriodFieldNumber, order[first]->period, &response);
    wire::AppendBytesField(v1::SeriesPoint::kObservationFieldNumber, order[first]->wire, &response);
    for (size_t i = first + 1; i < end; ++i) {
      wire::AppendBytesField(v1::SeriesPoint::kHistoryFieldNumber, order[i]->wire, &response);
    }
    first = end;
  }
  return response;
}

// ---- Targets ----------------------------------------------------------------------------------------

namespace {

std::string IndicatorKeyOf(const v1::Observation& o) {
  return o.indicator_id().empty() ? absl::StrCat(kOutsideCatalogPrefix, o.surface_name()) : o.indicator_id();
}

using CellKey = std::tuple<std::string, std::string, int, std::string>;  // indicator, period, measure, base

CellKey CellOf(const v1::Observation& o) {
  return {IndicatorKeyOf(o), o.period(), static_cast<int>(o.measure()),
          NormalizeComparisonBase(o.comparison_base())};
}

// The actual a target is judged against: same indicator, period, measure and base; for a qualitative target
// any actual of the indicator and period (so the reader sees what happened).
const v1::Observation* FindActual(const v1::Observation& target,
                                  const std::map<CellKey, v1::Observation>& actuals) {
  if (target.has_value() && target.measure() != v1::MEASURE_QUALITATIVE) {
    auto it = actuals.find(CellOf(target));
    return it == actuals.end() ? nullptr : &it->second;
  }
  for (const auto& [key, actual] : actuals) {
    if (std::get<0>(key) == IndicatorKeyOf(target) && std::get<1>(key) == target.period()) return &actual;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<v1::CompareTargetsResponse> IndicatorLogic::CompareTargets(const Identity& /*caller*/,
                                                                   const v1::CompareTargetsRequest& request) const {
  v1::CompareTargetsResponse response;
  if (request.region().empty()) return MissingField("region", "give a region name, alias or id (大兴区)");
  if (request.year() < 1900 || request.year() > 2999) {
    return MissingField("year", absl::StrCat("give the target year, e.g. 2023 (got ", request.year(), ")"));
  }
  ObservationFilter f;
  f.region_keys = {RegionKey(request.region())};
  f.start_from = YearPeriod(request.year()).StartKey();
  f.start_to = YearPeriod(request.year()).EndKey();
  f.status = v1::OBSERVATION_STATUS_TARGET;
  LUOSHI_ASSIGN_OR_RETURN(ObservationPage targets, store_->Query(f, std::nullopt, 0));
  f.status = v1::OBSERVATION_STATUS_ACTUAL;
  LUOSHI_ASSIGN_OR_RETURN(ObservationPage actual_rows, store_->Query(f, std::nullopt, 0));
  if (targets.observations.empty() && actual_rows.observations.empty() &&
      !catalog_->FindRegion(f.region_keys[0])) {
    return RegionNotFound(request.region());
  }
  std::map<CellKey, v1::Observation> actuals;
  for (StoredObservation& s : actual_rows.observations)
    actuals[CellOf(s.observation)] = std::move(s.observation);
  std::vector<v1::Observation> ordered;
  for (StoredObservation& s : targets.observations) ordered.push_back(std::move(s.observation));
  std::stable_sort(ordered.begin(), ordered.end(),
                   [this](const v1::Observation& a, const v1::Observation& b) {
                     return CatalogPosition(a) < CatalogPosition(b);
                   });
  for (const v1::Observation& target : ordered) {
    *response.add_comparisons() = JudgeTarget(target, FindActual(target, actuals), IndicatorOf(target));
  }
  return response;
}

// ---- Export -----------------------------------------------------------------------------------------

absl::Status IndicatorLogic::ExportObservations(const Identity& /*caller*/, const v1::ExportObservationsRequest& request,
                                                  const std::function<bool(const std::string&)>& sink,
                                                  size_t chunk_bytes) const {
  LUOSHI_ASSIGN_OR_RETURN(ObservationFilter filter, FilterFrom(request.filter()));
  std::string buffer = kUtf8Bom;
  AppendCsvRecord(ObservationCsvHeader(), &buffer);
  std::optional<PageCursor> after;
  do {
    LUOSHI_ASSIGN_OR_RETURN(ObservationPage page, store_->Query(filter, after, kMaxPageSize));
    for (const StoredObservation& s : page.observations) {
      const v1::Indicator* indicator = IndicatorOf(s.observation);
      const v1::Region* region = catalog_->FindRegion(s.observation.region());
      AppendCsvRecord(ObservationCsvFields(s.observation, indicator ? indicator->name() : "",
                                           region ? region->name() : s.observation.region()),
                      &buffer);
      if (buffer.size() >= chunk_bytes) {
        if (!sink(buffer)) return absl::CancelledError("the export was abandoned by the client");
        buffer.clear();
      }
    }
    after = page.next;
  } while (after);
  if (!buffer.empty() && !sink(buffer)) return absl::CancelledError("the export was abandoned by the client");
  return absl::OkStatus();
}

}  // namespace luoshi::indicators
