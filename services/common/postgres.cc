#include "services/common/postgres.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "services/common/call_deadline.h"
#include "services/common/fnv.h"
#include "services/common/log.h"
#include "services/common/metrics.h"
#include "services/common/status_macros.h"

namespace luoshi::pg {
namespace {

// PostgreSQL's built-in type OIDs (src/include/catalog/pg_type.dat); stable across releases.
constexpr unsigned kBool = 16;
constexpr unsigned kBytea = 17;
constexpr unsigned kInt8 = 20;
constexpr unsigned kInt2 = 21;
constexpr unsigned kInt4 = 23;
constexpr unsigned kFloat4 = 700;
constexpr unsigned kFloat8 = 701;
constexpr unsigned kNumeric = 1700;

constexpr char kSqlStatePayload[] = "type.luoshi/postgres.sqlstate";
// What a lost connection is reported as when the server sent no SQLSTATE (connection_failure).
constexpr char kConnectionLost[] = "08006";

bool IsRetryable(absl::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01" || absl::StartsWith(sqlstate, "08") ||
         sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

// A lower-case SQL identifier: what channel and service names must be, so they can stand in SQL text.
bool IsPlainIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > 63 || absl::ascii_isdigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'; });
}

std::string Trimmed(const char* message) {
  return message ? std::string(absl::StripTrailingAsciiWhitespace(message)) : std::string();
}

// The start of a statement, for messages (the SQL is a constant: no values in it).
std::string Abbreviated(const std::string& sql) {
  constexpr size_t kMax = 80;
  std::string one_line = sql.substr(0, kMax);
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  return sql.size() > kMax ? absl::StrCat(one_line, "…") : one_line;
}

// luoshi_postgres_pool_waits_total and luoshi_postgres_pool_wait_seconds_total (docs/metrics.md): how
// often, and how long, callers found every connection of a pool busy. A process has one pool per store.
metrics::Counter& PoolWaitCount() {
  static metrics::Counter& counter =
      metrics::DefaultRegistry()
          .AddCounter("luoshi_postgres_pool_waits_total", "Times a caller waited for a PostgreSQL connection.", {})
          .With({});
  return counter;
}
metrics::Counter& PoolWaitSeconds() {
  static metrics::Counter& counter = metrics::DefaultRegistry()
                                         .AddCounter("luoshi_postgres_pool_wait_seconds_total",
                                                     "Seconds callers spent waiting for a PostgreSQL connection.", {})
                                         .With({});
  return counter;
}

}  // namespace

absl::Status StatusFromSqlState(absl::string_view sqlstate, absl::string_view what, absl::string_view reason) {
  const std::string message = absl::StrCat(what, ": ", reason, " (SQLSTATE ", sqlstate, ")");
  absl::Status status;
  if (sqlstate == "23505") {
    status = absl::AlreadyExistsError(message);
  } else if (sqlstate == "23502" || sqlstate == "23514" || absl::StartsWith(sqlstate, "22")) {
    status = absl::InvalidArgumentError(message);
  } else if (absl::StartsWith(sqlstate, "23")) {
    status = absl::FailedPreconditionError(message);
  } else if (IsRetryable(sqlstate) || sqlstate == "53300" || sqlstate == "55P03") {
    status = absl::UnavailableError(message);
  } else if (sqlstate == "57014") {
    status = absl::DeadlineExceededError(message);
  } else {
    status = absl::InternalError(message);
  }
  status.SetPayload(kSqlStatePayload, absl::Cord(sqlstate));
  return status;
}

std::string SqlStateOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kSqlStatePayload);
  return payload ? std::string(*payload) : std::string();
}

std::string DescribeUri(const std::string& uri) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
  if (error) PQfreemem(error);
  if (!options) return "";
  std::string user, host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    const absl::string_view key = o->keyword;
    if (key == "user") user = o->val;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") dbname = o->val;
  }
  PQconninfoFree(options);
  // libpq's defaults for what the URI leaves out, so the description says what is actually used.
  if (host.empty()) host = "localhost";
  return absl::StrCat(user.empty() ? "" : absl::StrCat(user, "@"), host, port.empty() ? "" : ":", port, "/",
                      dbname);
}

// ---- Params

unsigned Params::TypeOf(const int64_t*) { return kInt8; }
unsigned Params::TypeOf(const int32_t*) { return kInt4; }
unsigned Params::TypeOf(const double*) { return kFloat8; }
unsigned Params::TypeOf(const bool*) { return kBool; }
unsigned Params::TypeOf(const std::string*) { return 0; }

