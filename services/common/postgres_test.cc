// The PostgreSQL wrapper against a real server (tests/common/postgres_server.h): each test gets its own
// database in one server per test program.
#include "services/common/postgres.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/barrier.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/common/call_deadline.h"
#include "services/common/metrics.h"
#include "tests/common/postgres_server.h"

namespace luoshi::pg {
namespace {

using ::luoshi::testing::SharedPostgres;

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = SharedPostgres();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    auto uri = server_->CreateDatabase(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(uri.ok()) << uri.status();
    uri_ = *uri;
    pool_ = OpenPool();
    ASSERT_NE(pool_, nullptr);
  }

  std::unique_ptr<PgPool> OpenPool(PoolOptions options = {}) {
    auto pool = PgPool::Open(uri_, options);
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? std::move(*pool) : nullptr;
  }

  // Runs a statement without a transaction of its own; the test fails if it does.
  Result Must(PgPool& pool, const std::string& sql, const Params& params = Params()) {
    auto lease = pool.Acquire();
    EXPECT_TRUE(lease.ok()) << lease.status();
    auto result = (*lease)->Execute(sql, params);
    EXPECT_TRUE(result.ok()) << result.status();
    return std::move(*result);
  }

  // Runs a script (several statements, no parameters); the test fails if it does.
  void Script(const std::string& sql) {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status();
    absl::Status status = (*lease)->Exec(sql);
    ASSERT_TRUE(status.ok()) << status;
  }

  int64_t Count(const std::string& table) {
    auto n = Must(*pool_, "SELECT count(*) FROM " + table).row(0).Int64(0);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(-1);
  }

  // Ends the server process behind a connection, waiting until it is gone, from another connection.
  void Terminate(int backend_pid) {
    auto done = Must(*pool_, "SELECT pg_terminate_backend($1, 10000)", Params().Add(backend_pid)).row(0).Bool(0);
    ASSERT_TRUE(done.ok()) << done.status();
    ASSERT_TRUE(*done) << "backend " << backend_pid << " did not end";
  }

