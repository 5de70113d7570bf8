// DocumentStore on PostgreSQL (issue 23), through the shared libpq layer (services/common/postgres.h), for
// deployments that run several replicas of the ingestion service on one database.
//
// Schema (migrations in postgres_store.cc, numbered like the SQLite ones, applied at open under
// RunPgMigrations' advisory lock as service "ingestion"): the same two tables as SQLite's (sqlite_store.h).
//   documents: one row per distinct SHA-256 (unique constraints on sha256 and id), bytes, hints, the
//              metadata columns the list filters use, the current extraction as a serialized proto
//              (bytea), extractor version, generation, ingest time; `position` (ingest order, the paging
//              cursor) is an identity column.
//   outbox:    one row per (document, generation, target): the serialized request, state, attempts, last
//              error, next attempt, delivery time, left-out items, and the lease of the dispatcher that
//              claimed it (leased_until_us, NULL when none holds it).
// Times are Unix microseconds (bigint), as in SQLite.
//
// Writes run in READ COMMITTED transactions (pg::PgPool::Transact, retried on serialization failures,
// deadlocks and lost connections): a document with its outbox entries, or a new extraction with the
// superseding of older pending entries and its new entries, commit together or not at all. A duplicate
// SHA-256 or id is the unique constraint's ALREADY_EXISTS, so two replicas storing the same bytes at once
// store them once.
//
// Claims (ClaimDeliveries) select the due rows with `FOR UPDATE SKIP LOCKED` and lease them in the same
// statement: a replica claiming at the same moment skips the rows another is leasing instead of waiting for
// them, and once that commits the lease keeps them out of every claim until it ends.
//
// Thread safety: as DocumentStore; the connection pool is shared by all calls.
#ifndef LUOSHI_SERVICES_INGESTION_POSTGRES_STORE_H_
#define LUOSHI_SERVICES_INGESTION_POSTGRES_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/postgres.h"
#include "services/ingestion/store.h"

namespace luoshi::ingestion {

// The schema's numbered migrations (exposed for migration tests).
const std::vector<pg::Migration>& PgDocumentMigrations();

class PostgresDocumentStore final : public DocumentStore {
 public:
  // The pool the service runs with: 8 connections (requests and the dispatcher's two lanes at once).
  static pg::PoolOptions DefaultPoolOptions();
  // Connects to `uri` (a libpq connection URI) and brings the schema up to date. INVALID_ARGUMENT for a
  // malformed URI, UNAVAILABLE when the server cannot be reached, FAILED_PRECONDITION when the database was
  // migrated by a newer Luoshi, INTERNAL when a migration fails.
  static absl::StatusOr<std::unique_ptr<PostgresDocumentStore>> Open(const std::string& uri,
                                                                     pg::PoolOptions options = DefaultPoolOptions());

  absl::Status CreateDocument(const DocumentRecord& record, const std::string& bytes,
                              const v1::Extraction& extraction,
                              const std::vector<NewDelivery>& deliveries) override;
  absl::StatusOr<DocumentRecord> FindBySha256(const std::string& sha256) const override;
  absl::StatusOr<DocumentRecord> GetDocument(const std::string& id) const override;
  absl::StatusOr<std::string> GetBytes(const std::string& id) const override;
  absl::StatusOr<v1::Extraction> GetExtraction(const std::string& id) const override;
  absl::StatusOr<std::vector<DocumentRecord>> ListDocuments(const DocumentQuery& query) const override;
  absl::StatusOr<DocumentRecord> ReplaceExtraction(const std::string& id, const v1::Extraction& extraction,
                                                   const std::string& region_hint, int32_t year_hint,
                                                   const std::vector<NewDelivery>& deliveries,
                                                   absl::Time now) override;
  absl::StatusOr<std::vector<OutboxEntry>> ListDeliveries(const std::string& document_id) const override;
  absl::StatusOr<std::vector<OutboxEntry>> ClaimDeliveries(const std::string& target, absl::Time now,
                                                           absl::Duration lease, int limit) override;
  absl::StatusOr<std::optional<absl::Time>> NextDueTime() const override;
  absl::Status MarkDelivered(int64_t entry_id, absl::Time at) override;
  absl::Status MarkRetry(int64_t entry_id, const std::string& error, absl::Time next_attempt_at) override;
  absl::Status MarkFailed(int64_t entry_id, const std::string& error) override;
  // One query over the partial index of pending entries.
  absl::StatusOr<OutboxBacklog> Backlog() const override;

  int schema_version() const { return schema_version_; }

 private:
  PostgresDocumentStore(std::unique_ptr<pg::PgPool> pool, int schema_version)
      : pool_(std::move(pool)), schema_version_(schema_version) {}
  // Runs one statement outside a transaction on a pooled connection.
  absl::StatusOr<pg::Result> Query(const std::string& sql, const pg::Params& params) const;
  // A document looked up by one key; NOT_FOUND naming `key` when absent.
  absl::StatusOr<DocumentRecord> FindOne(const char* sql, const std::string& key) const;
  // Records an attempt's outcome (`sql` updates a pending entry $1); OK for an entry no longer pending.
  absl::Status FinishAttempt(const char* sql, int64_t entry_id, pg::Params params);

  std::unique_ptr<pg::PgPool> pool_;
  int schema_version_;
};

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_POSTGRES_STORE_H_