Params& Params::Push(unsigned type, std::string value, bool binary) {
  types_.push_back(type);
  values_.push_back(std::move(value));
  nulls_.push_back(false);
  formats_.push_back(binary ? 1 : 0);
  return *this;
}

Params& Params::AddTypedNull(unsigned type) {
  Push(type, "", type == kBytea);
  nulls_.back() = true;
  return *this;
}

Params& Params::Add(int64_t value) { return Push(kInt8, absl::StrCat(value), false); }
Params& Params::Add(int32_t value) { return Push(kInt4, absl::StrCat(value), false); }
Params& Params::Add(double value) {
  // PostgreSQL's spellings of the values that have no digits; otherwise enough digits to round-trip.
  if (std::isnan(value)) return Push(kFloat8, "NaN", false);
  if (std::isinf(value)) return Push(kFloat8, value > 0 ? "Infinity" : "-Infinity", false);
  return Push(kFloat8, absl::StrFormat("%.17g", value), false);
}
Params& Params::Add(bool value) { return Push(kBool, value ? "t" : "f", false); }
Params& Params::Add(absl::string_view text) { return Push(0, std::string(text), false); }
Params& Params::AddBytes(absl::string_view bytes) { return Push(kBytea, std::string(bytes), true); }
Params& Params::AddBytes(const std::optional<std::string>& bytes) {
  return bytes.has_value() ? AddBytes(*bytes) : AddTypedNull(kBytea);
}
Params& Params::AddNull() { return AddTypedNull(0); }

// ---- Row and Result

namespace {

const char* TypeName(unsigned oid) {
  switch (oid) {
    case kBool: return "bool";
    case kBytea: return "bytea";
    case kInt8: return "int8";
    case kInt2: return "int2";
    case kInt4: return "int4";
    case kFloat4: return "float4";
    case kFloat8: return "float8";
    case kNumeric: return "numeric";
    default: return nullptr;
  }
}

}  // namespace

absl::Status Row::Check(int col, std::initializer_list<unsigned> types, const char* wanted) const {
  if (col < 0 || col >= PQnfields(result_)) {
    return absl::InternalError(
        absl::StrCat("column ", col, " read as ", wanted, ", but the result has ", PQnfields(result_), " columns"));
  }
  if (PQgetisnull(result_, row_, col)) {
    return absl::InternalError(absl::StrCat("column ", col, " (", PQfname(result_, col), ") read as ", wanted,
                                            " is NULL; check IsNull first"));
  }
  const unsigned type = PQftype(result_, col);
  const bool fits = types.size() == 0 ? type != kBytea : std::find(types.begin(), types.end(), type) != types.end();
  if (!fits) {
    const char* name = TypeName(type);
    return absl::InternalError(absl::StrCat("column ", col, " (", PQfname(result_, col), ") is of type ",
                                            name ? name : absl::StrCat("OID ", type), ", not ", wanted));
  }
  return absl::OkStatus();
}

const char* Row::Text(int col) const { return PQgetvalue(result_, row_, col); }

bool Row::IsNull(int col) const {
  return col < 0 || col >= PQnfields(result_) || PQgetisnull(result_, row_, col) != 0;
}

absl::StatusOr<int64_t> Row::Int64(int col) const {
  LUOSHI_RETURN_IF_ERROR(Check(col, {kInt8, kInt4, kInt2}, "int64"));
  int64_t value = 0;
  if (!absl::SimpleAtoi(Text(col), &value)) return absl::InternalError(absl::StrCat("bad int8 text ", Text(col)));
  return value;
}

absl::StatusOr<int32_t> Row::Int32(int col) const {
  LUOSHI_RETURN_IF_ERROR(Check(col, {kInt4, kInt2}, "int32"));
  int32_t value = 0;
  if (!absl::SimpleAtoi(Text(col), &value)) return absl::InternalError(absl::StrCat("bad int4 text ", Text(col)));
  return value;
}

absl::StatusOr<double> Row::Double(int col) const {
  LUOSHI_RETURN_IF_ERROR(Check(col, {kFloat8, kFloat4, kNumeric}, "double"));
  const absl::string_view text = Text(col);
  // absl::SimpleAtod reads "inf" and "nan"; PostgreSQL writes "Infinity" and "NaN".
  if (text == "Infinity") return HUGE_VAL;
  if (text == "-Infinity") return -HUGE_VAL;
  if (text == "NaN") return std::nan("");
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) return absl::InternalError(absl::StrCat("bad float text ", text));
  return value;
}

