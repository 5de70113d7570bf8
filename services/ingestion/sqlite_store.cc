#include "services/ingestion/sqlite_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "services/ingestion/errors.h"

namespace luoshi::ingestion {
namespace {

using sql::Connection;
using sql::Statement;
using store_internal::OutboxStateName;
using store_internal::ParseOutboxState;

const char kSchemaDocuments[] = R"sql(
CREATE TABLE documents (
  position          INTEGER PRIMARY KEY AUTOINCREMENT,
  id                TEXT    NOT NULL UNIQUE,
  sha256            TEXT    NOT NULL UNIQUE,
  filename          TEXT    NOT NULL,
  content_type      TEXT    NOT NULL,
  size_bytes        INTEGER NOT NULL,
  region_hint       TEXT    NOT NULL,
  year_hint         INTEGER NOT NULL,
  doc_type          INTEGER NOT NULL,
  region            TEXT    NOT NULL,
  year              INTEGER NOT NULL,
  metadata          BLOB    NOT NULL,
  observation_count INTEGER NOT NULL,
  task_count        INTEGER NOT NULL,
  extractor_version TEXT    NOT NULL,
  generation        INTEGER NOT NULL,
  ingested_at_us    INTEGER NOT NULL,
  extraction        BLOB    NOT NULL,
  bytes             BLOB    NOT NULL
);
CREATE INDEX documents_by_type ON documents(doc_type, position);
CREATE INDEX documents_by_region_year ON documents(region, year, position);
)sql";

const char kSchemaOutbox[] = R"sql(
CREATE TABLE outbox (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id        TEXT    NOT NULL REFERENCES documents(id),
  generation         INTEGER NOT NULL,
  target             TEXT    NOT NULL CHECK (target IN ('indicators', 'tasks')),
  payload            BLOB    NOT NULL,
  state              TEXT    NOT NULL
                     CHECK (state IN ('pending', 'delivered', 'not_needed', 'failed', 'superseded')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  last_error         TEXT    NOT NULL DEFAULT '',
  next_attempt_at_us INTEGER,
  delivered_at_us    INTEGER,
  created_at_us      INTEGER NOT NULL,
  UNIQUE (document_id, generation, target)
);
CREATE INDEX outbox_due ON outbox(target, next_attempt_at_us) WHERE state = 'pending';
)sql";

// Items an entry's payload leaves out (figures the peer could not store), and why.
const char kSchemaOutboxLeftOut[] = R"sql(
ALTER TABLE outbox ADD COLUMN left_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN left_out_reason TEXT NOT NULL DEFAULT '';
)sql";

// The lease of a claimed entry (ClaimDeliveries): the time its dispatcher's claim ends; NULL when no
// dispatcher holds it. Older rows read NULL: not claimed.
const char kSchemaOutboxLease[] = R"sql(
ALTER TABLE outbox ADD COLUMN leased_until_us INTEGER;
)sql";

#define DOCUMENT_COLUMNS                                                                          \
  "position, id, sha256, filename, content_type, size_bytes, region_hint, year_hint, metadata, " \
  "observation_count, task_count, extractor_version, ingested_at_us, generation"
#define OUTBOX_COLUMNS                                                                         \
  "id, document_id, generation, target, payload, state, attempts, last_error, next_attempt_at_us, " \
  "delivered_at_us, left_out, left_out_reason, leased_until_us"

const char kSelectBySha[] = "SELECT " DOCUMENT_COLUMNS " FROM documents WHERE sha256 = ?1";
const char kSelectById[] = "SELECT " DOCUMENT_COLUMNS " FROM documents WHERE id = ?1";
const char kListDocuments[] =
    "SELECT " DOCUMENT_COLUMNS " FROM documents"
    " WHERE (?1 = 0 OR doc_type = ?1) AND (?2 = '' OR region = ?2) AND (?3 = 0 OR year = ?3)"
    "   AND (?4 = 0 OR position < ?4)"
    " ORDER BY position DESC LIMIT ?5";
const char kInsertDocument[] =
    "INSERT INTO documents (id, sha256, filename, content_type, size_bytes, region_hint, year_hint,"
    " doc_type, region, year, metadata, observation_count, task_count, extractor_version, generation,"
    " ingested_at_us, extraction, bytes)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