  testing::PostgresServer* server_ = nullptr;
  std::string uri_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(PostgresTest, ParametersRoundTripEveryTypeAndNull) {
  Script(
       "CREATE TABLE v (i8 BIGINT, i4 INTEGER, f8 DOUBLE PRECISION, t TEXT, b BYTEA, ok BOOLEAN, ts TIMESTAMPTZ)");
  constexpr char kBytes[] = "\0\xff\xfe\x80 not UTF-8 \0 end";
  const std::string bytes(kBytes, sizeof(kBytes) - 1);  // both NULs, without the terminating one
  const std::string chinese = "落实：区财政局 2023年一般公共预算收入增长5.2%";
  const char* insert = "INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7)";
  Must(*pool_, insert,
       Params()
           .Add(std::numeric_limits<int64_t>::min())
           .Add(std::numeric_limits<int32_t>::max())
           .Add(0.1)
           .Add(chinese)
           .AddBytes(bytes)
           .Add(true)
           .Add("2026-12-07 08:00:00+08"));
  // The same statement (prepared once) with every value NULL, typed as before.
  Must(*pool_, insert,
       Params()
           .Add(std::optional<int64_t>())
           .Add(std::optional<int32_t>())
           .Add(std::optional<double>())
           .Add(std::optional<std::string>())
           .AddBytes(std::optional<std::string>())
           .Add(std::optional<bool>())
           .AddNull());

  Result r = Must(*pool_, "SELECT i8, i4, f8, t, b, ok, ts FROM v ORDER BY i8 NULLS LAST");
  ASSERT_EQ(r.rows(), 2);
  ASSERT_EQ(r.columns(), 7);
  Row row = r.row(0);
  EXPECT_EQ(row.Int64(0).value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(row.Int32(1).value(), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(row.Double(2).value(), 0.1);  // exactly: enough digits both ways
  EXPECT_EQ(row.String(3).value(), chinese);
  EXPECT_EQ(row.Bytes(4).value(), bytes);
  EXPECT_TRUE(row.Bool(5).value());
  EXPECT_EQ(row.String(6).value(), "2026-12-07 00:00:00+00");
  Row nulls = r.row(1);
  for (int col = 0; col < 7; ++col) EXPECT_TRUE(nulls.IsNull(col)) << col;
  EXPECT_EQ(nulls.OptionalString(3).value(), std::nullopt);
  EXPECT_EQ(row.OptionalString(3).value(), chinese);

  // Doubles without digits, and a false.
  Result special = Must(*pool_, "SELECT $1::float8, $2::float8, $3::bool",
                        Params().Add(std::numeric_limits<double>::infinity()).Add(std::nan("")).Add(false));
  EXPECT_EQ(special.row(0).Double(0).value(), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(special.row(0).Double(1).value()));
  EXPECT_FALSE(special.row(0).Bool(2).value());
}

TEST_F(PostgresTest, ReadingAColumnAsTheWrongTypeIsAnErrorNotACrash) {
  Result r = Must(*pool_, "SELECT 'abc'::text AS name, 5::bigint AS n, NULL::int AS missing, '\\x00'::bytea AS b");
  Row row = r.row(0);
  EXPECT_EQ(row.Int64(0).status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(row.Int64(0).status().message().find("name"), std::string::npos) << row.Int64(0).status();
  EXPECT_EQ(row.Int32(1).status().code(), absl::StatusCode::kInternal);  // int8 does not fit int32
  EXPECT_EQ(row.Bool(1).status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(row.Int32(2).status().code(), absl::StatusCode::kInternal);  // NULL
  EXPECT_EQ(row.String(3).status().code(), absl::StatusCode::kInternal);  // bytea is read as Bytes
  EXPECT_EQ(row.Int64(9).status().code(), absl::StatusCode::kInternal);   // no such column
  EXPECT_EQ(row.String(1).value(), "5");                                   // any type's text form
}

TEST_F(PostgresTest, ConstraintViolationsMapToStatuses) {
  Script(
       "CREATE TABLE plans (id TEXT PRIMARY KEY);"
       "CREATE TABLE tasks (id TEXT CONSTRAINT tasks_id_unique UNIQUE, plan TEXT REFERENCES plans(id),"
       " percent INTEGER CHECK (percent BETWEEN 0 AND 100))");
  Must(*pool_, "INSERT INTO plans VALUES ('P1')");
  Must(*pool_, "INSERT INTO tasks VALUES ('T1', 'P1', 10)");
  auto lease = pool_->Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  const std::string insert = "INSERT INTO tasks VALUES ($1, $2, $3)";

  absl::Status duplicate = (*lease)->Execute(insert, Params().Add("T1").Add("P1").Add(20)).status();
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  EXPECT_EQ(SqlStateOf(duplicate), "23505");
  EXPECT_NE(duplicate.message().find("tasks_id_unique"), std::string::npos) << duplicate;

  absl::Status no_plan = (*lease)->Execute(insert, Params().Add("T2").Add("P9").Add(20)).status();
  EXPECT_EQ(no_plan.code(), absl::StatusCode::kFailedPrecondition) << no_plan;

  absl::Status bad_percent = (*lease)->Execute(insert, Params().Add("T3").Add("P1").Add(101)).status();
  EXPECT_EQ(bad_percent.code(), absl::StatusCode::kInvalidArgument) << bad_percent;

  absl::Status not_a_number = (*lease)->Execute("SELECT $1::int", Params().Add("十")).status();
  EXPECT_EQ(not_a_number.code(), absl::StatusCode::kInvalidArgument) << not_a_number;

  // Text must be valid UTF-8 without NUL (bytes go through AddBytes): refused as the caller's mistake.
  absl::Status not_utf8 = (*lease)->Execute("SELECT $1::text", Params().Add(std::string("caf\xe9", 4))).status();
  EXPECT_EQ(not_utf8.code(), absl::StatusCode::kInvalidArgument) << not_utf8;

  absl::Status typo = (*lease)->Execute("SELECT nothing FROM nowhere").status();
  EXPECT_EQ(typo.code(), absl::StatusCode::kInternal) << typo;
  EXPECT_NE(typo.message().find("nowhere"), std::string::npos) << typo;
}

TEST_F(PostgresTest, InjectionShapedStringStaysData) {
  Script("CREATE TABLE items (name TEXT)");
  const std::string hostile = "x'); DROP TABLE items; -- \" $1 \\";
  Must(*pool_, "INSERT INTO items VALUES ($1)", Params().Add(hostile));
  Result found = Must(*pool_, "SELECT name FROM items WHERE name = $1", Params().Add(hostile));
  ASSERT_EQ(found.rows(), 1);
  EXPECT_EQ(found.row(0).String(0).value(), hostile);
  EXPECT_EQ(Count("items"), 1);  // the table is still there
  // A NOTIFY payload and channel are parameters too.
  auto lease = pool_->Acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_TRUE((*lease)->Notify("items", hostile).ok());
}

TEST_F(PostgresTest, ABadOrUnreachableServerIsAClearErrorWithoutThePassword) {
  auto malformed = PgPool::Open("postgres://a:b@[broken");
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument) << malformed.status();
  // A port nothing listens on: the pool reports where it tried, not the password.
  auto unreachable = PgPool::Open("postgres://luoshi:s3cret-pw@127.0.0.1:1/luoshi?sslmode=disable");
  ASSERT_EQ(unreachable.status().code(), absl::StatusCode::kUnavailable) << unreachable.status();
  EXPECT_NE(unreachable.status().message().find("luoshi@127.0.0.1:1/luoshi"), std::string::npos)
      << unreachable.status();
  EXPECT_EQ(unreachable.status().message().find("s3cret-pw"), std::string::npos) << unreachable.status();
  EXPECT_EQ(DescribeUri("postgres://u:secret@db.example:5433/luoshi?sslmode=require"), "u@db.example:5433/luoshi");
}

double PoolMetric(const std::string& name) {
  return metrics::DefaultRegistry().AddCounter(name, "", {}).With({}).Value();
}

TEST_F(PostgresTest, ExhaustedPoolIsUnavailableAfterTheTimeout) {
  PoolOptions options;
  options.size = 2;
  options.acquire_timeout = absl::Milliseconds(300);
  auto pool = OpenPool(options);
  ASSERT_NE(pool, nullptr);
  auto first = pool->Acquire();
  auto second = pool->Acquire();
  ASSERT_TRUE(first.ok() && second.ok());
  const double waits = PoolMetric("luoshi_postgres_pool_waits_total");
  const double wait_seconds = PoolMetric("luoshi_postgres_pool_wait_seconds_total");
  const absl::Time start = absl::Now();
  auto third = pool->Acquire();
  const absl::Duration waited = absl::Now() - start;
  ASSERT_EQ(third.status().code(), absl::StatusCode::kUnavailable) << third.status();
  EXPECT_NE(third.status().message().find("all 2 PostgreSQL connections"), std::string::npos) << third.status();
  EXPECT_GE(waited, absl::Milliseconds(300));
  // The wait shows in the metrics an operator watches for an undersized pool.
  EXPECT_EQ(PoolMetric("luoshi_postgres_pool_waits_total"), waits + 1);
  EXPECT_GE(PoolMetric("luoshi_postgres_pool_wait_seconds_total"), wait_seconds + 0.3);
  EXPECT_EQ(pool->open_connections(), 2);
  // A connection handed back is handed out again.
  { auto released = std::move(*first); }
  auto again = pool->Acquire();
  EXPECT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(pool->open_connections(), 2);
}

TEST_F(PostgresTest, TransactRollsBackOnError) {
  Script("CREATE TABLE items (name TEXT UNIQUE)");
  // The callback's own error: returned unchanged, its insert undone.
  absl::Status refused = pool_->Transact([](Connection& c) -> absl::Status {
    if (auto r = c.Execute("INSERT INTO items VALUES ($1)", Params().Add("a")); !r.ok()) return r.status();
    return absl::NotFoundError("task T9 not found");
  });
  EXPECT_EQ(refused, absl::NotFoundError("task T9 not found"));
  EXPECT_EQ(Count("items"), 0);
  // A failed statement: its error, and the statement before it undone too.
  Must(*pool_, "INSERT INTO items VALUES ('b')");
  absl::Status duplicate = pool_->Transact([](Connection& c) -> absl::Status {
    if (auto r = c.Execute("INSERT INTO items VALUES ($1)", Params().Add("c")); !r.ok()) return r.status();
    return c.Execute("INSERT INTO items VALUES ($1)", Params().Add("b")).status();
  });
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  EXPECT_EQ(Count("items"), 1);
  // A callback that swallows the failure still does not commit half a transaction.
  absl::Status swallowed = pool_->Transact([](Connection& c) -> absl::Status {
    c.Execute("INSERT INTO items VALUES ($1)", Params().Add("d")).status().IgnoreError();
    c.Execute("INSERT INTO items VALUES ($1)", Params().Add("b")).status().IgnoreError();
    return absl::OkStatus();
  });
  EXPECT_EQ(swallowed.code(), absl::StatusCode::kAlreadyExists) << swallowed;
  EXPECT_EQ(Count("items"), 1);
  // And the connection is usable afterwards.
  EXPECT_TRUE(pool_->Transact([](Connection& c) { return c.Execute("INSERT INTO items VALUES ('e')").status(); }).ok());
  EXPECT_EQ(Count("items"), 2);
}

// Two SERIALIZABLE transactions each read the table and then insert what they read: run together they
// would both insert 0 (write skew). PostgreSQL fails one with 40001; Transact runs it again, and the result
// is what running them one after the other gives.
TEST_F(PostgresTest, SerializationFailureIsRetriedAndSucceeds) {
  Script("CREATE TABLE seen (n BIGINT)");
  absl::Barrier* both_read = new absl::Barrier(2);  // deleted by the last thread through it
  std::atomic<int> attempts{0};
  auto work = [&](Connection& c) -> absl::Status {
    const bool first = attempts.fetch_add(1) < 2;
    auto count = c.Execute("SELECT count(*) FROM seen");
    if (!count.ok()) return count.status();
    if (first && both_read->Block()) delete both_read;
    auto n = count->row(0).Int64(0);
    if (!n.ok()) return n.status();
    return c.Execute("INSERT INTO seen VALUES ($1)", Params().Add(*n)).status();
  };
  absl::Status a, b;
  std::thread ta([&] { a = pool_->Transact(work, {Isolation::kSerializable}); });
  std::thread tb([&] { b = pool_->Transact(work, {Isolation::kSerializable}); });
  ta.join();
  tb.join();
  EXPECT_TRUE(a.ok()) << a;
  EXPECT_TRUE(b.ok()) << b;
  EXPECT_EQ(attempts.load(), 3);  // one of the two ran again
  Result r = Must(*pool_, "SELECT n FROM seen ORDER BY n");
  ASSERT_EQ(r.rows(), 2);
  EXPECT_EQ(r.row(0).Int64(0).value(), 0);
  EXPECT_EQ(r.row(1).Int64(0).value(), 1);
}

TEST_F(PostgresTest, KilledConnectionIsReplacedAndTheNextCallSucceeds) {
  PoolOptions options;
  options.size = 1;
  auto pool = OpenPool(options);
  ASSERT_NE(pool, nullptr);
  auto pid_of = [&](int* pid) {
    return pool->Transact([pid](Connection& c) -> absl::Status {
      auto r = c.Execute("SELECT pg_backend_pid()");
      if (!r.ok()) return r.status();
      auto value = r->row(0).Int32(0);
      if (!value.ok()) return value.status();
      *pid = *value;
      return absl::OkStatus();
    });
  };
  int before = 0;
  ASSERT_TRUE(pid_of(&before).ok());
  Terminate(before);
  // Idle when it was cut: noticed at checkout and replaced.
  int after = 0;
  absl::Status next = pid_of(&after);
  ASSERT_TRUE(next.ok()) << next;
  EXPECT_NE(after, before);
  EXPECT_EQ(pool->open_connections(), 1);

  // Cut in the middle of a transaction: the statement fails, and Transact runs the whole function again on
  // a new connection.
  Script("CREATE TABLE items (name TEXT)");
  int runs = 0;
  absl::Status retried = pool->Transact([&](Connection& c) -> absl::Status {
    if (++runs == 1) Terminate(c.backend_pid());
    return c.Execute("INSERT INTO items VALUES ($1)", Params().Add("once")).status();
  });
  EXPECT_TRUE(retried.ok()) << retried;
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(Count("items"), 1);
}

TEST_F(PostgresTest, RetriesStopAtTheLimit) {
  PoolOptions options;
  options.max_attempts = 3;
  auto pool = OpenPool(options);
  ASSERT_NE(pool, nullptr);
  int runs = 0;
  absl::Status status = pool->Transact([&](Connection& c) -> absl::Status {
    ++runs;
    // What PostgreSQL raises on a serialization failure, raised by hand.
    return c.Exec("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("gave up after 3 attempts"), std::string::npos) << status;
  EXPECT_EQ(SqlStateOf(status), "40001");
  EXPECT_EQ(runs, 3);
}

std::vector<Migration> Schema() {
  return {{1, "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)"},
          // Not idempotent: applied twice, it would leave two rows.
          {2, "INSERT INTO notes (body) VALUES ('seeded by migration 2')"},
          {3, "ALTER TABLE notes ADD COLUMN author TEXT"}};
}

std::vector<Migration> FirstOf(int n) {
  std::vector<Migration> all = Schema();
  all.resize(n);
  return all;
}

int64_t AppliedVersions(PgPool& pool, const std::string& service) {
  auto lease = pool.Acquire();
  auto r = (*lease)->Execute("SELECT count(*) FROM luoshi_schema_migrations WHERE service = $1",
                             Params().Add(service));
  return r.ok() ? r->row(0).Int64(0).value_or(-1) : -1;
}

TEST_F(PostgresTest, MigrationsApplyOnceAndAreIdempotentOnRestart) {
  auto v2 = RunPgMigrations(*pool_, "tasks", FirstOf(2));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(*v2, 2);
  // A restart with the same binary: nothing to do.
  auto again = RunPgMigrations(*pool_, "tasks", FirstOf(2));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 2);
  EXPECT_EQ(Count("notes"), 1);
  // A newer binary: only migration 3.
  auto v3 = RunPgMigrations(*pool_, "tasks", Schema());
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ(*v3, 3);
  EXPECT_EQ(Count("notes"), 1);
  Must(*pool_, "INSERT INTO notes (body, author) VALUES ('x', 'y')");
  EXPECT_EQ(AppliedVersions(*pool_, "tasks"), 3);
  // Another service's migrations are counted apart.
  auto other = RunPgMigrations(*pool_, "indicators", {{1, "CREATE TABLE series (id BIGINT)"}});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(*other, 1);
  EXPECT_EQ(AppliedVersions(*pool_, "tasks"), 3);

  EXPECT_EQ(RunPgMigrations(*pool_, "Tasks; DROP", Schema()).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunPgMigrations(*pool_, "tasks", {{1, "SELECT 1"}, {3, "SELECT 1"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PostgresTest, ReplicasStartingTogetherApplyEachMigrationOnce) {
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<PgPool>> pools;
  for (int i = 0; i < kReplicas; ++i) pools.push_back(OpenPool());
  std::vector<absl::StatusOr<int>> results(kReplicas, absl::UnknownError("not run"));
  absl::Barrier* start = new absl::Barrier(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      if (start->Block()) delete start;
      results[i] = RunPgMigrations(*pools[i], "tasks", Schema());
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, 3);
  }
  EXPECT_EQ(Count("notes"), 1);
  EXPECT_EQ(AppliedVersions(*pool_, "tasks"), 3);
}

TEST_F(PostgresTest, NewerSchemaIsRefusedWithAnUpgradeMessage) {
  ASSERT_TRUE(RunPgMigrations(*pool_, "tasks", Schema()).ok());
  auto old = RunPgMigrations(*pool_, "tasks", FirstOf(2));
  ASSERT_EQ(old.status().code(), absl::StatusCode::kFailedPrecondition) << old.status();
  EXPECT_NE(old.status().message().find("schema version 3"), std::string::npos) << old.status();
  EXPECT_NE(old.status().message().find("upgrade this binary"), std::string::npos) << old.status();
}

TEST_F(PostgresTest, FailedMigrationIsRolledBackAndRetriedNextStart) {
  std::vector<Migration> broken = FirstOf(2);
  broken.push_back({3, "ALTER TABLE notes ADD COLUMN author TEXT; ALTER TABLE nowhere ADD COLUMN x INT"});
  auto failed = RunPgMigrations(*pool_, "tasks", broken);
  ASSERT_EQ(failed.status().code(), absl::StatusCode::kInternal) << failed.status();
  EXPECT_NE(failed.status().message().find("migration 3 of service tasks"), std::string::npos) << failed.status();
  EXPECT_EQ(AppliedVersions(*pool_, "tasks"), 2);
  auto fixed = RunPgMigrations(*pool_, "tasks", Schema());
  ASSERT_TRUE(fixed.ok()) << fixed.status();
  EXPECT_EQ(*fixed, 3);
}

TEST_F(PostgresTest, AStatementOutlivingTheCallsDeadlineIsCancelledByTheServer) {
  const absl::Time start = absl::Now();
  absl::Status status;
  {
    ScopedCallDeadline deadline(start + absl::Milliseconds(1200));
    status = pool_->Transact([](Connection& c) { return c.Execute("SELECT pg_sleep(20)").status(); });
  }
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  // Rounded up to whole seconds: cancelled after two at most, not after the statement's 20.
  EXPECT_LT(took, absl::Seconds(5)) << took;
  // The connection is fine afterwards, and a call without a deadline is not bounded by the last one's.
  auto slept = pool_->Transact([](Connection& c) { return c.Execute("SELECT pg_sleep(2.5)").status(); });
  EXPECT_TRUE(slept.ok()) << slept;
}

TEST_F(PostgresTest, ACallWhoseDeadlineHasPassedDoesNotReachTheDatabase) {
  ScopedCallDeadline deadline(absl::Now() - absl::Milliseconds(1));
  bool ran = false;
  absl::Status status = pool_->Transact([&](Connection&) {
    ran = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_FALSE(ran);
  EXPECT_EQ(pool_->Acquire().status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(PostgresTest, ThePoolsStatementTimeoutBoundsStatementsWithoutACallDeadline) {
  PoolOptions options;
  options.statement_timeout = absl::Seconds(1);
  auto pool = OpenPool(options);
  ASSERT_NE(pool, nullptr);
  auto lease = pool->Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  const absl::Time start = absl::Now();
  auto slow = (*lease)->Execute("SELECT pg_sleep(20)");
  EXPECT_EQ(slow.status().code(), absl::StatusCode::kDeadlineExceeded) << slow.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(PostgresTest, AReplicaWaitsABoundedTimeForAnotherReplicasMigrations) {
  // Replica A's migration 1 runs long (it holds the migration lock throughout); replica B gives up after
  // its bound with a message naming what it waited for, and starts normally once A is done.
  std::vector<Migration> slow = {{1, "SELECT pg_sleep(4); CREATE TABLE notes (id BIGINT PRIMARY KEY)"}};
  auto other = OpenPool();
  ASSERT_NE(other, nullptr);
  absl::StatusOr<int> first = absl::UnknownError("not run");
  std::thread a([&] { first = RunPgMigrations(*other, "tasks", slow); });
  // Until A holds the lock (its migration table row comes only at the end).
  absl::SleepFor(absl::Milliseconds(800));
  const absl::Time start = absl::Now();
  auto second = RunPgMigrations(*pool_, "tasks", slow, absl::Seconds(1));
  const absl::Duration waited = absl::Now() - start;
  a.join();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_NE(second.status().message().find("schema migrations of service tasks"), std::string::npos)
      << second.status();
  EXPECT_NE(second.status().message().find("application luoshi"), std::string::npos) << second.status();
  EXPECT_GE(waited, absl::Seconds(1));
  EXPECT_LT(waited, absl::Seconds(3));
  auto later = RunPgMigrations(*pool_, "tasks", slow, absl::Seconds(1));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(*later, 1);
}

// What a listener received, for a test to wait on.
class Inbox {
 public:
  ListenerCallbacks Callbacks() {
    return {[this](const Notification& n) {
              absl::MutexLock lock(&mu_);
              payloads_.push_back(n.channel + ":" + n.payload);
            },
            [this] {
              absl::MutexLock lock(&mu_);
              ++reconnects_;
            }};
  }
  // Waits (up to 10 s) until `payload` has arrived; returns everything received so far.
  std::vector<std::string> WaitFor(const std::string& payload) {
    absl::MutexLock lock(&mu_);
    auto arrived = [&] {
      mu_.AssertHeld();
      return std::find(payloads_.begin(), payloads_.end(), payload) != payloads_.end();
    };
    mu_.AwaitWithTimeout(absl::Condition(&arrived), absl::Seconds(10));
    return payloads_;
  }
  bool WaitForReconnect() {
    absl::MutexLock lock(&mu_);
    auto reconnected = [&] {
      mu_.AssertHeld();
      return reconnects_ > 0;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reconnected), absl::Seconds(10));
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> payloads_ ABSL_GUARDED_BY(mu_);
  int reconnects_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_F(PostgresTest, ListenerGetsCommittedNotificationsAndSurvivesALostConnection) {
  Inbox inbox;
  auto listener = PgListener::Start(uri_, {"task_events", "ledger"}, inbox.Callbacks(), absl::Milliseconds(20));
  ASSERT_TRUE(listener.ok()) << listener.status();
  auto notify = [&](const std::string& channel, const std::string& payload, bool commit) {
    return pool_->Transact([&](Connection& c) -> absl::Status {
      if (absl::Status s = c.Notify(channel, payload); !s.ok()) return s;
      return commit ? absl::OkStatus() : absl::AbortedError("rolled back on purpose");
    });
  };
  ASSERT_TRUE(notify("task_events", "T5 进度 40%", true).ok());
  EXPECT_EQ(notify("task_events", "never", false).code(), absl::StatusCode::kAborted);
  ASSERT_TRUE(notify("ledger", "P1", true).ok());
  ASSERT_TRUE(notify("unheard", "elsewhere", true).ok());
  ASSERT_TRUE(notify("task_events", "last", true).ok());
  // Notifications arrive in commit order, so once "last" is in, anything else would be too.
  EXPECT_EQ(inbox.WaitFor("task_events:last"),
            (std::vector<std::string>{"task_events:T5 进度 40%", "ledger:P1", "task_events:last"}));

  const int first_pid = (*listener)->backend_pid();
  Terminate(first_pid);
  ASSERT_TRUE(inbox.WaitForReconnect()) << "the listener did not report reconnecting";
  EXPECT_NE((*listener)->backend_pid(), first_pid);
  ASSERT_TRUE(notify("task_events", "after reconnect", true).ok());
  EXPECT_EQ(inbox.WaitFor("task_events:after reconnect").back(), "task_events:after reconnect");

  (*listener)->Stop();
  EXPECT_EQ(PgListener::Start(uri_, {"Bad-Channel"}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace luoshi::pg
