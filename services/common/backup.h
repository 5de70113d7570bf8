// Database backups: what a service does to snapshot its SQLite file while it keeps serving writes, and
// what `luoshi admin restore` checks before it puts a copy back. No gRPC here (admin_service.h serves it).
//
// A snapshot is taken with SQLite's online backup API in one step, on a connection of its own: the whole
// copy is made inside one read transaction, so it is the database exactly as it stood when that
// transaction began (WAL mode lets the service's writer commit meanwhile; those commits are not in the
// copy). The copy is then checked with PRAGMA integrity_check and turned into a self-contained file
// (rollback-journal mode, no -wal or -shm beside it), ready to be streamed byte for byte.
#ifndef LUOSHI_SERVICES_COMMON_BACKUP_H_
#define LUOSHI_SERVICES_COMMON_BACKUP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace luoshi {

struct SnapshotInfo {
  absl::Time snapshot_time;  // just before the read transaction began
  int schema_version = 0;    // PRAGMA user_version of the copy
  int64_t size_bytes = 0;    // of the finished copy
};

// Copies the database at `db_path` to `out_path` (which must not exist) as one consistent snapshot and
// checks the copy. INTERNAL when either file cannot be opened or written; UNAVAILABLE when the source
// stays locked for more than `busy_limit`; DATA_LOSS when the copy fails PRAGMA integrity_check. On any
// error nothing is left at `out_path`.
absl::StatusOr<SnapshotInfo> SnapshotDatabase(const std::string& db_path, const std::string& out_path,
                                              absl::Duration busy_limit = absl::Seconds(10));

// OK when PRAGMA integrity_check of the SQLite file at `path` answers "ok"; DATA_LOSS with SQLite's first
// findings otherwise; INTERNAL when it is not an SQLite database or cannot be read. Opens the file
// read-only (it must not be in use by a writer that expects to be alone).
absl::Status CheckDatabaseIntegrity(const std::string& path);

// PRAGMA user_version of the SQLite file at `path`.
absl::StatusOr<int> DatabaseSchemaVersion(const std::string& path);

// Incremental SHA-256, lowercase hex at the end.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t size);
  std::string HexDigest();  // once, at the end

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The SHA-256 (lowercase hex) of the file at `path`; NOT_FOUND when it cannot be read.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_BACKUP_H_
