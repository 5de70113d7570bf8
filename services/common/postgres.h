// PostgreSQL access shared by the services' PostgreSQL stores (issue 23): a thin layer over libpq.
//
//   auto pool = pg::PgPool::Open("postgres://luoshi@db.internal/luoshi?sslmode=verify-full");
//   LUOSHI_ASSIGN_OR_RETURN(int version, pg::RunPgMigrations(**pool, "tasks", TaskMigrations()));
//   absl::Status s = (*pool)->Transact([&](pg::Connection& c) -> absl::Status {
//     LUOSHI_ASSIGN_OR_RETURN(pg::Result r, c.Execute("SELECT percent FROM tasks WHERE id = $1 FOR UPDATE",
//                                                     pg::Params().Add(task_id)));
//     if (r.rows() == 0) return TaskNotFound(task_id);
//     LUOSHI_ASSIGN_OR_RETURN(int32_t percent, r.row(0).Int32(0));
//     return c.Execute("UPDATE tasks SET percent = $2 WHERE id = $1", pg::Params().Add(task_id).Add(percent + 1))
//         .status();
//   });
//
// The contracts the stores rely on:
// - Every value is a parameter ($1, $2 …); SQL text is a constant. Connection::Execute prepares each SQL
//   text once per connection (on first use, cached by its text) and then only executes it.
// - PgPool holds at most `size` connections, opened when first needed; a caller waits at most
//   `acquire_timeout` for one (then UNAVAILABLE).
// - Every statement is bounded in time: by PoolOptions::statement_timeout, and tighter by the deadline of
//   the gRPC call the thread is serving (call_deadline.h; CallAdapter sets it), so a query whose caller has
//   given up is cancelled by the server (DEADLINE_EXCEEDED) instead of holding a connection and its locks. A connection whose server side went away is noticed when it
//   is checked out or when a call on it fails, and is replaced by a fresh one.
// - PgPool::Transact runs a function inside BEGIN … COMMIT and runs it again (with jittered exponential
//   backoff, bounded in attempts and time) after a serialization failure, a deadlock or a lost connection,
//   but only when the transaction certainly did not commit. The function must therefore be safe to run more
//   than once: no side effects outside the database (collect them and act after Transact returns).
// - Errors are mapped from SQLSTATE to absl::Status in one place (StatusFromSqlState); messages name the
//   statement's purpose and PostgreSQL's reason, never the connection password.
// - RunPgMigrations applies numbered migrations under a PostgreSQL advisory lock, so replicas that start
//   together apply each migration exactly once.
// - PgListener LISTENs on a dedicated connection and calls back from its own thread; after a lost
//   connection it reconnects and says so, since notifications sent meanwhile are gone.
//
// Thread safety: PgPool and PgListener are safe to use from many threads. A Connection belongs to whoever
// checked it out (a PgPool::Lease, or the callback of Transact) and must not be shared.
#ifndef LUOSHI_SERVICES_COMMON_POSTGRES_H_
#define LUOSHI_SERVICES_COMMON_POSTGRES_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct pg_conn;
struct pg_result;

