#include "services/ingestion/service.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/paging.h"
#include "services/common/status_macros.h"
#include "services/common/time.h"
#include "services/ingestion/errors.h"
#include "services/ingestion/ids.h"

namespace luoshi::ingestion {
namespace {


v1::DeliveryState ProtoState(OutboxState state) {
  switch (state) {
    case OutboxState::kDelivered: return v1::DELIVERY_STATE_DELIVERED;
    case OutboxState::kNotNeeded: return v1::DELIVERY_STATE_NOT_NEEDED;
    case OutboxState::kFailed: return v1::DELIVERY_STATE_FAILED;  // last_error says why
    // Superseded entries belong to older generations, which GetDocument does not show.
    case OutboxState::kPending:
    case OutboxState::kSuperseded: return v1::DELIVERY_STATE_PENDING;
  }
  return v1::DELIVERY_STATE_UNSPECIFIED;
}

v1::Delivery DeliveryProto(const OutboxEntry& entry) {
  v1::Delivery d;
  d.set_target(entry.target);
  d.set_state(ProtoState(entry.state));
  d.set_attempts(entry.attempts);
  d.set_last_error(entry.last_error);
  if (entry.next_attempt_at) *d.mutable_next_attempt_at() = ToTimestamp(*entry.next_attempt_at);
  if (entry.delivered_at) *d.mutable_delivered_at() = ToTimestamp(*entry.delivered_at);
  d.set_left_out(entry.left_out);
  d.set_left_out_reason(entry.left_out_reason);
  return d;
}

// Keys and provenance that make every item traceable to this document and safe to re-deliver.
void StampIdentity(const std::string& sha256, const std::string& document_id, v1::Extraction* extraction) {
  for (int i = 0; i < extraction->observations_size(); ++i) {
    v1::Observation* o = extraction->mutable_observations(i);
    o->set_source_key(ObservationSourceKey(sha256, i));
    o->mutable_provenance()->set_document_id(document_id);
  }
  for (v1::TaskDefinition& t : *extraction->mutable_tasks()) {
    t.mutable_provenance()->set_document_id(document_id);
  }
}

DocumentRecord NewRecord(const v1::IngestDocumentRequest& request, const std::string& sha256, absl::Time now) {
  DocumentRecord r;
  r.sha256 = sha256;
  r.id = DocumentIdForSha256(sha256);
  r.filename = request.filename();
  r.content_type = request.content_type();
  r.size_bytes = static_cast<int64_t>(request.content().size());
  r.region_hint = request.region_hint();
  r.year_hint = request.year_hint();
  r.ingested_at = now;
  return r;
}

ExtractRequest ExtractRequestFor(const DocumentRecord& record) {
  ExtractRequest r;
  r.filename = record.filename;
  r.content_type = record.content_type;
  r.region_hint = record.region_hint;
  r.year_hint = record.year_hint;
  r.document_id = record.id;
  r.source_key_prefix = absl::StrCat(record.sha256, ":obs");
  return r;
}

// The record's extraction-derived fields as the store would set them (for dry runs, which store nothing).
void ApplyExtraction(const v1::Extraction& extraction, DocumentRecord* record) {
  record->metadata = extraction.metadata();
  record->observation_count = extraction.observations_size();
  record->task_count = extraction.tasks_size();
  record->extractor_version = extraction.extractor_version();
}

}  // namespace

namespace {

// ListDocuments pages within one filter: a token of another filter is refused (paging.h).
std::string DocumentsScope(const v1::ListDocumentsRequest& request) {
  return PageScope({"ListDocuments", absl::StrCat(static_cast<int>(request.type())), request.region(),
                    absl::StrCat(request.year())});
}

}  // namespace

std::string EncodePageToken(const v1::ListDocumentsRequest& request, int64_t before_position) {
  return luoshi::EncodePageToken(DocumentsScope(request), absl::StrCat(before_position));
}

absl::StatusOr<int64_t> DecodePageToken(const v1::ListDocumentsRequest& request) {
  LUOSHI_ASSIGN_OR_RETURN(std::string cursor,
                          luoshi::DecodePageToken(request.page().page_token(), DocumentsScope(request)));
  int64_t position = 0;
  if (!absl::SimpleAtoi(cursor, &position) || position <= 0) return InvalidPageToken();
  return position;
}

namespace {

bool ValidYearHint(int year) { return year == 0 || (year >= kMinYearHint && year <= kMaxYearHint); }

// Why figures were kept out of the indicator delivery, and how the user brings them in.
std::string LeftOutReason(const std::string& document_id, int without_period, int without_region) {
  std::vector<std::string> parts;
  auto figures = [](int n) { return absl::StrCat(n, n == 1 ? " figure has" : " figures have"); };
  if (without_period > 0) {
    parts.push_back(absl::StrCat(figures(without_period),
                                 " no period (neither the sentence nor the document gives a year): "
                                 "reprocess with a year hint, e.g. luoshi reprocess ",
                                 document_id, " --year YYYY"));
  }
  if (without_region > 0) {
    parts.push_back(absl::StrCat(figures(without_region),
                                 " no region (the document does not name one): reprocess with a region hint, "
                                 "e.g. luoshi reprocess ",
                                 document_id, " --region NAME"));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

std::vector<NewDelivery> DeliveriesFor(const DocumentRecord& record, const v1::Extraction& extraction,
                                       const Identity& uploader) {
  NewDelivery indicators{kIndicatorsTarget, ""};
  // The indicator service files every figure under a period and a region; one without either cannot
  // be stored, and would make it refuse the whole batch. Such figures stay in the extraction and are
  // counted here instead of being sent.
  v1::RecordObservationsRequest request;
  int without_period = 0;
  int without_region = 0;
  for (const v1::Observation& o : extraction.observations()) {
    const bool no_period = absl::StripAsciiWhitespace(o.period()).empty();
    const bool no_region = absl::StripAsciiWhitespace(o.region()).empty();
    without_period += no_period;
    without_region += no_region;
    if (no_period || no_region) {
      ++indicators.left_out;
      continue;
    }
    *request.add_observations() = o;
  }
  if (request.observations_size() > 0) indicators.payload = request.SerializeAsString();
  if (indicators.left_out > 0) indicators.left_out_reason = LeftOutReason(record.id, without_period, without_region);
  NewDelivery tasks{kTasksTarget, ""};
  if (extraction.tasks_size() > 0 && uploader.role != Role::kAdmin && uploader.role != Role::kSupervisor) {
    // The task service would refuse the import (only supervisors and administrators import plans), and
    // retrying would not change that: the plan stays in the extraction until one of them reprocesses it.
    tasks.left_out = extraction.tasks_size();
    tasks.left_out_reason = absl::StrCat(
        "the plan's ", extraction.tasks_size(), " tasks were not sent to the task service: role ",
        RoleName(uploader.role), " may not import plans; a supervisor or administrator imports them with "
        "luoshi reprocess ", record.id);
  } else if (extraction.tasks_size() > 0) {
    const v1::DocumentMetadata& m = extraction.metadata();
    v1::ImportPlanRequest request;
    request.set_document_id(record.id);
    request.set_document_sha256(record.sha256);
    request.set_plan_key(PlanKeyFor(m));
    request.set_title(m.title());
    request.set_year(m.year());
    request.set_region(m.region());
    *request.mutable_tasks() = extraction.tasks();
    *request.mutable_on_behalf_of() = PrincipalOf(uploader);
    tasks.payload = request.SerializeAsString();
  }
  return {indicators, tasks};
}

absl::Status CheckMayIngest(const Identity& caller) {
  return RequireRole(caller, {Role::kAdmin, Role::kSupervisor, Role::kOffice}, "ingest or reprocess documents");
}

v1::Document DocumentProto(const DocumentRecord& record, const std::vector<OutboxEntry>& deliveries) {
  v1::Document d;
  d.set_id(record.id);
  d.set_sha256(record.sha256);
  d.set_filename(record.filename);
  d.set_content_type(record.content_type);
  d.set_size_bytes(record.size_bytes);
  *d.mutable_metadata() = record.metadata;
  d.set_observation_count(record.observation_count);
  d.set_task_count(record.task_count);
  for (const OutboxEntry& e : deliveries) *d.add_deliveries() = DeliveryProto(e);
  *d.mutable_ingested_at() = ToTimestamp(record.ingested_at);
  d.set_extractor_version(record.extractor_version);
  return d;
}

IngestionLogic::IngestionLogic(DocumentStore* store, const ExtractionEngine* engine, const Clock* clock,
                                   IngestionOptions options, std::function<void()> on_outbox_queued)
    : store_(store),
      engine_(engine),
      clock_(clock),
      options_(options),
      on_outbox_queued_(std::move(on_outbox_queued)) {}

absl::Status IngestionLogic::Validate(const v1::IngestDocumentRequest& request) const {
  const auto size = static_cast<int64_t>(request.content().size());
  if (size == 0) return EmptyDocument(request.filename());
  if (!ValidYearHint(request.year_hint())) return InvalidYearHint(request.year_hint());
  if (size > options_.max_document_bytes) {
    return DocumentTooLarge(request.filename(), size, options_.max_document_bytes);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::IngestDocumentResponse> IngestionLogic::IngestDocument(
    const Identity& caller, const v1::IngestDocumentRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayIngest(caller));
  LUOSHI_RETURN_IF_ERROR(Validate(request));
  const std::string sha256 = Sha256Hex(request.content());
  if (!request.dry_run()) {
    absl::StatusOr<DocumentRecord> existing = store_->FindBySha256(sha256);
    if (existing.ok()) return Existing(*existing);
    if (!absl::IsNotFound(existing.status())) return existing.status();
  }
  DocumentRecord record = NewRecord(request, sha256, clock_->Now());
  LUOSHI_ASSIGN_OR_RETURN(auto extraction, RunExtraction(request.content(), sha256, ExtractRequestFor(record)));
  if (request.dry_run()) {
    ApplyExtraction(extraction, &record);
    v1::IngestDocumentResponse response;
    *response.mutable_document() = DocumentProto(record, {});
    // Nothing is sent, but what a real ingest would leave out is worth knowing before it.
    for (const NewDelivery& planned : DeliveriesFor(record, extraction, caller)) {
      v1::Delivery* d = response.mutable_document()->add_deliveries();
      d->set_target(planned.target);
      d->set_state(v1::DELIVERY_STATE_NOT_NEEDED);
      d->set_left_out(planned.left_out);
      d->set_left_out_reason(planned.left_out_reason);
    }
    *response.mutable_extraction() = std::move(extraction);
    response.set_created(false);
    return response;
  }
  return StoreNew(caller, request, record, std::move(extraction));
}

absl::StatusOr<v1::IngestDocumentResponse> IngestionLogic::StoreNew(const Identity& caller,
                                                                      const v1::IngestDocumentRequest& request,
                                                                      const DocumentRecord& record,
                                                                      v1::Extraction extraction) {
  absl::Status created =
      store_->CreateDocument(record, request.content(), extraction, DeliveriesFor(record, extraction, caller));
  if (absl::IsAlreadyExists(created)) {
    // Someone stored the same bytes between our lookup and our insert: theirs is the document.
    absl::StatusOr<DocumentRecord> existing = store_->FindBySha256(record.sha256);
    if (absl::IsNotFound(existing.status())) return DocumentIdCollision(record.id);
    if (!existing.ok()) return existing.status();
    return Existing(*existing);
  }
  if (!created.ok()) return created;
  NotifyQueued();
  LUOSHI_ASSIGN_OR_RETURN(DocumentRecord stored, store_->GetDocument(record.id));
  LUOSHI_ASSIGN_OR_RETURN(v1::Document document, ToDocument(stored));
  v1::IngestDocumentResponse response;
  *response.mutable_document() = std::move(document);
  *response.mutable_extraction() = std::move(extraction);
  response.set_created(true);
  return response;
}

absl::StatusOr<v1::IngestDocumentResponse> IngestionLogic::Existing(const DocumentRecord& record) const {
  LUOSHI_ASSIGN_OR_RETURN(v1::Document document, ToDocument(record));
  LUOSHI_ASSIGN_OR_RETURN(v1::Extraction extraction, store_->GetExtraction(record.id));
  v1::IngestDocumentResponse response;
  *response.mutable_document() = std::move(document);
  *response.mutable_extraction() = std::move(extraction);
  response.set_created(false);
  return response;
}

absl::StatusOr<v1::Extraction> IngestionLogic::RunExtraction(const std::string& bytes, const std::string& sha256,
                                                               const ExtractRequest& request) const {
  LUOSHI_ASSIGN_OR_RETURN(v1::Extraction extraction, engine_->Extract(bytes, request));
  if (extraction.extractor_version().empty()) extraction.set_extractor_version(engine_->Version());
  StampIdentity(sha256, request.document_id, &extraction);
  return extraction;
}

absl::StatusOr<v1::Document> IngestionLogic::ToDocument(const DocumentRecord& record) const {
  LUOSHI_ASSIGN_OR_RETURN(std::vector<OutboxEntry> deliveries, store_->ListDeliveries(record.id));
  return DocumentProto(record, deliveries);
}

absl::StatusOr<v1::Document> IngestionLogic::GetDocument(const Identity& /*caller*/, const v1::GetDocumentRequest& request) const {
  if (request.document_id().empty()) return MissingDocumentId();
  LUOSHI_ASSIGN_OR_RETURN(DocumentRecord record, store_->GetDocument(request.document_id()));
  return ToDocument(record);
}

absl::StatusOr<v1::ListDocumentsResponse> IngestionLogic::ListDocuments(
    const Identity& /*caller*/, const v1::ListDocumentsRequest& request) const {
  if (!v1::DocumentType_IsValid(request.type())) return UnknownDocumentType(request.type());
  LUOSHI_ASSIGN_OR_RETURN(const int page_size, PageSizeOf(request.page().page_size()));
  DocumentQuery query;
  query.type = request.type();
  query.region = request.region();
  query.year = request.year();
  query.limit = page_size + 1;  // one more tells if a next page exists
  if (!request.page().page_token().empty()) {
    LUOSHI_ASSIGN_OR_RETURN(int64_t position, DecodePageToken(request));
    query.before_position = position;
  }
  LUOSHI_ASSIGN_OR_RETURN(std::vector<DocumentRecord> records, store_->ListDocuments(query));
  v1::ListDocumentsResponse response;
  const bool more = static_cast<int>(records.size()) == query.limit;
  if (more) records.pop_back();
  for (const DocumentRecord& record : records) {
    LUOSHI_ASSIGN_OR_RETURN(v1::Document document, ToDocument(record));
    *response.add_documents() = std::move(document);
  }
  if (more) response.set_next_page_token(EncodePageToken(request, records.back().position));
  return response;
}

absl::StatusOr<v1::Extraction> IngestionLogic::GetExtraction(const Identity& /*caller*/, const v1::GetExtractionRequest& request) const {
  if (request.document_id().empty()) return MissingDocumentId();
  return store_->GetExtraction(request.document_id());
}

absl::StatusOr<v1::IngestDocumentResponse> IngestionLogic::ReprocessDocument(
    const Identity& caller, const v1::ReprocessDocumentRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayIngest(caller));
  if (request.document_id().empty()) return MissingDocumentId();
  if (!ValidYearHint(request.year_hint())) return InvalidYearHint(request.year_hint());
  LUOSHI_ASSIGN_OR_RETURN(DocumentRecord record, store_->GetDocument(request.document_id()));
  LUOSHI_ASSIGN_OR_RETURN(std::string bytes, store_->GetBytes(record.id));
  // New hints replace the stored ones for this and every later run; absent ones keep theirs.
  const std::string region_hint = std::string(absl::StripAsciiWhitespace(request.region_hint()));
  if (!region_hint.empty()) record.region_hint = region_hint;
  if (request.year_hint() > 0) record.year_hint = request.year_hint();
  LUOSHI_ASSIGN_OR_RETURN(auto extraction, RunExtraction(bytes, record.sha256, ExtractRequestFor(record)));
  absl::StatusOr<DocumentRecord> updated =
      store_->ReplaceExtraction(record.id, extraction, record.region_hint, record.year_hint,
                                DeliveriesFor(record, extraction, caller), clock_->Now());
  if (!updated.ok()) return updated.status();
  NotifyQueued();
  LUOSHI_ASSIGN_OR_RETURN(v1::Document document, ToDocument(*updated));
  v1::IngestDocumentResponse response;
  *response.mutable_document() = std::move(document);
  *response.mutable_extraction() = std::move(extraction);
  response.set_created(false);
  return response;
}

void IngestionLogic::NotifyQueued() const {
  if (on_outbox_queued_) on_outbox_queued_();
}

}  // namespace luoshi::ingestion
