#include "services/ingestion/postgres_store.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status_macros.h"
#include "services/ingestion/errors.h"

namespace luoshi::ingestion {

// Numbered schema migrations. Append new ones; never edit a released one.
const std::vector<pg::Migration>& PgDocumentMigrations() {
  static const auto* migrations = new std::vector<pg::Migration>{
      {1, R"sql(
CREATE TABLE documents (
  position          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- ingest order, the paging cursor
  id                TEXT    NOT NULL CONSTRAINT documents_id_unique UNIQUE,
  sha256            TEXT    NOT NULL CONSTRAINT documents_sha256_unique UNIQUE,
  filename          TEXT    NOT NULL,
  content_type      TEXT    NOT NULL,
  size_bytes        BIGINT  NOT NULL,
  region_hint       TEXT    NOT NULL,
  year_hint         INTEGER NOT NULL,
  doc_type          INTEGER NOT NULL,  -- luoshi.v1.DocumentType of the current extraction
  region            TEXT    NOT NULL,
  year              INTEGER NOT NULL,
  metadata          BYTEA   NOT NULL,  -- serialized luoshi.v1.DocumentMetadata
  observation_count INTEGER NOT NULL,
  task_count        INTEGER NOT NULL,
  extractor_version TEXT    NOT NULL,
  generation        INTEGER NOT NULL,
  ingested_at_us    BIGINT  NOT NULL,
  extraction        BYTEA   NOT NULL,  -- serialized luoshi.v1.Extraction
  bytes             BYTEA   NOT NULL
);
-- The list filters, newest first: a range scan backwards that stops after a page.
CREATE INDEX documents_by_type ON documents (doc_type, position);
CREATE INDEX documents_by_region_year ON documents (region, year, position);

CREATE TABLE outbox (
  id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id        TEXT    NOT NULL REFERENCES documents (id),
  generation         INTEGER NOT NULL,
  target             TEXT    NOT NULL CHECK (target IN ('indicators', 'tasks')),
  payload            BYTEA   NOT NULL,  -- serialized RecordObservationsRequest or ImportPlanRequest
  state              TEXT    NOT NULL
                     CHECK (state IN ('pending', 'delivered', 'not_needed', 'failed', 'superseded')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  last_error         TEXT    NOT NULL DEFAULT '',
  next_attempt_at_us BIGINT,            -- set while pending
  delivered_at_us    BIGINT,
  created_at_us      BIGINT  NOT NULL,
  left_out           INTEGER NOT NULL DEFAULT 0,
  left_out_reason    TEXT    NOT NULL DEFAULT '',
  leased_until_us    BIGINT,            -- end of the claiming dispatcher's lease; NULL when none holds it
  UNIQUE (document_id, generation, target)
);
-- Claims, the next due time and the backlog read pending rows only, never the delivered history.
CREATE INDEX outbox_due ON outbox (target, next_attempt_at_us) WHERE state = 'pending';
)sql"},
  };
  return *migrations;
}

namespace {

using store_internal::OutboxStateName;
using store_internal::ParseOutboxState;

#define DOCUMENT_COLUMNS                                                                          \
  "position, id, sha256, filename, content_type, size_bytes, region_hint, year_hint, metadata, " \
  "observation_count, task_count, extractor_version, ingested_at_us, generation"
#define OUTBOX_COLUMNS                                                                                \
  "id, document_id, generation, target, payload, state, attempts, last_error, next_attempt_at_us, " \
  "delivered_at_us, left_out, left_out_reason, leased_until_us"

constexpr char kSelectBySha[] = "SELECT " DOCUMENT_COLUMNS " FROM documents WHERE sha256 = $1";
constexpr char kSelectById[] = "SELECT " DOCUMENT_COLUMNS " FROM documents WHERE id = $1";
constexpr char kSelectBytes[] = "SELECT bytes FROM documents WHERE id = $1";
constexpr char kSelectExtraction[] = "SELECT extraction FROM documents WHERE id = $1";
constexpr char kInsertDocument[] =
    "INSERT INTO documents (id, sha256, filename, content_type, size_bytes, region_hint, year_hint,"
    " doc_type, region, year, metadata, observation_count, task_count, extractor_version, generation,"
    " ingested_at_us, extraction, bytes)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $17)";
// The row lock it takes queues concurrent reprocessing of one document.
constexpr char kUpdateExtraction[] =
    "UPDATE documents SET doc_type = $2, region = $3, year = $4, metadata = $5, observation_count = $6,"
    " task_count = $7, extractor_version = $8, extraction = $9, region_hint = $10, year_hint = $11,"
    " generation = generation + 1 WHERE id = $1 RETURNING " DOCUMENT_COLUMNS;
constexpr char kInsertOutbox[] =
    "INSERT INTO outbox (document_id, generation, target, payload, state, next_attempt_at_us,"
    " created_at_us, left_out, left_out_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr char kSupersedePending[] =
    "UPDATE outbox SET state = 'superseded', next_attempt_at_us = NULL, leased_until_us = NULL"
    " WHERE document_id = $1 AND state = 'pending'";
constexpr char kListDeliveries[] =
    "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE document_id = $1"
    " AND generation = (SELECT generation FROM documents WHERE id = $1) ORDER BY target";
// Due rows (next attempt come, no running lease), locked as they are read; rows another claimer is
// leasing right now are skipped rather than waited for. The UPDATE leases them in the same statement.
// RETURNING gives no order: ClaimDeliveries sorts.
constexpr char kClaim[] =
    "UPDATE outbox o SET leased_until_us = $4 FROM ("
    "  SELECT id FROM outbox WHERE state = 'pending' AND target = $1 AND next_attempt_at_us <= $2"
    "   AND (leased_until_us IS NULL OR leased_until_us <= $2)"
    "  ORDER BY next_attempt_at_us, id LIMIT $3 FOR UPDATE SKIP LOCKED) due"
    " WHERE o.id = due.id RETURNING o.id, o.document_id, o.generation, o.target, o.payload, o.state,"
    " o.attempts, o.last_error, o.next_attempt_at_us, o.delivered_at_us, o.left_out, o.left_out_reason,"
    " o.leased_until_us";
// A leased entry is due again at the end of its lease.
constexpr char kNextDue[] =
    "SELECT MIN(GREATEST(next_attempt_at_us, COALESCE(leased_until_us, next_attempt_at_us)))"
    " FROM outbox WHERE state = 'pending'";
constexpr char kBacklog[] = "SELECT COUNT(*), MIN(created_at_us) FROM outbox WHERE state = 'pending'";
constexpr char kMarkDelivered[] =
    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at_us = $2,"
    " next_attempt_at_us = NULL, leased_until_us = NULL, last_error = '' WHERE id = $1 AND state = 'pending'";
constexpr char kMarkRetry[] =
    "UPDATE outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at_us = $3,"
    " leased_until_us = NULL WHERE id = $1 AND state = 'pending'";
constexpr char kMarkFailed[] =
    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $2,"
    " next_attempt_at_us = NULL, leased_until_us = NULL WHERE id = $1 AND state = 'pending'";
constexpr char kOutboxExists[] = "SELECT 1 FROM outbox WHERE id = $1";

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

absl::StatusOr<std::optional<absl::Time>> OptionalTime(const pg::Row& row, int col) {
  if (row.IsNull(col)) return std::nullopt;
  LUOSHI_ASSIGN_OR_RETURN(int64_t us, row.Int64(col));
  return FromMicros(us);
}

absl::StatusOr<DocumentRecord> RecordFromRow(const pg::Row& row) {
  DocumentRecord r;
  LUOSHI_ASSIGN_OR_RETURN(r.position, row.Int64(0));
  LUOSHI_ASSIGN_OR_RETURN(r.id, row.String(1));
  LUOSHI_ASSIGN_OR_RETURN(r.sha256, row.String(2));
  LUOSHI_ASSIGN_OR_RETURN(r.filename, row.String(3));
  LUOSHI_ASSIGN_OR_RETURN(r.content_type, row.String(4));
  LUOSHI_ASSIGN_OR_RETURN(r.size_bytes, row.Int64(5));
  LUOSHI_ASSIGN_OR_RETURN(r.region_hint, row.String(6));
  LUOSHI_ASSIGN_OR_RETURN(r.year_hint, row.Int32(7));
  LUOSHI_ASSIGN_OR_RETURN(std::string metadata, row.Bytes(8));
  if (!r.metadata.ParseFromString(metadata)) {
    return absl::InternalError(absl::StrCat("stored metadata of document ", r.id, " is corrupt"));
  }
  LUOSHI_ASSIGN_OR_RETURN(r.observation_count, row.Int32(9));
  LUOSHI_ASSIGN_OR_RETURN(r.task_count, row.Int32(10));
  LUOSHI_ASSIGN_OR_RETURN(r.extractor_version, row.String(11));
  LUOSHI_ASSIGN_OR_RETURN(int64_t ingested_at, row.Int64(12));
  r.ingested_at = FromMicros(ingested_at);
  LUOSHI_ASSIGN_OR_RETURN(r.generation, row.Int32(13));
  return r;
}

absl::StatusOr<OutboxEntry> EntryFromRow(const pg::Row& row) {
  OutboxEntry e;
  LUOSHI_ASSIGN_OR_RETURN(e.id, row.Int64(0));
  LUOSHI_ASSIGN_OR_RETURN(e.document_id, row.String(1));
  LUOSHI_ASSIGN_OR_RETURN(e.generation, row.Int32(2));
  LUOSHI_ASSIGN_OR_RETURN(e.target, row.String(3));
  LUOSHI_ASSIGN_OR_RETURN(e.payload, row.Bytes(4));
  LUOSHI_ASSIGN_OR_RETURN(std::string state, row.String(5));
  LUOSHI_ASSIGN_OR_RETURN(e.state, ParseOutboxState(state));
  LUOSHI_ASSIGN_OR_RETURN(e.attempts, row.Int32(6));
  LUOSHI_ASSIGN_OR_RETURN(e.last_error, row.String(7));
  LUOSHI_ASSIGN_OR_RETURN(e.next_attempt_at, OptionalTime(row, 8));
  LUOSHI_ASSIGN_OR_RETURN(e.delivered_at, OptionalTime(row, 9));
  LUOSHI_ASSIGN_OR_RETURN(e.left_out, row.Int32(10));
  LUOSHI_ASSIGN_OR_RETURN(e.left_out_reason, row.String(11));
  LUOSHI_ASSIGN_OR_RETURN(e.leased_until, OptionalTime(row, 12));
  return e;
}

absl::StatusOr<std::vector<OutboxEntry>> EntriesOf(const pg::Result& result) {
  std::vector<OutboxEntry> out;
  for (int i = 0; i < result.rows(); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(OutboxEntry entry, EntryFromRow(result.row(i)));
    out.push_back(std::move(entry));
  }
  return out;
}

absl::Status InsertDeliveries(pg::Connection& c, const std::string& document_id, int32_t generation,
                              const std::vector<NewDelivery>& deliveries, absl::Time now) {
  for (const NewDelivery& d : deliveries) {
    const bool needed = !d.payload.empty();
    pg::Params params;
    params.Add(document_id).Add(generation).Add(d.target).AddBytes(d.payload);
    params.Add(OutboxStateName(needed ? OutboxState::kPending : OutboxState::kNotNeeded));
    params.Add(needed ? std::optional<int64_t>(ToMicros(now)) : std::nullopt);
    params.Add(ToMicros(now)).Add(d.left_out).Add(d.left_out_reason);
    LUOSHI_RETURN_IF_ERROR(c.Execute(kInsertOutbox, params).status());
  }
  return absl::OkStatus();
}

// The extraction's columns of a document row, as parameters $first… in kInsertDocument's and
// kUpdateExtraction's order: type, region, year, metadata, counts, extractor version.
void AddExtractionColumns(const v1::Extraction& extraction, pg::Params& params) {
  const v1::DocumentMetadata& m = extraction.metadata();
  params.Add(static_cast<int32_t>(m.type())).Add(m.region()).Add(static_cast<int32_t>(m.year()));
  params.AddBytes(m.SerializeAsString());
  params.Add(static_cast<int32_t>(extraction.observations_size()));
  params.Add(static_cast<int32_t>(extraction.tasks_size()));
  params.Add(extraction.extractor_version());
}

// The list query for the filters present: the SQL text depends only on which filters are set (never on
// their values), so a connection prepares a few shapes, each of which an index serves in position order.
std::pair<std::string, pg::Params> ListQuery(const DocumentQuery& query) {
  std::vector<std::string> where;
  pg::Params params;
  auto next = [&params] { return absl::StrCat("$", params.size() + 1); };
  if (query.type != v1::DOCUMENT_TYPE_UNSPECIFIED) {
    where.push_back(absl::StrCat("doc_type = ", next()));
    params.Add(static_cast<int32_t>(query.type));
  }
  if (!query.region.empty()) {
    where.push_back(absl::StrCat("region = ", next()));
    params.Add(query.region);
  }
  if (query.year != 0) {
    where.push_back(absl::StrCat("year = ", next()));
    params.Add(static_cast<int32_t>(query.year));
  }
  if (query.before_position != 0) {
    where.push_back(absl::StrCat("position < ", next()));
    params.Add(query.before_position);
  }
  std::string sql = "SELECT " DOCUMENT_COLUMNS " FROM documents";
  if (!where.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(where, " AND "));
  absl::StrAppend(&sql, " ORDER BY position DESC LIMIT ", next());
  params.Add(static_cast<int64_t>(std::max(0, query.limit)));
  return {std::move(sql), std::move(params)};
}

}  // namespace

pg::PoolOptions PostgresDocumentStore::DefaultPoolOptions() {
  pg::PoolOptions options;
  options.size = 8;
  return options;
}

absl::StatusOr<std::unique_ptr<PostgresDocumentStore>> PostgresDocumentStore::Open(const std::string& uri,
                                                                                 pg::PoolOptions options) {
  LUOSHI_ASSIGN_OR_RETURN(std::unique_ptr<pg::PgPool> pool, pg::PgPool::Open(uri, options));
  LUOSHI_ASSIGN_OR_RETURN(int version, pg::RunPgMigrations(*pool, "ingestion", PgDocumentMigrations()));
  return std::unique_ptr<PostgresDocumentStore>(new PostgresDocumentStore(std::move(pool), version));
}

absl::StatusOr<pg::Result> PostgresDocumentStore::Query(const std::string& sql, const pg::Params& params) const {
  LUOSHI_ASSIGN_OR_RETURN(pg::PgPool::Lease conn, pool_->Acquire());
  return conn->Execute(sql, params);
}

absl::Status PostgresDocumentStore::CreateDocument(const DocumentRecord& record, const std::string& bytes,
                                                   const v1::Extraction& extraction,
                                                   const std::vector<NewDelivery>& deliveries) {
  pg::Params params;
  params.Add(record.id).Add(record.sha256).Add(record.filename).Add(record.content_type);
  params.Add(record.size_bytes).Add(record.region_hint).Add(record.year_hint);
  AddExtractionColumns(extraction, params);
  params.Add(ToMicros(record.ingested_at)).AddBytes(extraction.SerializeAsString()).AddBytes(bytes);
  return pool_->Transact([&](pg::Connection& c) -> absl::Status {
    // ALREADY_EXISTS (unique_violation) on a duplicate hash or id; the transaction then writes nothing.
    LUOSHI_RETURN_IF_ERROR(c.Execute(kInsertDocument, params).status());
    return InsertDeliveries(c, record.id, 1, deliveries, record.ingested_at);
  });
}

absl::StatusOr<DocumentRecord> PostgresDocumentStore::FindOne(const char* sql, const std::string& key) const {
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(sql, pg::Params().Add(key)));
  if (result.rows() == 0) return DocumentNotFound(key);
  return RecordFromRow(result.row(0));
}

absl::StatusOr<DocumentRecord> PostgresDocumentStore::FindBySha256(const std::string& sha256) const {
  return FindOne(kSelectBySha, sha256);
}

absl::StatusOr<DocumentRecord> PostgresDocumentStore::GetDocument(const std::string& id) const {
  return FindOne(kSelectById, id);
}

absl::StatusOr<std::string> PostgresDocumentStore::GetBytes(const std::string& id) const {
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(kSelectBytes, pg::Params().Add(id)));
  if (result.rows() == 0) return DocumentNotFound(id);
  return result.row(0).Bytes(0);
}