namespace luoshi::pg {

// One schema change; versions are 1, 2, 3 … without gaps, as for SQLite (services/common/sqlite.h).
struct Migration {
  int version;
  std::string sql;  // one or more statements, run with the simple query protocol
};

// The values of a statement's parameters, in order ($1 is the first Add). Numbers and booleans are sent as
// text with their PostgreSQL type (int8, int4, float8, bool); bytes as bytea in binary form, so any byte
// (NUL, invalid UTF-8) arrives unchanged; strings as text whose type PostgreSQL infers from where the
// parameter stands, as for a quoted literal: a string fits a text, varchar, timestamptz, numeric or jsonb
// column alike. A statement's parameter types are fixed when a connection first prepares it: keep them the
// same on every call of the same SQL (e.g. Add(std::optional<int64_t>) rather than AddNull()).
class Params {
 public:
  Params& Add(int64_t value);
  Params& Add(int32_t value);
  Params& Add(double value);
  Params& Add(bool value);
  Params& Add(absl::string_view text);
  Params& Add(const std::string& text) { return Add(absl::string_view(text)); }
  Params& Add(const char* text) { return Add(absl::string_view(text)); }
  Params& AddBytes(absl::string_view bytes);
  Params& AddBytes(const std::string& bytes) { return AddBytes(absl::string_view(bytes)); }
  // NULL of an unspecified type (PostgreSQL infers it from where the parameter stands).
  Params& AddNull();
  // NULL of the value's type when empty.
  template <typename T>
  Params& Add(const std::optional<T>& value) {
    if (value.has_value()) return Add(*value);
    return AddTypedNull(TypeOf(static_cast<const T*>(nullptr)));
  }
  // As Add(optional), for bytes.
  Params& AddBytes(const std::optional<std::string>& bytes);

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Connection;
  static unsigned TypeOf(const int64_t*);
  static unsigned TypeOf(const int32_t*);
  static unsigned TypeOf(const double*);
  static unsigned TypeOf(const bool*);
  static unsigned TypeOf(const std::string*);
  Params& Push(unsigned type, std::string value, bool binary);
  Params& AddTypedNull(unsigned type);

  std::vector<unsigned> types_;  // PostgreSQL type OIDs; 0 lets the server infer
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> formats_;  // 0 text, 1 binary
};

// One row of a Result, read column by column (0-based). Each getter checks the column's PostgreSQL type and
// NULL-ness and returns INTERNAL (a store defect, not bad input) on a mismatch instead of guessing.
class Row {
 public:
  bool IsNull(int col) const;
  absl::StatusOr<int64_t> Int64(int col) const;   // int8, int4, int2
  absl::StatusOr<int32_t> Int32(int col) const;   // int4, int2
  absl::StatusOr<double> Double(int col) const;   // float8, float4, numeric
  absl::StatusOr<bool> Bool(int col) const;       // bool
  absl::StatusOr<std::string> Bytes(int col) const;   // bytea, decoded
  absl::StatusOr<std::string> String(int col) const;  // PostgreSQL's text form of any type but bytea
  // String, or nullopt for NULL.
  absl::StatusOr<std::optional<std::string>> OptionalString(int col) const;

 private:
  friend class Result;
  Row(const pg_result* result, int row) : result_(result), row_(row) {}
  absl::Status Check(int col, std::initializer_list<unsigned> types, const char* wanted) const;
  const char* Text(int col) const;
  const pg_result* result_;
  int row_;
};

// The outcome of a statement: its rows (text format) and, for INSERT/UPDATE/DELETE, the rows affected.
class Result {
 public:
  Result(Result&& other) noexcept;
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();

  int rows() const;
  int columns() const;
  Row row(int i) const { return Row(result_, i); }
  // Rows an INSERT, UPDATE or DELETE touched (a SELECT: rows returned); 0 when the statement has no count.
  int64_t affected() const;

 private:
  friend class Connection;
  friend class PgPool;
  explicit Result(pg_result* result) : result_(result) {}
  pg_result* result_;
};

// One PostgreSQL connection with its cache of prepared statements.
class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Prepares `sql` on this connection the first time (cached by its text) and executes it with `params`.
  // Errors: see StatusFromSqlState; UNAVAILABLE when the connection is lost.
  absl::StatusOr<Result> Execute(const std::string& sql, const Params& params = Params());
  // Runs a script without parameters (schema changes, SET …), possibly several statements.
  absl::Status Exec(const std::string& sql);
  // NOTIFY `channel` with `payload`, delivered to listeners when the current transaction commits (at once
  // outside one). Both are bound as parameters (pg_notify); payloads must be under 8000 bytes.
  absl::Status Notify(const std::string& channel, const std::string& payload);

  // Sets PostgreSQL's statement_timeout for this session (0: none), skipping the round trip when the
  // connection already has that value.
  absl::Status SetStatementTimeout(int64_t milliseconds);

  // The server process serving this connection (pg_backend_pid()).
  int backend_pid() const;
  // false once the server side is known to be gone.
  bool healthy() const;
  pg_conn* raw() { return conn_; }