const char kUpdateExtraction[] =
    "UPDATE documents SET doc_type = ?2, region = ?3, year = ?4, metadata = ?5, observation_count = ?6,"
    " task_count = ?7, extractor_version = ?8, extraction = ?9, region_hint = ?10, year_hint = ?11,"
    " generation = generation + 1"
    " WHERE id = ?1";
const char kSelectBytes[] = "SELECT bytes FROM documents WHERE id = ?1";
const char kSelectExtraction[] = "SELECT extraction FROM documents WHERE id = ?1";
const char kInsertOutbox[] =
    "INSERT INTO outbox (document_id, generation, target, payload, state, next_attempt_at_us,"
    " created_at_us, left_out, left_out_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const char kSupersedePending[] =
    "UPDATE outbox SET state = 'superseded', next_attempt_at_us = NULL, leased_until_us = NULL"
    " WHERE document_id = ?1 AND state = 'pending'";
const char kListDeliveries[] =
    "SELECT " OUTBOX_COLUMNS " FROM outbox o WHERE document_id = ?1"
    " AND generation = (SELECT generation FROM documents WHERE id = ?1) ORDER BY target";
// Due: the next attempt has come and no lease is running (expired leases are those of dead claimers).
const char kDueDeliveries[] =
    "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE state = 'pending' AND target = ?3"
    " AND next_attempt_at_us <= ?1 AND (leased_until_us IS NULL OR leased_until_us <= ?1)"
    " ORDER BY next_attempt_at_us, id LIMIT ?2";
const char kLease[] = "UPDATE outbox SET leased_until_us = ?2 WHERE id = ?1";
const char kReleaseLeases[] = "UPDATE outbox SET leased_until_us = NULL WHERE leased_until_us IS NOT NULL";
// A leased entry is due again at the end of its lease.
const char kNextDue[] =
    "SELECT MIN(MAX(next_attempt_at_us, COALESCE(leased_until_us, next_attempt_at_us)))"
    " FROM outbox WHERE state = 'pending'";
// Scans the partial index outbox_due (pending rows only), not the delivered history.
const char kBacklog[] = "SELECT COUNT(*), MIN(created_at_us) FROM outbox WHERE state = 'pending'";
const char kMarkDelivered[] =
    "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_at_us = ?2,"
    " next_attempt_at_us = NULL, leased_until_us = NULL, last_error = '' WHERE id = ?1 AND state = 'pending'";
const char kMarkRetry[] =
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at_us = ?3,"
    " leased_until_us = NULL WHERE id = ?1 AND state = 'pending'";
const char kMarkFailed[] =
    "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2,"
    " next_attempt_at_us = NULL, leased_until_us = NULL WHERE id = ?1 AND state = 'pending'";
const char kOutboxExists[] = "SELECT 1 FROM outbox WHERE id = ?1";

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

absl::StatusOr<DocumentRecord> RecordFromRow(const Statement& row) {
  DocumentRecord r;
  r.position = row.ColumnInt(0);
  r.id = row.ColumnText(1);
  r.sha256 = row.ColumnText(2);
  r.filename = row.ColumnText(3);
  r.content_type = row.ColumnText(4);
  r.size_bytes = row.ColumnInt(5);
  r.region_hint = row.ColumnText(6);
  r.year_hint = static_cast<int32_t>(row.ColumnInt(7));
  if (!r.metadata.ParseFromString(row.ColumnBlob(8))) {
    return absl::InternalError(absl::StrCat("stored metadata of document ", r.id, " is corrupt"));
  }
  r.observation_count = static_cast<int32_t>(row.ColumnInt(9));
  r.task_count = static_cast<int32_t>(row.ColumnInt(10));
  r.extractor_version = row.ColumnText(11);
  r.ingested_at = FromMicros(row.ColumnInt(12));
  r.generation = static_cast<int32_t>(row.ColumnInt(13));
  return r;
}