absl::StatusOr<v1::Extraction> PostgresDocumentStore::GetExtraction(const std::string& id) const {
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(kSelectExtraction, pg::Params().Add(id)));
  if (result.rows() == 0) return DocumentNotFound(id);
  LUOSHI_ASSIGN_OR_RETURN(std::string stored, result.row(0).Bytes(0));
  v1::Extraction extraction;
  if (!extraction.ParseFromString(stored)) {
    return absl::InternalError(absl::StrCat("stored extraction of document ", id, " is corrupt"));
  }
  return extraction;
}

absl::StatusOr<std::vector<DocumentRecord>> PostgresDocumentStore::ListDocuments(const DocumentQuery& query) const {
  auto [sql, params] = ListQuery(query);
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(sql, params));
  std::vector<DocumentRecord> out;
  for (int i = 0; i < result.rows(); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(DocumentRecord record, RecordFromRow(result.row(i)));
    out.push_back(std::move(record));
  }
  return out;
}

absl::StatusOr<DocumentRecord> PostgresDocumentStore::ReplaceExtraction(const std::string& id,
                                                                        const v1::Extraction& extraction,
                                                                        const std::string& region_hint,
                                                                        int32_t year_hint,
                                                                        const std::vector<NewDelivery>& deliveries,
                                                                        absl::Time now) {
  pg::Params params;
  params.Add(id);
  AddExtractionColumns(extraction, params);
  params.AddBytes(extraction.SerializeAsString()).Add(region_hint).Add(year_hint);
  DocumentRecord updated;
  LUOSHI_RETURN_IF_ERROR(pool_->Transact([&](pg::Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(pg::Result result, c.Execute(kUpdateExtraction, params));
    if (result.rows() == 0) return DocumentNotFound(id);
    LUOSHI_ASSIGN_OR_RETURN(updated, RecordFromRow(result.row(0)));
    LUOSHI_RETURN_IF_ERROR(c.Execute(kSupersedePending, pg::Params().Add(id)).status());
    return InsertDeliveries(c, id, updated.generation, deliveries, now);
  }));
  return updated;
}