 private:
  friend class PgPool;
  friend class PgListener;
  Connection(pg_conn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  // Connects to `uri`; UNAVAILABLE (naming where, never the password) when that fails.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& uri, absl::Duration connect_timeout);
  // Reads whatever the server sent while the connection sat idle; false when it is gone or mid-transaction.
  bool Probe();
  // Maps a failed result (or a lost connection when `result` is null) and notes a retryable SQLSTATE.
  absl::Status Failure(const pg_result* result, absl::string_view what);
  pg_conn* conn_;
  std::string where_;  // user@host:port/db, for messages
  std::unordered_map<std::string, std::string> prepared_;  // SQL text → statement name
  // The SQLSTATE of the first error since the transaction began ("" if none): Transact retries on it even
  // when the callback swallowed the error.
  std::string first_error_sqlstate_;
  int64_t statement_timeout_ms_ = -1;  // as last set by SetStatementTimeout; -1 before
};

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

struct TransactOptions {
  Isolation isolation = Isolation::kReadCommitted;
  bool read_only = false;
};

struct PoolOptions {
  int size = 4;                                          // connections at most
  absl::Duration acquire_timeout = absl::Seconds(5);     // wait for a free connection, then UNAVAILABLE
  absl::Duration connect_timeout = absl::Seconds(10);    // per new connection (libpq connect_timeout)
  // The longest any statement may run (PostgreSQL's statement_timeout; zero: no bound). A call's deadline
  // (call_deadline.h) lowers it for the statements made while serving that call, rounded up to whole
  // seconds so that calls with the same deadline reuse a connection's setting without another round trip.
  absl::Duration statement_timeout = absl::Seconds(30);
  // Transact's retries: at most `max_attempts` runs of the function, and no new attempt after
  // `retry_budget`; the pause before attempt n+1 is a random fraction (½ to 1) of
  // min(initial_backoff · 2ⁿ⁻¹, max_backoff).
  int max_attempts = 8;
  absl::Duration retry_budget = absl::Seconds(10);
  absl::Duration initial_backoff = absl::Milliseconds(5);
  absl::Duration max_backoff = absl::Milliseconds(500);
};

class PgPool {
 public:
  // A checked-out connection, returned to the pool (or closed, if it broke) when the Lease is destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    PgPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  // Checks `uri` (a libpq connection URI or key=value string) and opens one connection to prove the server
  // is reachable. INVALID_ARGUMENT for a malformed URI or options, UNAVAILABLE when the server cannot be
  // reached or refuses the login.
  static absl::StatusOr<std::unique_ptr<PgPool>> Open(const std::string& uri, PoolOptions options = {});
  ~PgPool();  // every Lease must have been returned

  // A connection for statements outside a transaction (each statement commits on its own). Waits at most
  // acquire_timeout: UNAVAILABLE naming the pool size when every connection stays busy; DEADLINE_EXCEEDED
  // when the call's deadline (call_deadline.h) passes first. Its statements are bounded as the contract
  // at the top says.
  absl::StatusOr<Lease> Acquire();

  // Runs `fn` in BEGIN … COMMIT. A non-OK status from `fn` rolls back; it is returned unchanged unless it
  // (or any statement inside) was a serialization failure (40001), a deadlock (40P01) or a lost connection,
  // in which case `fn` runs again on a healthy connection after a backoff (PoolOptions). A connection lost
  // during COMMIT is not retried (the commit may have happened): UNAVAILABLE saying the outcome is unknown.
  absl::Status Transact(const std::function<absl::Status(Connection&)>& fn, TransactOptions options = {});

  // user@host:port/db, without the password: for logs and messages.
  const std::string& where() const { return where_; }
  const PoolOptions& options() const { return options_; }
  // Connections open now (idle and checked out).
  int open_connections() const;

 private:
  PgPool(std::string uri, std::string where, PoolOptions options);
  void Return(std::unique_ptr<Connection> conn);
  // Bounds the lease's statements (statement_timeout, the call's deadline) before it is handed out.
  absl::StatusOr<Lease> Bounded(Lease lease);
  bool CanAcquire() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < options_.size;
  }
  absl::Status TransactOnce(const std::function<absl::Status(Connection&)>& fn, const TransactOptions& options,
                            bool* retry);

