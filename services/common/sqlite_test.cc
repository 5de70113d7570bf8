#include "services/common/sqlite.h"

#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/common/metrics.h"

namespace luoshi::sql {
namespace {

std::vector<Migration> Schema() {
  return {{1, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"},
          {2, "ALTER TABLE items ADD COLUMN note TEXT"}};
}

class SqliteTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = testing::TempDir() + "/sqlite_test_" +
            testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    Cleanup();
  }
  void TearDown() override { Cleanup(); }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  int CountItems(Database& db) {
    int n = -1;
    EXPECT_TRUE(db.Read([&](Connection& c) {
                    auto st = c.Prepare("SELECT COUNT(*) FROM items");
                    if (!st.ok()) return st.status();
                    auto row = st->Step();
                    if (!row.ok()) return row.status();
                    n = static_cast<int>(st->ColumnInt(0));
                    return absl::OkStatus();
                  }).ok());
    return n;
  }
  std::string path_;
};

absl::Status Insert(Connection& c, const std::string& name) {
  auto st = c.Prepare("INSERT INTO items (name) VALUES (?)");
  if (!st.ok()) return st.status();
  return st->Bind(1, name).Run();
}

int64_t PragmaValue(Connection& c, const std::string& pragma) {
  auto st = c.Prepare("PRAGMA " + pragma);
  if (!st.ok() || !st->Step().value_or(false)) return -1;
  return st->ColumnInt(0);
}

// Readers get the cache and the memory map; the writer its own cache and checkpoint interval, never a map.
TEST_F(SqliteTest, CacheAndMemoryMapApplyToReadersAndWriterSettingsToTheWriter) {
  DatabaseOptions options;
  options.reader_count = 2;
  options.cache_kib = 4096;
  options.mmap_bytes = 64 << 20;
  options.writer_cache_kib = 8192;
  options.checkpoint_pages = 5000;
  auto db = Database::Open(path_, Schema(), options);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)
                  ->Write([](Connection& c) {
                    EXPECT_EQ(PragmaValue(c, "cache_size"), -8192);
                    EXPECT_EQ(PragmaValue(c, "mmap_size"), 0);
                    EXPECT_EQ(PragmaValue(c, "wal_autocheckpoint"), 5000);
                    EXPECT_EQ(PragmaValue(c, "synchronous"), 2);  // FULL
                    auto mode = c.Prepare("PRAGMA journal_mode");
                    if (!mode.ok()) return mode.status();
                    EXPECT_TRUE(mode->Step().value_or(false));
                    auto [text, size] = mode->ColumnBytes(0);
                    EXPECT_EQ(std::string(text, size), "wal");
                    return Insert(c, std::string("bytes\0inside", 12));
                  })
                  .ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE((*db)
                    ->Read([](Connection& c) {
                      EXPECT_EQ(PragmaValue(c, "cache_size"), -4096);
                      // SQLite may cap the map below the request (compile-time limit), never turn it off.
                      EXPECT_GT(PragmaValue(c, "mmap_size"), 0);
                      auto st = c.Prepare("SELECT CAST(name AS BLOB) FROM items");
                      if (!st.ok()) return st.status();
                      EXPECT_TRUE(st->Step().value_or(false));
                      auto [data, size] = st->ColumnBytes(0);
                      EXPECT_EQ(std::string(data, size), std::string("bytes\0inside", 12));
                      return absl::OkStatus();
                    })
                    .ok());
  }
}

TEST_F(SqliteTest, MigrationsRunOnceAndInOrder) {
  {
    auto db = Database::Open(path_, Schema());
    ASSERT_TRUE(db.ok()) << db.status();
    EXPECT_EQ((*db)->schema_version(), 2);
    ASSERT_TRUE((*db)->Write([](Connection& c) { return Insert(c, "地区生产总值"); }).ok());
  }
  // Reopening applies nothing again and keeps the data.
  auto db = Database::Open(path_, Schema());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(CountItems(**db), 1);
}

TEST_F(SqliteTest, OlderBinaryRefusesNewerSchema) {
  ASSERT_TRUE(Database::Open(path_, Schema()).ok());
  auto older = Database::Open(path_, {Schema()[0]});
  EXPECT_EQ(older.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(older.status().message()).find("schema version 2"), std::string::npos);
}