absl::StatusOr<std::vector<OutboxEntry>> PostgresDocumentStore::ListDeliveries(
    const std::string& document_id) const {
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(kListDeliveries, pg::Params().Add(document_id)));
  return EntriesOf(result);
}

absl::StatusOr<std::vector<OutboxEntry>> PostgresDocumentStore::ClaimDeliveries(const std::string& target,
                                                                               absl::Time now, absl::Duration lease,
                                                                               int limit) {
  if (lease <= absl::ZeroDuration()) return NonPositiveLease(lease);
  pg::Params params;
  params.Add(target).Add(ToMicros(now)).Add(static_cast<int64_t>(std::max(0, limit))).Add(ToMicros(now + lease));
  // One statement, so one implicit transaction: the rows are locked, leased and committed together.
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(kClaim, params));
  LUOSHI_ASSIGN_OR_RETURN(std::vector<OutboxEntry> claimed, EntriesOf(result));
  std::sort(claimed.begin(), claimed.end(), [](const OutboxEntry& a, const OutboxEntry& b) {
    return std::make_pair(*a.next_attempt_at, a.id) < std::make_pair(*b.next_attempt_at, b.id);
  });
  return claimed;
}

absl::StatusOr<std::optional<absl::Time>> PostgresDocumentStore::NextDueTime() const {
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(kNextDue, pg::Params()));
  if (result.rows() == 0) return std::nullopt;
  return OptionalTime(result.row(0), 0);
}