absl::StatusOr<bool> Row::Bool(int col) const {
  LUOSHI_RETURN_IF_ERROR(Check(col, {kBool}, "bool"));
  return Text(col)[0] == 't';
}

absl::StatusOr<std::string> Row::Bytes(int col) const {
  LUOSHI_RETURN_IF_ERROR(Check(col, {kBytea}, "bytes"));
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(Text(col)), &length);
  if (!bytes) return absl::ResourceExhaustedError("out of memory decoding a bytea column");
  std::string value(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return value;
}

absl::StatusOr<std::string> Row::String(int col) const {
  LUOSHI_RETURN_IF_ERROR(Check(col, {}, "string"));
  return std::string(Text(col), PQgetlength(result_, row_, col));
}

absl::StatusOr<std::optional<std::string>> Row::OptionalString(int col) const {
  if (col >= 0 && col < PQnfields(result_) && PQgetisnull(result_, row_, col)) return std::nullopt;
  LUOSHI_ASSIGN_OR_RETURN(std::string value, String(col));
  return value;
}

Result::Result(Result&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}
Result::~Result() { PQclear(result_); }
int Result::rows() const { return PQntuples(result_); }
int Result::columns() const { return PQnfields(result_); }
int64_t Result::affected() const {
  int64_t n = 0;
  return absl::SimpleAtoi(PQcmdTuples(result_), &n) ? n : 0;
}

