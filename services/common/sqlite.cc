#include "services/common/sqlite.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"

namespace luoshi::sql {
namespace {

absl::Status ErrorFor(sqlite3* db, int rc, const std::string& what) {
  std::string msg = absl::StrCat(what, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return absl::UnavailableError(msg);
  if (rc == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
  return absl::InternalError(msg);
}

absl::StatusOr<sqlite3*> OpenConnection(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = absl::InternalError(
        absl::StrCat("cannot open database ", path, ": ", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 0);
  return db;
}

// The settings of a reader connection (cache and memory map), as PRAGMA statements.
std::string ReaderPragmas(const DatabaseOptions& options) {
  std::string pragmas = "PRAGMA foreign_keys=ON;PRAGMA query_only=ON;";
  if (options.cache_kib > 0) absl::StrAppend(&pragmas, "PRAGMA cache_size=-", options.cache_kib, ";");
  if (options.mmap_bytes > 0) absl::StrAppend(&pragmas, "PRAGMA mmap_size=", options.mmap_bytes, ";");
  return pragmas;
}

// The settings of the writer connection, as PRAGMA statements (journal mode and durability first).
std::string WriterPragmas(const DatabaseOptions& options) {
  std::string pragmas = absl::StrCat("PRAGMA journal_mode=WAL;PRAGMA synchronous=", options.synchronous,
                                     ";PRAGMA foreign_keys=ON;PRAGMA mmap_size=0;");
  const int cache_kib = options.writer_cache_kib > 0 ? options.writer_cache_kib : options.cache_kib;
  if (cache_kib > 0) absl::StrAppend(&pragmas, "PRAGMA cache_size=-", cache_kib, ";");
  if (options.checkpoint_pages > 0) {
    absl::StrAppend(&pragmas, "PRAGMA wal_autocheckpoint=", options.checkpoint_pages, ";");
  }
  return pragmas;
}

// luoshi_sqlite_pool_waits_total and luoshi_sqlite_pool_wait_seconds_total for one pool ("reader" or
// "writer"): how often, and how long, callers waited for a connection (docs/metrics.md).
class PoolWaits {
 public:
  static const PoolWaits& Reader() {
    static const PoolWaits waits("reader");
    return waits;
  }
  static const PoolWaits& Writer() {
    static const PoolWaits waits("writer");
    return waits;
  }
  // Counted as the wait begins (a wait that never ends still shows), its time once it ends.
  void Began() const { count_->Add(); }
  void Ended(absl::Duration waited) const { seconds_->Add(absl::ToDoubleSeconds(waited)); }

 private:
  explicit PoolWaits(const std::string& pool)
      : count_(&metrics::DefaultRegistry()
                    .AddCounter("luoshi_sqlite_pool_waits_total",
                                "Times a caller waited for a SQLite connection, by pool.", {"pool"})
                    .With({pool})),
        seconds_(&metrics::DefaultRegistry()
                      .AddCounter("luoshi_sqlite_pool_wait_seconds_total",
                                  "Seconds callers spent waiting for a SQLite connection, by pool.", {"pool"})
                      .With({pool})) {}
  metrics::Counter* count_;
  metrics::Counter* seconds_;
};

}  // namespace

Statement::~Statement() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindBlob(int index, const std::string& bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::BindOptional(int index, const std::string& value) {
  return value.empty() ? BindNull(index) : Bind(index, value);
}

absl::Status Statement::StatusFromLastError(int rc) const {
  return ErrorFor(db_, rc, absl::StrCat("SQL error in \"", sqlite3_sql(stmt_), "\""));
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return StatusFromLastError(rc);
}

absl::Status Statement::Run() {
  while (true) {
    LUOSHI_ASSIGN_OR_RETURN(auto row, Step());
    if (!row) return absl::OkStatus();
  }
}

int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
std::string Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : "";
}
std::string Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  return p ? std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : "";
}
std::pair<const char*, size_t> Statement::ColumnBytes(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (!p) return {"", 0};
  return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}
bool Statement::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

absl::StatusOr<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second, db_);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorFor(db_, rc, absl::StrCat("cannot prepare \"", sql, "\""));
  cache_.emplace(sql, stmt);
  return Statement(stmt, db_);
}

absl::Status Connection::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return absl::UnavailableError(msg);
    return absl::InternalError(absl::StrCat("SQL error: ", msg));
  }
  return absl::OkStatus();
}