TEST_F(SqliteTest, MigrationNumbersMustHaveNoGaps) {
  auto db = Database::Open(path_, {{1, "CREATE TABLE a (x)"}, {3, "CREATE TABLE b (x)"}});
  EXPECT_FALSE(db.ok());
}

TEST_F(SqliteTest, FailedWriteRollsBackEverything) {
  auto db = Database::Open(path_, Schema());
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Write([](Connection& c) { return Insert(c, "a"); }).ok());
  absl::Status s = (*db)->Write([](Connection& c) {
    if (auto s = Insert(c, "b"); !s.ok()) return s;
    return Insert(c, "a");  // violates UNIQUE
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CountItems(**db), 1);
  // An error returned by the callback itself also rolls back.
  s = (*db)->Write([](Connection& c) {
    if (auto s = Insert(c, "c"); !s.ok()) return s;
    return absl::InvalidArgumentError("changed my mind");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CountItems(**db), 1);
}

TEST_F(SqliteTest, PreparedStatementsBindTextSafely) {
  auto db = Database::Open(path_, Schema());
  ASSERT_TRUE(db.ok());
  const std::string tricky = "x'); DROP TABLE items; --";
  ASSERT_TRUE((*db)->Write([&](Connection& c) { return Insert(c, tricky); }).ok());
  std::string back;
  ASSERT_TRUE((*db)
                  ->Read([&](Connection& c) {
                    auto st = c.Prepare("SELECT name FROM items WHERE name = ?");
                    if (!st.ok()) return st.status();
                    st->Bind(1, tricky);
                    auto row = st->Step();
                    if (!row.ok()) return row.status();
                    if (*row) back = st->ColumnText(0);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(back, tricky);
}

TEST_F(SqliteTest, ReadersSeeCommittedDataWhileWritersWork) {
  auto db = Database::Open(path_, Schema());
  ASSERT_TRUE(db.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(
            (*db)->Write([&](Connection& c) { return Insert(c, std::to_string(t * 1000 + i)); }).ok());
        EXPECT_GE(CountItems(**db), 1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(CountItems(**db), 200);
}

double PoolMetric(const std::string& name, const std::string& pool) {
  return metrics::DefaultRegistry().AddCounter(name, "", {"pool"}).With({pool}).Value();
}

// A caller that finds the writer (or every reader) busy is counted as it starts waiting, and the time it
// waited once it has its connection (luoshi_sqlite_pool_waits_total, luoshi_sqlite_pool_wait_seconds_total).
TEST_F(SqliteTest, WaitsForABusyConnectionAreCounted) {
  DatabaseOptions options;
  options.reader_count = 1;
  auto db = Database::Open(path_, Schema(), options);
  ASSERT_TRUE(db.ok());
  for (const std::string pool : {"writer", "reader"}) {
    const double waits = PoolMetric("luoshi_sqlite_pool_waits_total", pool);
    const double seconds = PoolMetric("luoshi_sqlite_pool_wait_seconds_total", pool);
    auto use = [&](const std::function<absl::Status(Connection&)>& fn) {
      return pool == "writer" ? (*db)->Write(fn) : (*db)->Read(fn);
    };
    absl::Notification holding, release;
    std::thread holder([&] {
      EXPECT_TRUE(use([&](Connection&) {
                    holding.Notify();
                    release.WaitForNotification();
                    return absl::OkStatus();
                  }).ok());
    });
    holding.WaitForNotification();
    std::thread waiter([&] { EXPECT_TRUE(use([](Connection&) { return absl::OkStatus(); }).ok()); });
    // The waiter is counted once it waits; only then is the connection let go.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (PoolMetric("luoshi_sqlite_pool_waits_total", pool) == waits && absl::Now() < deadline) {
      std::this_thread::yield();
    }
    release.Notify();
    holder.join();
    waiter.join();
    EXPECT_EQ(PoolMetric("luoshi_sqlite_pool_waits_total", pool), waits + 1) << pool;
    EXPECT_GT(PoolMetric("luoshi_sqlite_pool_wait_seconds_total", pool), seconds) << pool;
  }
}

TEST_F(SqliteTest, InMemoryIsRejectedWithAClearMessage) {
  auto db = Database::Open(":memory:", Schema());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace luoshi::sql