// ---- Connection

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& uri,
                                                             absl::Duration connect_timeout) {
  const std::string where = DescribeUri(uri);
  if (where.empty()) return absl::InvalidArgumentError("malformed PostgreSQL connection URI");
  // Ours first: the URI's own settings (expanded from dbname) override them.
  const std::string timeout = absl::StrCat(std::max<int64_t>(2, absl::ToInt64Seconds(connect_timeout)));
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "luoshi", uri.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return absl::ResourceExhaustedError("out of memory opening a PostgreSQL connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq's message names host, port and the failed step (e.g. authentication), never the password.
    absl::Status status = StatusFromSqlState(
        kConnectionLost, absl::StrCat("cannot connect to PostgreSQL at ", where), Trimmed(PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  // Notices (e.g. "relation already exists, skipping") are not errors; libpq would print them to stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn, where));
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
absl::Status Connection::SetStatementTimeout(int64_t milliseconds) {
  if (statement_timeout_ms_ == milliseconds) return absl::OkStatus();
  LUOSHI_RETURN_IF_ERROR(Execute("SELECT set_config('statement_timeout', $1, false)",
                                 Params().Add(absl::StrCat(milliseconds)))
                             .status());
  statement_timeout_ms_ = milliseconds;
  return absl::OkStatus();
}

int Connection::backend_pid() const { return PQbackendPID(conn_); }

bool Connection::Probe() {
  return PQconsumeInput(conn_) != 0 && healthy() && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

absl::Status Connection::Failure(const pg_result* result, absl::string_view what) {
  const char* sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string reason;
  if (sqlstate) {
    reason = Trimmed(PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
    if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
      absl::StrAppend(&reason, " (", Trimmed(detail), ")");
    }
  } else {
    // No answer from the server: the connection broke (or libpq failed before sending).
    sqlstate = healthy() ? "XX000" : kConnectionLost;
    reason = absl::StrCat(healthy() ? "" : absl::StrCat("lost the connection to ", where_, ": "),
                          Trimmed(PQerrorMessage(conn_)));
  }
  if (first_error_sqlstate_.empty()) first_error_sqlstate_ = sqlstate;
  return StatusFromSqlState(sqlstate, what, reason);
}

absl::StatusOr<Result> Connection::Execute(const std::string& sql, const Params& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = absl::StrCat("luoshi_", prepared_.size() + 1);
    Result prepared(PQprepare(conn_, name.c_str(), sql.c_str(), params.size(), params.types_.data()));
    if (PQresultStatus(prepared.result_) != PGRES_COMMAND_OK) {
      return Failure(prepared.result_, absl::StrCat("cannot prepare \"", Abbreviated(sql), "\""));
    }
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size());
  for (int i = 0; i < params.size(); ++i) {
    values[i] = params.nulls_[i] ? nullptr : params.values_[i].data();
    lengths[i] = static_cast<int>(params.values_[i].size());
  }
  Result result(PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(), lengths.data(),
                               params.formats_.data(), /*resultFormat=*/0));
  const ExecStatusType status = PQresultStatus(result.result_);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Failure(result.result_, absl::StrCat("\"", Abbreviated(sql), "\" failed"));
  }
  return result;
}

absl::Status Connection::Exec(const std::string& sql) {
  Result result(PQexec(conn_, sql.c_str()));
  const ExecStatusType status = PQresultStatus(result.result_);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    return Failure(result.result_, absl::StrCat("\"", Abbreviated(sql), "\" failed"));
  }
  return absl::OkStatus();
}

absl::Status Connection::Notify(const std::string& channel, const std::string& payload) {
  return Execute("SELECT pg_notify($1, $2)", Params().Add(channel).Add(payload)).status();
}

// ---- PgPool

PgPool::PgPool(std::string uri, std::string where, PoolOptions options)
    : uri_(std::move(uri)), where_(std::move(where)), options_(options) {}

PgPool::~PgPool() {
  absl::MutexLock lock(&mu_);
  idle_.clear();
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Open(const std::string& uri, PoolOptions options) {
  const std::string where = DescribeUri(uri);
  if (where.empty()) {
    return absl::InvalidArgumentError(
        "malformed PostgreSQL connection URI; expected postgres://USER@HOST:PORT/DATABASE?sslmode=…");
  }
  if (options.size < 1) return absl::InvalidArgumentError("a PostgreSQL pool needs at least one connection");
  std::unique_ptr<PgPool> pool(new PgPool(uri, where, options));
  // The wait series exist at 0 from the start in a service on PostgreSQL (and not in one on SQLite).
  PoolWaitCount();
  PoolWaitSeconds();
  LUOSHI_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first, Connection::Open(uri, options.connect_timeout));
  absl::MutexLock lock(&pool->mu_);
  pool->idle_.push_back(std::move(first));
  pool->open_ = 1;
  return pool;
}

int PgPool::open_connections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  const absl::Time call_deadline = CallDeadline();
  if (call_deadline <= absl::Now()) {
    return absl::DeadlineExceededError("the call's deadline passed before the database was asked");
  }
  const absl::Time deadline = std::min(absl::Now() + options_.acquire_timeout, call_deadline);
  while (true) {
    std::unique_ptr<Connection> conn;
    {
      absl::MutexLock lock(&mu_);
      if (!CanAcquire()) {
        // Counted as the wait begins (a wait that never ends still shows), its time once it ends.
        PoolWaitCount().Add();
        const absl::Time began = absl::Now();
        const bool got = mu_.AwaitWithDeadline(absl::Condition(this, &PgPool::CanAcquire), deadline);
        PoolWaitSeconds().Add(absl::ToDoubleSeconds(absl::Now() - began));
        if (!got && call_deadline <= absl::Now()) {
          return absl::DeadlineExceededError(absl::StrCat("the call's deadline passed while waiting for one of the ",
                                                          options_.size, " PostgreSQL connections to ", where_));
        }
        if (!got) {
          return absl::UnavailableError(absl::StrCat(
              "all ", options_.size, " PostgreSQL connections to ", where_, " stayed busy for ",
              absl::FormatDuration(options_.acquire_timeout), "; the database is overloaded or slow, try again"));
        }
      }
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        ++open_;  // reserved while connecting, outside the lock
      }
    }
    if (!conn) {
      auto opened = Connection::Open(uri_, options_.connect_timeout);
      if (!opened.ok()) {
        absl::MutexLock lock(&mu_);
        --open_;
        return opened.status();
      }
      return Bounded(Lease(this, std::move(*opened)));
    }
    // A connection the server closed while it sat idle (restart, pg_terminate_backend, idle timeout) is
    // replaced here instead of failing the caller's first statement.
    if (conn->Probe()) return Bounded(Lease(this, std::move(conn)));
    conn.reset();
    absl::MutexLock lock(&mu_);
    --open_;
  }
}

