#include "services/common/backup.h"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace luoshi {
namespace {

// An open sqlite3 handle, closed when it goes out of scope.
struct Handle {
  sqlite3* db = nullptr;
  Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { sqlite3_close(db); }
};

absl::Status Open(const std::string& path, int flags, Handle* handle) {
  const int rc = sqlite3_open_v2(path.c_str(), &handle->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("cannot open database ", path, ": ",
                                            handle->db ? sqlite3_errmsg(handle->db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(handle->db, 0);
  return absl::OkStatus();
}

// Every row's first column of a statement without parameters.
absl::StatusOr<std::vector<std::string>> QueryColumn(sqlite3* db, const char* sql, const std::string& path) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  std::vector<std::string> rows;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
  }
  sqlite3_finalize(stmt);
  if (rc == SQLITE_DONE) return rows;
  if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
    return absl::DataLossError(
        absl::StrCat(path, " is not a readable SQLite database: ", sqlite3_errmsg(db)));
  }
  return absl::InternalError(absl::StrCat("\"", sql, "\" on ", path, ": ", sqlite3_errmsg(db)));
}

// Removes a file and the journal files SQLite may have left beside it.
void RemoveDatabaseFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

}  // namespace

absl::StatusOr<SnapshotInfo> SnapshotDatabase(const std::string& db_path, const std::string& out_path,
                                              absl::Duration busy_limit) {
  std::error_code ec;
  if (std::filesystem::exists(out_path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot file ", out_path, " already exists"));
  }
  SnapshotInfo info;
  absl::Status status = [&]() -> absl::Status {
    Handle source, copy;
    if (absl::Status s = Open(db_path, SQLITE_OPEN_READONLY, &source); !s.ok()) return s;
    if (absl::Status s = Open(out_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &copy); !s.ok()) return s;
    sqlite3_backup* backup = sqlite3_backup_init(copy.db, "main", source.db, "main");
    if (backup == nullptr) {
      return absl::InternalError(
          absl::StrCat("cannot start the backup of ", db_path, ": ", sqlite3_errmsg(copy.db)));
    }
    // One step of all pages (-1): the source's read lock, and so its snapshot, is held for the whole copy.
    // The step only waits for a lock in WAL recovery; then it is retried until busy_limit.
    const absl::Time give_up = absl::Now() + busy_limit;
    int rc;
    while (true) {
      info.snapshot_time = absl::Now();
      rc = sqlite3_backup_step(backup, -1);
      if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || absl::Now() > give_up) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    sqlite3_backup_finish(backup);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      return absl::UnavailableError(absl::StrCat(db_path, " stayed locked for ",
                                                 absl::FormatDuration(busy_limit), "; try the backup again"));
    }
    if (rc != SQLITE_DONE) {
      return absl::InternalError(absl::StrCat("backup of ", db_path, " to ", out_path, " failed: ",
                                              sqlite3_errstr(rc), " (", sqlite3_errmsg(copy.db), ")"));
    }
    // The copy carries the source's WAL flag; make it a file that stands alone.
    char* err = nullptr;
    if (sqlite3_exec(copy.db, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown error";
      sqlite3_free(err);
      return absl::InternalError(absl::StrCat("cannot finish ", out_path, ": ", message));
    }
    return absl::OkStatus();
  }();
  if (status.ok()) status = CheckDatabaseIntegrity(out_path);
  if (status.ok()) {
    absl::StatusOr<int> version = DatabaseSchemaVersion(out_path);
    if (version.ok()) info.schema_version = *version;
    status = version.status();
  }
  if (status.ok()) {
    info.size_bytes = static_cast<int64_t>(std::filesystem::file_size(out_path, ec));
    if (ec)
      status = absl::InternalError(absl::StrCat("cannot read the size of ", out_path, ": ", ec.message()));
  }
  if (!status.ok()) {
    RemoveDatabaseFiles(out_path);
    return status;
  }
  return info;
}

absl::Status CheckDatabaseIntegrity(const std::string& path) {
  Handle handle;
  if (absl::Status s = Open(path, SQLITE_OPEN_READONLY, &handle); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> rows = QueryColumn(handle.db, "PRAGMA integrity_check", path);
  if (!rows.ok()) return rows.status();
  if (rows->size() == 1 && (*rows)[0] == "ok") return absl::OkStatus();
  if (rows->size() > 3) rows->resize(3);
  return absl::DataLossError(
      absl::StrCat(path, " fails PRAGMA integrity_check: ", absl::StrJoin(*rows, "; ")));
}

absl::StatusOr<int> DatabaseSchemaVersion(const std::string& path) {
  Handle handle;
  if (absl::Status s = Open(path, SQLITE_OPEN_READONLY, &handle); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> rows = QueryColumn(handle.db, "PRAGMA user_version", path);
  if (!rows.ok()) return rows.status();
  if (rows->size() != 1) return absl::InternalError(absl::StrCat("no user_version in ", path));
  int version = 0;
  if (!absl::SimpleAtoi((*rows)[0], &version)) {
    return absl::InternalError(absl::StrCat("user_version of ", path, " is not a number"));
  }
  return version;
}

struct Sha256::State {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  State() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {}
Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t size) { EVP_DigestUpdate(state_->ctx, data, size); }

std::string Sha256::HexDigest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(state_->ctx, digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  Sha256 sha;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    sha.Update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::InternalError(absl::StrCat("error reading ", path));
  return sha.HexDigest();
}

}  // namespace luoshi
