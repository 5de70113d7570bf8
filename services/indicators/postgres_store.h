// ObservationStore on PostgreSQL (issue 23), through the shared libpq layer (services/common/postgres.h),
// for deployments that run several replicas of the indicator service on one database.
//
// Schema (migrations in postgres_store.cc, numbered like the SQLite ones, applied at open under
// RunPgMigrations' advisory lock as service "indicators"): the same `observations` table as SQLite's
// (sqlite_store.h): the indexed columns of each observation and the full observation as a serialized
// luoshi.v1.Observation (bytea). `seq` (recorded order, the observation id "obs-<seq>") comes from a
// sequence; `source_key` is a unique constraint (idempotency); `is_latest` is held unique per series cell by
// a partial unique index (`… WHERE is_latest`), so the database itself refuses a second latest vintage.
//
// Writes. Record runs one READ COMMITTED transaction per batch (pg::PgPool::Transact, retried on
// serialization failures, deadlocks and lost connections) with a fixed number of round trips whatever the
// batch size: lock the batch's cells, read the stored source keys and the cells' current latest rows,
// decide in memory, clear the displaced latest rows, insert every new row with one statement. Replicas
// writing the same cells are serialized by transaction-scoped advisory locks (see LockCells in
// postgres_store.cc for why those and not row locks).
//
// Reads. QueryBytes is one SELECT (one snapshot) whose text depends only on which filters are present;
// values are bound as parameters. Every query shape is served by an index in period order.
//
// Thread safety: as ObservationStore; the connection pool is shared by all calls.
#ifndef LUOSHI_SERVICES_INDICATORS_POSTGRES_STORE_H_
#define LUOSHI_SERVICES_INDICATORS_POSTGRES_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/postgres.h"
#include "services/indicators/store.h"

namespace luoshi::indicators {

// The schema's numbered migrations (exposed for migration tests).
const std::vector<pg::Migration>& PgObservationMigrations();

class PostgresObservationStore final : public ObservationStore {
 public:
  // The pool the service runs with: 8 connections (reads run concurrently, each on its own).
  static pg::PoolOptions DefaultPoolOptions();
  // Connects to `uri` (a libpq connection URI) and brings the schema up to date. INVALID_ARGUMENT for a
  // malformed URI, UNAVAILABLE when the server cannot be reached, FAILED_PRECONDITION when the database was
  // migrated by a newer Luoshi, INTERNAL when a migration fails.
  static absl::StatusOr<std::unique_ptr<PostgresObservationStore>> Open(
      const std::string& uri, pg::PoolOptions options = DefaultPoolOptions());

  absl::StatusOr<RecordOutcome> Record(const std::vector<ObservationRecord>& records) override;
  absl::StatusOr<ObservationBytesPage> QueryBytes(const ObservationFilter& filter,
                                                  const std::optional<PageCursor>& after, int limit) override;

  // The plan PostgreSQL chooses for QueryBytes with these arguments (EXPLAIN's text), for tests and for an
  // operator wondering why a read is slow.
  absl::StatusOr<std::string> ExplainQuery(const ObservationFilter& filter, const std::optional<PageCursor>& after,
                                           int limit);

  int schema_version() const { return schema_version_; }
  pg::PgPool& pool() { return *pool_; }

 private:
  PostgresObservationStore(std::unique_ptr<pg::PgPool> pool, int schema_version)
      : pool_(std::move(pool)), schema_version_(schema_version) {}
  std::unique_ptr<pg::PgPool> pool_;
  int schema_version_;
};

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_POSTGRES_STORE_H_