absl::StatusOr<OutboxEntry> EntryFromRow(const Statement& row) {
  OutboxEntry e;
  e.id = row.ColumnInt(0);
  e.document_id = row.ColumnText(1);
  e.generation = static_cast<int32_t>(row.ColumnInt(2));
  e.target = row.ColumnText(3);
  e.payload = row.ColumnBlob(4);
  LUOSHI_ASSIGN_OR_RETURN(auto state, ParseOutboxState(row.ColumnText(5)));
  e.state = state;
  e.attempts = static_cast<int32_t>(row.ColumnInt(6));
  e.last_error = row.ColumnText(7);
  if (!row.ColumnIsNull(8)) e.next_attempt_at = FromMicros(row.ColumnInt(8));
  if (!row.ColumnIsNull(9)) e.delivered_at = FromMicros(row.ColumnInt(9));
  e.left_out = static_cast<int32_t>(row.ColumnInt(10));
  e.left_out_reason = row.ColumnText(11);
  if (!row.ColumnIsNull(12)) e.leased_until = FromMicros(row.ColumnInt(12));
  return e;
}

absl::StatusOr<std::vector<OutboxEntry>> CollectEntries(Statement& stmt) {
  std::vector<OutboxEntry> out;
  while (true) {
    LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    LUOSHI_ASSIGN_OR_RETURN(auto entry, EntryFromRow(stmt));
    out.push_back(std::move(entry));
  }
}

// Looks one document up on `conn`; NOT_FOUND (naming `key`) when absent.
absl::StatusOr<DocumentRecord> ReadRecord(Connection& conn, const char* sql, const std::string& key) {
  LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(sql));
  stmt.Bind(1, key);
  LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return DocumentNotFound(key);
  return RecordFromRow(stmt);
}

absl::Status InsertDeliveries(Connection& conn, const std::string& document_id, int32_t generation,
                              const std::vector<NewDelivery>& deliveries, absl::Time now) {
  for (const NewDelivery& d : deliveries) {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kInsertOutbox));
    bool needed = !d.payload.empty();
    stmt.Bind(1, document_id).Bind(2, generation).Bind(3, d.target).BindBlob(4, d.payload);
    stmt.Bind(5, OutboxStateName(needed ? OutboxState::kPending : OutboxState::kNotNeeded));
    if (needed) {
      stmt.Bind(6, ToMicros(now));
    } else {
      stmt.BindNull(6);
    }
    stmt.Bind(7, ToMicros(now)).Bind(8, d.left_out).Bind(9, d.left_out_reason);
    LUOSHI_RETURN_IF_ERROR(stmt.Run());
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<sql::Migration>& SqliteDocumentStore::Migrations() {
  static const auto* migrations = new std::vector<sql::Migration>{
      {1, kSchemaDocuments},
      {2, kSchemaOutbox},
      {3, kSchemaOutboxLeftOut},
      {4, kSchemaOutboxLease},
  };
  return *migrations;
}

absl::StatusOr<std::unique_ptr<SqliteDocumentStore>> SqliteDocumentStore::Open(const std::string& path,
                                                                               sql::DatabaseOptions options) {
  LUOSHI_ASSIGN_OR_RETURN(auto db, sql::Database::Open(path, Migrations(), std::move(options)));
  // A SQLite store belongs to one running service, so a lease found now was left by an earlier run that
  // died mid-delivery: released, its entry is sent again at once instead of after the lease.
  LUOSHI_RETURN_IF_ERROR(db->Write([](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kReleaseLeases));
    return stmt.Run();
  }));
  return std::unique_ptr<SqliteDocumentStore>(new SqliteDocumentStore(std::move(db)));
}