absl::StatusOr<PgPool::Lease> PgPool::Bounded(Lease lease) {
  int64_t ms = options_.statement_timeout > absl::ZeroDuration()
                   ? absl::ToInt64Milliseconds(absl::Ceil(options_.statement_timeout, absl::Milliseconds(1)))
                   : 0;
  const absl::Time call_deadline = CallDeadline();
  if (call_deadline != absl::InfiniteFuture()) {
    const absl::Duration left = call_deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("the call's deadline passed before the database was asked");
    }
    const int64_t left_ms = absl::ToInt64Milliseconds(absl::Ceil(left, absl::Seconds(1)));
    if (ms == 0 || left_ms < ms) ms = left_ms;
  }
  LUOSHI_RETURN_IF_ERROR(lease->SetStatementTimeout(ms));
  return lease;
}

void PgPool::Return(std::unique_ptr<Connection> conn) {
  // A caller that left a transaction open (or failed) gets it rolled back, not handed to the next caller.
  if (conn->healthy() && PQtransactionStatus(conn->raw()) != PQTRANS_IDLE) conn->Exec("ROLLBACK").IgnoreError();
  const bool keep = conn->healthy() && PQtransactionStatus(conn->raw()) == PQTRANS_IDLE;
  if (!keep) conn.reset();
  absl::MutexLock lock(&mu_);
  if (keep) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
}

PgPool::Lease::~Lease() {
  if (conn_) pool_->Return(std::move(conn_));
}

namespace {

const char* BeginStatement(const TransactOptions& options) {
  switch (options.isolation) {
    case Isolation::kSerializable:
      return options.read_only ? "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY" : "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case Isolation::kRepeatableRead:
      return options.read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                               : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kReadCommitted:
      break;
  }
  return options.read_only ? "BEGIN READ ONLY" : "BEGIN";
}

}  // namespace

absl::Status PgPool::TransactOnce(const std::function<absl::Status(Connection&)>& fn,
                                  const TransactOptions& options, bool* retry) {
  *retry = false;
  LUOSHI_ASSIGN_OR_RETURN(Lease lease, Acquire());
  Connection& conn = *lease;
  conn.first_error_sqlstate_.clear();
  absl::Status status = conn.Exec(BeginStatement(options));
  if (status.ok()) status = fn(conn);
  if (!status.ok()) {
    // Nothing was committed: safe to run again if the failure was the database's transient kind.
    *retry = IsRetryable(SqlStateOf(status)) || IsRetryable(conn.first_error_sqlstate_) || !conn.healthy();
    if (conn.healthy()) conn.Exec("ROLLBACK").IgnoreError();
    return status;
  }
  Result commit(PQexec(conn.raw(), "COMMIT"));
  if (PQresultStatus(commit.result_) == PGRES_COMMAND_OK) {
    if (absl::string_view(PQcmdStatus(commit.result_)) != "ROLLBACK") return absl::OkStatus();
    // The callback swallowed a failed statement; PostgreSQL then turns COMMIT into ROLLBACK.
    const std::string sqlstate = conn.first_error_sqlstate_.empty() ? "25P02" : conn.first_error_sqlstate_;
    *retry = IsRetryable(sqlstate);
    return StatusFromSqlState(sqlstate, "commit", "a statement of the transaction had failed, so it was rolled back");
  }
  status = conn.Failure(commit.result_, "commit");
  const std::string sqlstate = SqlStateOf(status);
  if (sqlstate == "40001" || sqlstate == "40P01") {
    *retry = true;  // the server answered that it rolled back
    return status;
  }
  if (!conn.healthy()) {
    return absl::UnavailableError(absl::StrCat("lost the connection to ", where_,
                                               " during COMMIT: the transaction may or may not have been committed (",
                                               status.message(), ")"));
  }
  return status;
}

absl::Status PgPool::Transact(const std::function<absl::Status(Connection&)>& fn, TransactOptions options) {
  const absl::Time start = absl::Now();
  absl::BitGen random;
  absl::Duration backoff = options_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    bool retry = false;
    absl::Status status = TransactOnce(fn, options, &retry);
    if (status.ok() || !retry) return status;
    // Full jitter would allow a zero pause; half to all of the step keeps contenders apart.
    const absl::Duration pause = backoff * absl::Uniform(random, 0.5, 1.0);
    if (attempt >= options_.max_attempts || absl::Now() + pause - start > options_.retry_budget) {
      absl::Status gave_up(status.code(), absl::StrCat("gave up after ", attempt, " attempts: ", status.message()));
      status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) { gave_up.SetPayload(url, payload); });
      return gave_up;
    }
    absl::SleepFor(pause);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

