#include "services/common/admin_service.h"

#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/backup.h"
#include "services/common/log.h"
#include "services/common/time.h"

namespace luoshi {
namespace {

// Removes a temporary snapshot (and any journal SQLite left beside it) when it goes out of scope.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string path) : path_(std::move(path)) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Removes what a process that died mid-backup left: files named TemporaryPrefix(db_path)….
void RemoveStaleSnapshots(const std::string& db_path) {
  const std::filesystem::path db(db_path);
  const std::filesystem::path dir = db.parent_path().empty() ? std::filesystem::path(".") : db.parent_path();
  const std::string prefix = db.filename().string() + ".backup-";
  std::error_code ec;
  std::vector<std::filesystem::path> stale;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (absl::StartsWith(it->path().filename().string(), prefix)) stale.push_back(it->path());
  }
  for (const auto& path : stale) {
    if (std::filesystem::remove(path, ec)) LogInfo("removed a stale backup file", {{"path", path.string()}});
  }
}

}  // namespace

AdminService::AdminService(std::string service, StoreLocation store, const Authenticator* authenticator)
    : service_(std::move(service)),
      store_(std::move(store)),
      db_path_(store_.sqlite_path()),
      adapter_("luoshi.v1.AdminService", authenticator) {
  if (store_.is_sqlite()) RemoveStaleSnapshots(db_path_);
}

grpc::Status AdminService::BackupDatabase(grpc::ServerContext* context, const v1::BackupDatabaseRequest*,
                                          grpc::ServerWriter<v1::BackupChunk>* writer) {
  return adapter_.Stream(context, "BackupDatabase", [&](const Identity& who) -> absl::Status {
    if (absl::Status s = RequireRole(who, {Role::kAdmin}, "back up databases"); !s.ok()) return s;
    if (!store_.is_sqlite()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the ", service_, " service keeps its data in PostgreSQL (", store_.ForLog(),
                       "), which luoshi admin backup does not copy: use pg_dump; see docs/operations.md"));
    }
    bool idle = false;
    if (!busy_.compare_exchange_strong(idle, true)) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "a backup of the ", service_, " database is already running; try again when it is done"));
    }
    absl::Status result = Backup(context, writer);
    busy_.store(false);
    return result;
  });
}

absl::Status AdminService::Backup(grpc::ServerContext* context, grpc::ServerWriter<v1::BackupChunk>* writer) {
  const absl::Time started = absl::Now();
  TemporaryFile snapshot(absl::StrCat(TemporaryPrefix(db_path_), next_id_.fetch_add(1), ".tmp"));
  absl::StatusOr<SnapshotInfo> info = SnapshotDatabase(db_path_, snapshot.path());
  if (!info.ok()) return info.status();

  const auto cancelled = [&] {
    return absl::CancelledError(
        absl::StrCat("the caller went away during the backup of the ", service_, " database"));
  };
  v1::BackupChunk chunk;
  v1::BackupStart* start = chunk.mutable_start();
  start->set_service(service_);
  start->set_database(std::filesystem::path(db_path_).filename().string());
  start->set_schema_version(info->schema_version);
  *start->mutable_snapshot_time() = ToTimestamp(info->snapshot_time);
  start->set_size_bytes(info->size_bytes);
  if (context->IsCancelled() || !writer->Write(chunk)) return cancelled();

  std::ifstream in(snapshot.path(), std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat("cannot read the snapshot ", snapshot.path()));
  Sha256 sha;
  int64_t sent = 0;
  std::string buffer(kBackupChunkBytes, '\0');
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    sha.Update(buffer.data(), n);
    sent += static_cast<int64_t>(n);
    chunk.set_data(buffer.data(), n);
    if (context->IsCancelled() || !writer->Write(chunk)) return cancelled();
  }
  if (in.bad() || sent != info->size_bytes) {
    return absl::InternalError(absl::StrCat("the snapshot ", snapshot.path(),
                                            " changed size while it was sent (", info->size_bytes, " bytes, ",
                                            sent, " read)"));
  }
  v1::BackupEnd* end = chunk.mutable_end();
  end->set_size_bytes(sent);
  end->set_sha256(sha.HexDigest());
  LogInfo("database backed up", {{"bytes", std::to_string(sent)},
                                 {"ms", std::to_string(absl::ToInt64Milliseconds(absl::Now() - started))},
                                 {"sha256", end->sha256()}});
  if (context->IsCancelled() || !writer->Write(chunk)) return cancelled();
  return absl::OkStatus();
}

}  // namespace luoshi