  const std::string uri_;
  const std::string where_;
  const PoolOptions options_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + checked out + being opened
};

// The one place SQLSTATEs become statuses. `what` names the operation ("insert task T5"), `reason` is
// PostgreSQL's message. The status carries the SQLSTATE as a payload (SqlStateOf).
//   23505 unique_violation                          ALREADY_EXISTS
//   23503 foreign_key_violation, other class 23     FAILED_PRECONDITION (the row it depends on is missing or
//                                                   still referenced: the state of the data, not the request)
//   23502 not_null, 23514 check, class 22 (data)    INVALID_ARGUMENT (the value itself is unacceptable)
//   40001, 40P01, class 08, 57P01-57P03, 53300,     UNAVAILABLE (try again: Transact does)
//   55P03 lock_not_available
//   57014 query_canceled (statement_timeout)        DEADLINE_EXCEEDED
//   anything else                                   INTERNAL
absl::Status StatusFromSqlState(absl::string_view sqlstate, absl::string_view what, absl::string_view reason);
// The SQLSTATE a status from this library carries ("" if none; "08006" for a lost connection).
std::string SqlStateOf(const absl::Status& status);
// user@host:port/db of a connection URI, never its password ("" when the URI does not parse).
std::string DescribeUri(const std::string& uri);

// Applies the migrations of `service` newer than the database's, each in its own transaction, recorded in
// the table luoshi_schema_migrations (service, version, applied_at). The whole run holds a session advisory
// lock whose key derives from `service`, so replicas starting together wait for each other and each
// migration is applied exactly once; a replica waits at most `lock_wait` for another's migrations (then
// UNAVAILABLE naming the process holding the lock), logging while it waits. Migration statements have no
// statement_timeout (an index on a large table may take long). Returns the database's version afterwards.
// FAILED_PRECONDITION when the database already has a version newer than `migrations` know (an older binary
// after an upgrade: upgrade this binary); INVALID_ARGUMENT for a malformed service name or numbering;
// INTERNAL when a migration fails (it is rolled back, earlier ones stay).
absl::StatusOr<int> RunPgMigrations(PgPool& pool, absl::string_view service,
                                    const std::vector<Migration>& migrations,
                                    absl::Duration lock_wait = absl::Minutes(15));

struct Notification {
  std::string channel;
  std::string payload;
};

struct ListenerCallbacks {
  // Each notification, in the order PostgreSQL delivered them.
  std::function<void(const Notification&)> notify;
  // After the connection was lost and made again: notifications sent in between are lost, so resynchronise
  // (e.g. reload from the database).
  std::function<void()> reconnected;
};

// A dedicated connection that LISTENs on `channels` and calls back from its own thread (callbacks should be
// quick: the next notification waits). Channel names are lower-case identifiers ([a-z_][a-z0-9_]*).
class PgListener {
 public:
  // Connects and LISTENs before returning (so a NOTIFY committed after Start returns is delivered).
  // INVALID_ARGUMENT for a bad channel name, UNAVAILABLE when the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<PgListener>> Start(const std::string& uri,
                                                           std::vector<std::string> channels,
                                                           ListenerCallbacks callbacks,
                                                           absl::Duration reconnect_backoff = absl::Seconds(1));
  // Stops the thread (no callback runs after Stop returns) and closes the connection.
  ~PgListener() { Stop(); }
  void Stop();

  // The server process of the current connection (for tests that cut it).
  int backend_pid() const;

 private:
  PgListener(std::string uri, std::vector<std::string> channels, ListenerCallbacks callbacks,
             absl::Duration reconnect_backoff);
  absl::StatusOr<std::unique_ptr<Connection>> ConnectAndListen();
  void Loop();

  const std::string uri_;
  const std::vector<std::string> channels_;
  const ListenerCallbacks callbacks_;
  const absl::Duration reconnect_backoff_;
  std::atomic<bool> stop_{false};
  std::atomic<int> backend_pid_{0};
  std::unique_ptr<Connection> conn_;  // used by the thread only, after Start
  std::thread thread_;
};

}  // namespace luoshi::pg

#endif  // LUOSHI_SERVICES_COMMON_POSTGRES_H_