absl::StatusOr<OutboxBacklog> PostgresDocumentStore::Backlog() const {
  LUOSHI_ASSIGN_OR_RETURN(pg::Result result, Query(kBacklog, pg::Params()));
  OutboxBacklog backlog;
  if (result.rows() == 0) return backlog;
  LUOSHI_ASSIGN_OR_RETURN(backlog.pending, result.row(0).Int64(0));
  LUOSHI_ASSIGN_OR_RETURN(backlog.oldest_created_at, OptionalTime(result.row(0), 1));
  return backlog;
}

absl::Status PostgresDocumentStore::FinishAttempt(const char* sql, int64_t entry_id, pg::Params params) {
  return pool_->Transact([&](pg::Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(pg::Result updated, c.Execute(sql, params));
    if (updated.affected() > 0) return absl::OkStatus();
    LUOSHI_ASSIGN_OR_RETURN(pg::Result exists, c.Execute(kOutboxExists, pg::Params().Add(entry_id)));
    if (exists.rows() == 0) return OutboxEntryNotFound(entry_id);
    return absl::OkStatus();  // no longer pending (superseded): the outcome no longer matters
  });
}

absl::Status PostgresDocumentStore::MarkDelivered(int64_t entry_id, absl::Time at) {
  return FinishAttempt(kMarkDelivered, entry_id, pg::Params().Add(entry_id).Add(ToMicros(at)));
}

absl::Status PostgresDocumentStore::MarkRetry(int64_t entry_id, const std::string& error,
                                              absl::Time next_attempt_at) {
  return FinishAttempt(kMarkRetry, entry_id,
                       pg::Params().Add(entry_id).Add(error).Add(ToMicros(next_attempt_at)));
}

absl::Status PostgresDocumentStore::MarkFailed(int64_t entry_id, const std::string& error) {
  return FinishAttempt(kMarkFailed, entry_id, pg::Params().Add(entry_id).Add(error));
}

}  // namespace luoshi::ingestion
