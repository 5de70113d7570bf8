// DocumentStore on an embedded SQLite file (services/common/sqlite.h: WAL, one writer, reader pool).
//
// Schema (numbered migrations in sqlite_store.cc):
//   documents: one row per distinct SHA-256: bytes, hints, metadata columns used by filters, the
//              current extraction as a serialized proto, extractor version, generation, ingest time.
//   outbox:    one row per (document, generation, target) with the serialized request to send, its
//              state, attempts, last error, the times of the next attempt and of delivery, and the end
//              of the lease of the dispatcher that claimed it (NULL when none holds it).
// Times are stored as microseconds since the Unix epoch (UTC).
#ifndef LUOSHI_SERVICES_INGESTION_SQLITE_STORE_H_
#define LUOSHI_SERVICES_INGESTION_SQLITE_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/common/sqlite.h"
#include "services/ingestion/store.h"

namespace luoshi::ingestion {

class SqliteDocumentStore : public DocumentStore {
 public:
  // Opens or creates the database at `path` and applies pending migrations. The file belongs to this
  // process from now on: outbox leases left by an earlier run are released (that run died mid-delivery),
  // so do not open a file another running service uses. The parent directory must exist. FAILED_PRECONDITION if the file was written by a newer schema; INTERNAL on I/O errors.
  static absl::StatusOr<std::unique_ptr<SqliteDocumentStore>> Open(const std::string& path,
                                                                   sql::DatabaseOptions options = {});

  // The schema, exposed for the migration test.
  static const std::vector<sql::Migration>& Migrations();

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
  // One indexed query over the pending entries only.
  absl::StatusOr<OutboxBacklog> Backlog() const override;

  int schema_version() const { return db_->schema_version(); }

 private:
  explicit SqliteDocumentStore(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}
  absl::StatusOr<DocumentRecord> FindOne(const std::string& sql, const std::string& key) const;
  absl::Status FinishAttempt(const std::string& sql, int64_t entry_id,
                             const std::function<void(sql::Statement&)>& bind);

  std::unique_ptr<sql::Database> db_;
};

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_SQLITE_STORE_H_