absl::Status SqliteDocumentStore::CreateDocument(const DocumentRecord& record, const std::string& bytes,
                                                 const v1::Extraction& extraction,
                                                 const std::vector<NewDelivery>& deliveries) {
  const v1::DocumentMetadata& m = extraction.metadata();
  return db_->Write([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kInsertDocument));
    stmt.Bind(1, record.id).Bind(2, record.sha256).Bind(3, record.filename).Bind(4, record.content_type);
    stmt.Bind(5, record.size_bytes).Bind(6, record.region_hint).Bind(7, record.year_hint);
    stmt.Bind(8, static_cast<int>(m.type())).Bind(9, m.region()).Bind(10, m.year());
    stmt.BindBlob(11, m.SerializeAsString());
    stmt.Bind(12, extraction.observations_size()).Bind(13, extraction.tasks_size());
    stmt.Bind(14, extraction.extractor_version()).Bind(15, 1).Bind(16, ToMicros(record.ingested_at));
    stmt.BindBlob(17, extraction.SerializeAsString()).BindBlob(18, bytes);
    if (absl::Status s = stmt.Run(); !s.ok()) return s;  // ALREADY_EXISTS on a duplicate hash or id
    return InsertDeliveries(conn, record.id, 1, deliveries, record.ingested_at);
  });
}

