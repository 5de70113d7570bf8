// SQLite access shared by the services' storage implementations.
//
// A Database owns one writer connection (writes are serialized by a mutex and run in BEGIN IMMEDIATE
// transactions) and a small pool of reader connections (WAL mode lets readers run while a write is in
// progress). Every connection has a busy timeout, foreign keys on, and a cache of prepared statements:
// SQL text is always a constant with `?` parameters, never a string built from input.
//
// Schema changes are numbered migrations applied in order at Open(); the applied version is kept in
// PRAGMA user_version, so a database opened by a newer binary is upgraded once and an older binary
// refuses to open a newer database.
//
// Thread safety: Database is safe to use from many threads. A Connection (handed to the callbacks of
// Read/Write) must only be used inside that callback.
#ifndef LUOSHI_SERVICES_COMMON_SQLITE_H_
#define LUOSHI_SERVICES_COMMON_SQLITE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

struct sqlite3;
struct sqlite3_stmt;

namespace luoshi::sql {

struct Migration {
  int version;      // 1, 2, 3 … without gaps
  std::string sql;  // one or more statements
};

// A prepared statement bound to one connection; reset on destruction so it can be reused.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based as in SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, const std::string& value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string(value)); }
  Statement& BindBlob(int index, const std::string& bytes);
  Statement& BindNull(int index);
  // Binds NULL for an empty string.
  Statement& BindOptional(int index, const std::string& value);

  // true: a row is available; false: done. Errors come back as INTERNAL/UNAVAILABLE (busy).
  absl::StatusOr<bool> Step();
  // Runs to completion, for statements without rows.
  absl::Status Run();

  int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;
  // The column's bytes without a copy; valid until the next Step() or the statement's reset.
  std::pair<const char*, size_t> ColumnBytes(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  absl::Status StatusFromLastError(int rc) const;
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

class Connection {
 public:
  ~Connection();
  // Prepares (or reuses from the cache) a statement. Only the first caller of a given SQL text per
  // connection pays for the prepare.
  absl::StatusOr<Statement> Prepare(const std::string& sql);
  // For schema scripts and pragmas (no parameters, no rows).
  absl::Status Exec(const std::string& sql);
  int64_t LastInsertRowId() const;
  int Changes() const;
  sqlite3* raw() { return db_; }

 private:
  friend class Database;
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

struct DatabaseOptions {
  int reader_count = 4;
  int busy_timeout_ms = 5000;
  // "FULL" makes each commit durable across power loss; "NORMAL" only across process crashes.
  std::string synchronous = "FULL";
  // Page cache of each reader connection, in KiB; 0 keeps SQLite's default (2 MiB).
  int cache_kib = 0;
  // Memory-mapped I/O for each reader connection (PRAGMA mmap_size), in bytes; 0 keeps it off. Reads of
  // mapped pages are plain memory accesses instead of a read() system call and a copy per page; SQLite falls
  // back to ordinary reads where mapping is unavailable. The writer never maps the file: a page it changes
  // would first be copied out of the map (measured in docs/benchmarks.md: no gain, some loss).
  int64_t mmap_bytes = 0;
  // Page cache of the writer connection, in KiB; 0 takes cache_kib.
  int writer_cache_kib = 0;
  // WAL pages after which a commit checkpoints (PRAGMA wal_autocheckpoint); 0 keeps SQLite's 1000.
  int checkpoint_pages = 0;
};

class Database {
 public:
  // Opens (creating if needed) the file at `path` (":memory:" is not supported: readers need a file),
  // applies pending migrations, and opens the reader pool.
  // FAILED_PRECONDITION if the file's schema is newer than `migrations`; INTERNAL on I/O errors.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        const std::vector<Migration>& migrations,
                                                        DatabaseOptions options = {});
  ~Database();

  // Runs `fn` in a write transaction (BEGIN IMMEDIATE … COMMIT). A non-OK status from `fn` rolls back
  // and is returned unchanged.
  absl::Status Write(const std::function<absl::Status(Connection&)>& fn);
  // Runs `fn` on a reader connection inside a read transaction (a consistent snapshot).
  absl::Status Read(const std::function<absl::Status(Connection&)>& fn);

  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }

 private:
  Database() = default;
  absl::Status ApplyMigrations(const std::vector<Migration>& migrations);

  std::string path_;
  int schema_version_ = 0;
  absl::Mutex write_mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(write_mu_);
  absl::Mutex read_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_ ABSL_GUARDED_BY(read_mu_);
};

}  // namespace luoshi::sql

#endif  // LUOSHI_SERVICES_COMMON_SQLITE_H_
