// luoshi.v1.AdminService (proto/luoshi/v1/admin.proto), served by every service for the database it owns.
//
// BackupDatabase: CallAdapter verifies the token → only role admin passes → SnapshotDatabase (backup.h)
// copies the database in one read transaction to a temporary file beside it and checks the copy → the copy
// is streamed (start, chunks of at most 1 MiB, end with size and SHA-256) → the temporary file is removed,
// whether the stream finished, failed or the caller went away. One backup at a time per database: a
// second caller meanwhile gets RESOURCE_EXHAUSTED. Temporary files left by a process that died mid-backup
// are removed when the next AdminService for that database starts.
#ifndef LUOSHI_SERVICES_COMMON_ADMIN_SERVICE_H_
#define LUOSHI_SERVICES_COMMON_ADMIN_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstddef>
#include <string>

#include "luoshi/v1/admin.grpc.pb.h"
#include "services/common/adapter.h"
#include "services/common/identity.h"
#include "services/common/store_url.h"

namespace luoshi {

// The largest data chunk of a backup stream.
inline constexpr size_t kBackupChunkBytes = size_t{1} << 20;

class AdminService final : public v1::AdminService::Service {
 public:
  // `service` names the service in the stream ("tasks"); `store` is where it keeps its data (a SQLite
  // file is backed up; see above for PostgreSQL); `authenticator` (which must outlive this object)
  // verifies every caller.
  AdminService(std::string service, StoreLocation store, const Authenticator* authenticator);

  grpc::Status BackupDatabase(grpc::ServerContext* context, const v1::BackupDatabaseRequest* request,
                              grpc::ServerWriter<v1::BackupChunk>* writer) override;

  // Where temporary snapshots of `db_path` are written: "<db_path>.backup-<n>.tmp".
  static std::string TemporaryPrefix(const std::string& db_path) { return db_path + ".backup-"; }

 private:
  absl::Status Backup(grpc::ServerContext* context, grpc::ServerWriter<v1::BackupChunk>* writer);

  std::string service_;
  StoreLocation store_;
  std::string db_path_;  // the SQLite file; empty for a PostgreSQL store
  CallAdapter adapter_;
  std::atomic<bool> busy_{false};  // a backup is running
  std::atomic<int> next_id_{0};    // numbers the temporary files
};

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_ADMIN_SERVICE_H_
