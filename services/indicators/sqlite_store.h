// ObservationStore on an embedded SQLite file (services/common/sqlite.h: WAL, one writer, reader pool).
//
// Schema (migrations in sqlite_store.cc, numbered, applied at open): one `observations` table holding the
// indexed columns of each observation (indicator key, region key, period start/end as yyyymm integers and
// the start's year, measure, status, comparison-base key, document id, as_of, value digits/scale/unit for
// ad-hoc SQL) and the full observation as a serialized luoshi.v1.Observation. `is_latest` marks the latest
// vintage of each series cell and is maintained on write, so that reads of "latest only" are plain index
// scans. `observation_years` lists the years present, for series reads (one index range per year).
#ifndef LUOSHI_SERVICES_INDICATORS_SQLITE_STORE_H_
#define LUOSHI_SERVICES_INDICATORS_SQLITE_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/sqlite.h"
#include "services/indicators/store.h"

namespace luoshi::indicators {

// The schema's numbered migrations (exposed for migration tests).
const std::vector<sql::Migration>& ObservationMigrations();

class SqliteObservationStore final : public ObservationStore {
 public:
  // The settings the service runs with: 8 readers, each with the file memory-mapped (1 GiB) and a 16 MiB
  // page cache; a 64 MiB cache and a checkpoint every 10,000 WAL pages for the writer; durable commits.
  static sql::DatabaseOptions DefaultOptions();
  // Opens or creates the database file at `path` and brings its schema up to date.
  // FAILED_PRECONDITION when the file was written by a newer Luoshi; INTERNAL on I/O errors.
  static absl::StatusOr<std::unique_ptr<SqliteObservationStore>> Open(
      const std::string& path, sql::DatabaseOptions options = DefaultOptions());

  absl::StatusOr<RecordOutcome> Record(const std::vector<ObservationRecord>& records) override;
  absl::StatusOr<ObservationBytesPage> QueryBytes(const ObservationFilter& filter,
                                                  const std::optional<PageCursor>& after, int limit) override;

  int schema_version() const { return db_->schema_version(); }

 private:
  explicit SqliteObservationStore(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<sql::Database> db_;
};

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_SQLITE_STORE_H_