// ---- Migrations

namespace {

// Takes the session advisory lock `key`, polling so that the wait is bounded and visible in the log: a
// replica whose peer migrates a large table says what it waits for instead of hanging silently.
absl::Status WaitForMigrationLock(Connection& conn, absl::string_view service, int64_t key, absl::Duration lock_wait) {
  const absl::Time start = absl::Now();
  absl::Time next_log = start + absl::Seconds(10);
  while (true) {
    LUOSHI_ASSIGN_OR_RETURN(Result got, conn.Execute("SELECT pg_try_advisory_lock($1)", Params().Add(key)));
    LUOSHI_ASSIGN_OR_RETURN(bool locked, got.row(0).Bool(0));
    if (locked) return absl::OkStatus();
    // Who holds it, for the message (the lock's 64-bit key is split into two 32-bit halves in pg_locks).
    std::string holder = "another process";
    auto who = conn.Execute(
        "SELECT l.pid, COALESCE(a.application_name, ''), COALESCE(host(a.client_addr), 'local') FROM pg_locks l "
        "LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        "AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid "
        "AND l.objsubid = 1 LIMIT 1",
        Params().Add(key));
    if (who.ok() && who->rows() == 1) {
      holder = absl::StrCat("server process ", who->row(0).String(0).value_or("?"), " (application ",
                            who->row(0).String(1).value_or("?"), ", from ", who->row(0).String(2).value_or("?"), ")");
    }
    const absl::Time now = absl::Now();
    if (now - start >= lock_wait) {
      return absl::UnavailableError(absl::StrCat(
          "waited ", absl::FormatDuration(lock_wait), " for the schema migrations of service ", service,
          " held by ", holder, "; if no migration is running there, end that session and start again"));
    }
    if (now >= next_log) {
      LogWarning("waiting for another replica's schema migrations",
                 {{"service", std::string(service)}, {"holder", holder},
                  {"waited", absl::FormatDuration(absl::Trunc(now - start, absl::Seconds(1)))}});
      next_log = now + absl::Seconds(10);
    }
    absl::SleepFor(std::min(absl::Milliseconds(200), lock_wait - (now - start)));
  }
}

}  // namespace

absl::StatusOr<int> RunPgMigrations(PgPool& pool, absl::string_view service,
                                    const std::vector<Migration>& migrations, absl::Duration lock_wait) {
  if (!IsPlainIdentifier(service)) {
    return absl::InvalidArgumentError(
        absl::StrCat("service name \"", service, "\" for migrations must be a lower-case identifier"));
  }
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InvalidArgumentError(absl::StrCat("migration numbers must be 1, 2, 3 …; found ",
                                                     migrations[i].version, " at position ", i + 1));
    }
  }
  const int latest = static_cast<int>(migrations.size());
  LUOSHI_ASSIGN_OR_RETURN(PgPool::Lease lease, pool.Acquire());
  Connection& conn = *lease;
  // The table is shared by every service of the database; its creation takes one fixed lock so that two
  // different services starting together do not both try to create it. (A simple query of several
  // statements is one transaction, which the xact lock lasts.)
  LUOSHI_RETURN_IF_ERROR(conn.Exec(
      "SELECT pg_advisory_xact_lock(7468021937);"
      "CREATE TABLE IF NOT EXISTS luoshi_schema_migrations ("
      "  service TEXT NOT NULL, version INTEGER NOT NULL,"
      "  applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (service, version))"));
  // One key per service, the same in every process and build.
  const auto key = static_cast<int64_t>(Fnv1a64(absl::StrCat("luoshi schema migrations ", service)));
  LUOSHI_RETURN_IF_ERROR(conn.SetStatementTimeout(0));  // an index on a large table may take a while
  LUOSHI_RETURN_IF_ERROR(WaitForMigrationLock(conn, service, key, lock_wait));
  auto run = [&]() -> absl::StatusOr<int> {
    LUOSHI_ASSIGN_OR_RETURN(
        Result found, conn.Execute("SELECT COALESCE(MAX(version), 0) FROM luoshi_schema_migrations WHERE service = $1",
                                   Params().Add(service)));
    LUOSHI_ASSIGN_OR_RETURN(int64_t current, found.row(0).Int64(0));
    if (current > latest) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PostgreSQL database ", pool.where(), " has schema version ", current, " of service ", service,
          ", but this binary knows versions only up to ", latest,
          ": a newer Luoshi has upgraded it; upgrade this binary (or restore a backup taken before the upgrade)"));
    }
    for (const Migration& m : migrations) {
      if (m.version <= current) continue;
      absl::Status status = conn.Exec("BEGIN");
      if (status.ok()) status = conn.Exec(m.sql);
      if (status.ok()) {
        status = conn.Execute("INSERT INTO luoshi_schema_migrations (service, version) VALUES ($1, $2)",
                              Params().Add(service).Add(m.version))
                     .status();
      }
      if (status.ok()) status = conn.Exec("COMMIT");
      if (!status.ok()) {
        if (conn.healthy()) conn.Exec("ROLLBACK").IgnoreError();
        return absl::Status(status.code() == absl::StatusCode::kUnavailable ? status.code()
                                                                              : absl::StatusCode::kInternal,
                            absl::StrCat("migration ", m.version, " of service ", service, " failed: ", status.message()));
      }
      current = m.version;
    }
    return static_cast<int>(current);
  };
  absl::StatusOr<int> version = run();
  // A lost connection has released the lock already.
  if (conn.healthy()) conn.Execute("SELECT pg_advisory_unlock($1)", Params().Add(key)).status().IgnoreError();
  return version;
}