absl::StatusOr<DocumentRecord> SqliteDocumentStore::FindOne(const std::string& sql, const std::string& key) const {
  absl::StatusOr<DocumentRecord> result = DocumentNotFound(key);
  absl::Status s = db_->Read([&](Connection& conn) {
    result = ReadRecord(conn, sql.c_str(), key);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<DocumentRecord> SqliteDocumentStore::FindBySha256(const std::string& sha256) const {
  return FindOne(kSelectBySha, sha256);
}

absl::StatusOr<DocumentRecord> SqliteDocumentStore::GetDocument(const std::string& id) const {
  return FindOne(kSelectById, id);
}

absl::StatusOr<std::string> SqliteDocumentStore::GetBytes(const std::string& id) const {
  std::string bytes;
  absl::Status s = db_->Read([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kSelectBytes));
    stmt.Bind(1, id);
    LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return DocumentNotFound(id);
    bytes = stmt.ColumnBlob(0);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return bytes;
}

absl::StatusOr<v1::Extraction> SqliteDocumentStore::GetExtraction(const std::string& id) const {
  v1::Extraction extraction;
  absl::Status s = db_->Read([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kSelectExtraction));
    stmt.Bind(1, id);
    LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return DocumentNotFound(id);
    if (!extraction.ParseFromString(stmt.ColumnBlob(0))) {
      return absl::InternalError(absl::StrCat("stored extraction of document ", id, " is corrupt"));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return extraction;
}

absl::StatusOr<std::vector<DocumentRecord>> SqliteDocumentStore::ListDocuments(const DocumentQuery& query) const {
  std::vector<DocumentRecord> out;
  absl::Status s = db_->Read([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kListDocuments));
    stmt.Bind(1, static_cast<int>(query.type)).Bind(2, query.region).Bind(3, query.year);
    stmt.Bind(4, query.before_position).Bind(5, query.limit);
    while (true) {
      LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) return absl::OkStatus();
      LUOSHI_ASSIGN_OR_RETURN(auto record, RecordFromRow(stmt));
      out.push_back(std::move(record));
    }
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<DocumentRecord> SqliteDocumentStore::ReplaceExtraction(const std::string& id,
                                                                      const v1::Extraction& extraction,
                                                                      const std::string& region_hint,
                                                                      int32_t year_hint,
                                                                      const std::vector<NewDelivery>& deliveries,
                                                                      absl::Time now) {
  const v1::DocumentMetadata& m = extraction.metadata();
  DocumentRecord updated;
  absl::Status s = db_->Write([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kUpdateExtraction));
    stmt.Bind(1, id).Bind(2, static_cast<int>(m.type())).Bind(3, m.region()).Bind(4, m.year());
    stmt.BindBlob(5, m.SerializeAsString()).Bind(6, extraction.observations_size());
    stmt.Bind(7, extraction.tasks_size()).Bind(8, extraction.extractor_version());
    stmt.BindBlob(9, extraction.SerializeAsString()).Bind(10, region_hint).Bind(11, year_hint);
    LUOSHI_RETURN_IF_ERROR(stmt.Run());
    if (conn.Changes() == 0) return DocumentNotFound(id);
    LUOSHI_ASSIGN_OR_RETURN(auto supersede, conn.Prepare(kSupersedePending));
    supersede.Bind(1, id);
    LUOSHI_RETURN_IF_ERROR(supersede.Run());
    LUOSHI_ASSIGN_OR_RETURN(auto record, ReadRecord(conn, kSelectById, id));
    updated = std::move(record);
    return InsertDeliveries(conn, id, updated.generation, deliveries, now);
  });
  if (!s.ok()) return s;
  return updated;
}

absl::StatusOr<std::vector<OutboxEntry>> SqliteDocumentStore::ListDeliveries(const std::string& document_id) const {
  absl::StatusOr<std::vector<OutboxEntry>> result;
  absl::Status s = db_->Read([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kListDeliveries));
    stmt.Bind(1, document_id);
    result = CollectEntries(stmt);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<std::vector<OutboxEntry>> SqliteDocumentStore::ClaimDeliveries(const std::string& target,
                                                                             absl::Time now, absl::Duration lease,
                                                                             int limit) {
  if (lease <= absl::ZeroDuration()) return NonPositiveLease(lease);
  const absl::Time until = now + lease;
  std::vector<OutboxEntry> claimed;
  // One write transaction: SQLite's single writer keeps any other claimer out between the read and the
  // lease.
  absl::Status s = db_->Write([&](Connection& conn) -> absl::Status {
    claimed.clear();
    {
      LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kDueDeliveries));
      stmt.Bind(1, ToMicros(now)).Bind(2, limit).Bind(3, target);
      LUOSHI_ASSIGN_OR_RETURN(claimed, CollectEntries(stmt));
    }
    for (OutboxEntry& entry : claimed) {
      LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kLease));
      stmt.Bind(1, entry.id).Bind(2, ToMicros(until));
      LUOSHI_RETURN_IF_ERROR(stmt.Run());
      entry.leased_until = until;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return claimed;
}

absl::StatusOr<std::optional<absl::Time>> SqliteDocumentStore::NextDueTime() const {
  std::optional<absl::Time> next;
  absl::Status s = db_->Read([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kNextDue));
    LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row && !stmt.ColumnIsNull(0)) next = FromMicros(stmt.ColumnInt(0));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return next;
}

absl::StatusOr<OutboxBacklog> SqliteDocumentStore::Backlog() const {
  OutboxBacklog backlog;
  absl::Status s = db_->Read([&](Connection& conn) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(kBacklog));
    LUOSHI_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::OkStatus();
    backlog.pending = stmt.ColumnInt(0);
    if (!stmt.ColumnIsNull(1)) backlog.oldest_created_at = FromMicros(stmt.ColumnInt(1));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return backlog;
}

absl::Status SqliteDocumentStore::FinishAttempt(const std::string& sql, int64_t entry_id,
                                                const std::function<void(Statement&)>& bind) {
  return db_->Write([&](Connection& conn) -> absl::Status {
    {
      LUOSHI_ASSIGN_OR_RETURN(auto stmt, conn.Prepare(sql));
      stmt.Bind(1, entry_id);
      bind(stmt);
      LUOSHI_RETURN_IF_ERROR(stmt.Run());
    }
    if (conn.Changes() > 0) return absl::OkStatus();
    LUOSHI_ASSIGN_OR_RETURN(auto exists, conn.Prepare(kOutboxExists));
    exists.Bind(1, entry_id);
    LUOSHI_ASSIGN_OR_RETURN(bool row, exists.Step());
    if (!row) return OutboxEntryNotFound(entry_id);
    return absl::OkStatus();  // no longer pending (superseded): the outcome no longer matters
  });
}

absl::Status SqliteDocumentStore::MarkDelivered(int64_t entry_id, absl::Time at) {
  return FinishAttempt(kMarkDelivered, entry_id, [&](Statement& s) { s.Bind(2, ToMicros(at)); });
}

absl::Status SqliteDocumentStore::MarkRetry(int64_t entry_id, const std::string& error,
                                            absl::Time next_attempt_at) {
  return FinishAttempt(kMarkRetry, entry_id,
                       [&](Statement& s) { s.Bind(2, error).Bind(3, ToMicros(next_attempt_at)); });
}

absl::Status SqliteDocumentStore::MarkFailed(int64_t entry_id, const std::string& error) {
  return FinishAttempt(kMarkFailed, entry_id, [&](Statement& s) { s.Bind(2, error); });
}

}  // namespace luoshi::ingestion