int64_t Connection::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Connection::Changes() const { return sqlite3_changes(db_); }

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         const std::vector<Migration>& migrations,
                                                         DatabaseOptions options) {
  if (path.empty() || path == ":memory:") {
    return absl::InvalidArgumentError(
        "a database file path is required (in-memory databases are not supported)");
  }
  std::unique_ptr<Database> db(new Database());
  db->path_ = path;
  // The series exist (at 0) before the first wait.
  (void)PoolWaits::Reader();
  (void)PoolWaits::Writer();
  LUOSHI_ASSIGN_OR_RETURN(auto writer, OpenConnection(path, options.busy_timeout_ms));
  {
    absl::MutexLock lock(&db->write_mu_);
    db->writer_.reset(new Connection(writer));
    LUOSHI_RETURN_IF_ERROR(db->writer_->Exec(WriterPragmas(options)));
  }
  LUOSHI_RETURN_IF_ERROR(db->ApplyMigrations(migrations));
  for (int i = 0; i < std::max(1, options.reader_count); ++i) {
    LUOSHI_ASSIGN_OR_RETURN(auto reader, OpenConnection(path, options.busy_timeout_ms));
    auto conn = std::unique_ptr<Connection>(new Connection(reader));
    LUOSHI_RETURN_IF_ERROR(conn->Exec(ReaderPragmas(options)));
    absl::MutexLock lock(&db->read_mu_);
    db->idle_readers_.push_back(std::move(conn));
  }
  return db;
}

Database::~Database() {
  absl::MutexLock wl(&write_mu_);
  absl::MutexLock rl(&read_mu_);
  idle_readers_.clear();
  if (writer_) {
    // Fold the WAL back into the main file so a stopped service leaves one self-contained file.
    writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)").IgnoreError();
  }
  writer_.reset();
}

absl::Status Database::ApplyMigrations(const std::vector<Migration>& migrations) {
  absl::MutexLock lock(&write_mu_);
  Connection& w = *writer_;
  int current = 0;
  {
    // Scoped so the statement is reset before migrations run (an open statement blocks DROP INDEX).
    LUOSHI_ASSIGN_OR_RETURN(auto stmt, w.Prepare("PRAGMA user_version"));
    LUOSHI_ASSIGN_OR_RETURN(auto row, stmt.Step());
    current = static_cast<int>(stmt.ColumnInt(0));
  }
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (current > latest) {
    return absl::FailedPreconditionError(absl::StrCat("database ", path_, " has schema version ", current,
                                                      " but this binary knows only up to ", latest,
                                                      "; run a newer Luoshi or restore a matching backup"));
  }
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& m = migrations[i];
    if (m.version != static_cast<int>(i) + 1) {
      return absl::InternalError(
          absl::StrCat("migration numbers must be 1, 2, 3 …; found ", m.version, " at position ", i + 1));
    }
    if (m.version <= current) continue;
    absl::Status s = w.Exec("BEGIN IMMEDIATE");
    if (s.ok()) s = w.Exec(m.sql);
    if (s.ok()) s = w.Exec(absl::StrCat("PRAGMA user_version=", m.version));
    if (s.ok()) s = w.Exec("COMMIT");
    if (!s.ok()) {
      w.Exec("ROLLBACK").IgnoreError();
      return absl::InternalError(absl::StrCat("migration ", m.version, " failed: ", s.message()));
    }
    current = m.version;
  }
  schema_version_ = current;
  return absl::OkStatus();
}

namespace {

// absl::MutexLock that counts the wait when the writer is busy.
class ABSL_SCOPED_LOCKABLE WriterLock {
 public:
  explicit WriterLock(absl::Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    if (mu_->TryLock()) return;
    PoolWaits::Writer().Began();
    const absl::Time start = absl::Now();
    mu_->Lock();
    PoolWaits::Writer().Ended(absl::Now() - start);
  }
  ~WriterLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  absl::Mutex* const mu_;
};

}  // namespace

absl::Status Database::Write(const std::function<absl::Status(Connection&)>& fn) {
  WriterLock lock(&write_mu_);
  Connection& w = *writer_;
  LUOSHI_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
  absl::Status result = fn(w);
  if (result.ok()) {
    result = w.Exec("COMMIT");
    if (result.ok()) return result;
  }
  w.Exec("ROLLBACK").IgnoreError();
  return result;
}

absl::Status Database::Read(const std::function<absl::Status(Connection&)>& fn) {
  std::unique_ptr<Connection> conn;
  {
    absl::MutexLock lock(&read_mu_);
    if (idle_readers_.empty()) {
      PoolWaits::Reader().Began();
      const absl::Time start = absl::Now();
      read_mu_.Await(absl::Condition(
          +[](std::vector<std::unique_ptr<Connection>>* v) { return !v->empty(); }, &idle_readers_));
      PoolWaits::Reader().Ended(absl::Now() - start);
    }
    conn = std::move(idle_readers_.back());
    idle_readers_.pop_back();
  }
  absl::Status result = conn->Exec("BEGIN");
  if (result.ok()) {
    result = fn(*conn);
    conn->Exec("COMMIT").IgnoreError();
  }
  absl::MutexLock lock(&read_mu_);
  idle_readers_.push_back(std::move(conn));
  return result;
}

}  // namespace luoshi::sql