// ---- PgListener

PgListener::PgListener(std::string uri, std::vector<std::string> channels, ListenerCallbacks callbacks,
                       absl::Duration reconnect_backoff)
    : uri_(std::move(uri)),
      channels_(std::move(channels)),
      callbacks_(std::move(callbacks)),
      reconnect_backoff_(reconnect_backoff) {}

absl::StatusOr<std::unique_ptr<PgListener>> PgListener::Start(const std::string& uri,
                                                               std::vector<std::string> channels,
                                                               ListenerCallbacks callbacks,
                                                               absl::Duration reconnect_backoff) {
  for (const std::string& channel : channels) {
    if (!IsPlainIdentifier(channel)) {
      return absl::InvalidArgumentError(
          absl::StrCat("channel name \"", channel, "\" must be a lower-case identifier ([a-z_][a-z0-9_]*)"));
    }
  }
  std::unique_ptr<PgListener> listener(
      new PgListener(uri, std::move(channels), std::move(callbacks), reconnect_backoff));
  LUOSHI_ASSIGN_OR_RETURN(listener->conn_, listener->ConnectAndListen());
  listener->thread_ = std::thread([l = listener.get()] { l->Loop(); });
  return listener;
}

absl::StatusOr<std::unique_ptr<Connection>> PgListener::ConnectAndListen() {
  LUOSHI_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(uri_, absl::Seconds(10)));
  for (const std::string& channel : channels_) {
    // LISTEN takes no parameters; the name was checked to be a plain identifier in Start.
    LUOSHI_RETURN_IF_ERROR(conn->Exec(absl::StrCat("LISTEN ", channel)));
  }
  backend_pid_ = conn->backend_pid();
  return conn;
}

int PgListener::backend_pid() const { return backend_pid_; }

void PgListener::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  conn_.reset();
}

void PgListener::Loop() {
  // How long a wait lasts before the stop flag is looked at again: the most Stop() waits.
  constexpr int kPollMs = 50;
  while (!stop_) {
    if (!conn_) {
      for (absl::Duration waited; waited < reconnect_backoff_ && !stop_; waited += absl::Milliseconds(kPollMs)) {
        absl::SleepFor(absl::Milliseconds(kPollMs));
      }
      if (stop_) break;
      auto conn = ConnectAndListen();
      if (!conn.ok()) continue;
      conn_ = std::move(*conn);
      if (callbacks_.reconnected) callbacks_.reconnected();
      continue;
    }
    pollfd fd{PQsocket(conn_->raw()), POLLIN, 0};
    if (poll(&fd, 1, kPollMs) < 0) continue;  // EINTR
    if (PQconsumeInput(conn_->raw()) == 0 || !conn_->healthy()) {
      conn_.reset();
      backend_pid_ = 0;
      continue;
    }
    while (PGnotify* n = PQnotifies(conn_->raw())) {
      Notification notification{n->relname, n->extra};
      PQfreemem(n);
      if (callbacks_.notify) callbacks_.notify(notification);
    }
  }
}

}  // namespace luoshi::pg
