#include "services/common/backup.h"

#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/common/sqlite.h"

namespace luoshi {
namespace {

namespace fs = std::filesystem;

// Each write adds a row to `rows` and raises `counter.n` by one in the same transaction, so in any
// consistent state n equals the number of rows.
std::vector<sql::Migration> Schema() {
  return {{1,
           "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);"
           "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);"}};
}

absl::Status WriteOne(sql::Database& db) {
  return db.Write([](sql::Connection& c) {
    auto insert = c.Prepare("INSERT INTO rows (payload) VALUES (?)");
    if (!insert.ok()) return insert.status();
    if (auto s = insert->Bind(1, std::string(2000, 'x')).Run(); !s.ok()) return s;
    auto bump = c.Prepare("UPDATE counter SET n = n + 1");
    if (!bump.ok()) return bump.status();
    return bump->Run();
  });
}

// (rows, n) of a database file, read with a plain connection.
std::pair<int64_t, int64_t> RowsAndCounter(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::pair<int64_t, int64_t> result{-1, -1};
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM rows), (SELECT n FROM counter)", -1, &stmt,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    result = {sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1)};
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return result;
}

class BackupTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        testing::TempDir() + "/backup_test_" + testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(BackupTest, SnapshotsTakenDuringWritesAreConsistentAndStandAlone) {
  auto db = sql::Database::Open(dir_ + "/live.db", Schema());
  ASSERT_TRUE(db.ok()) << db.status();
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(WriteOne(**db).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> written{50};
  std::thread writer([&] {
    while (!stop.load()) {
      if (WriteOne(**db).ok()) written.fetch_add(1);
    }
  });
  int64_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string copy = absl::StrCat(dir_, "/copy", i, ".db");
    const int before = written.load();
    absl::StatusOr<SnapshotInfo> info = SnapshotDatabase(dir_ + "/live.db", copy);
    const int after = written.load();
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->schema_version, 1);
    EXPECT_EQ(info->size_bytes, static_cast<int64_t>(fs::file_size(copy)));
    const auto [rows, n] = RowsAndCounter(copy);
    EXPECT_EQ(rows, n) << "snapshot " << i << " caught a write half done";
    EXPECT_GE(rows, before) << "a write committed before the snapshot is missing";
    EXPECT_LE(rows, after);
    EXPECT_GE(rows, previous);
    previous = rows;
    EXPECT_TRUE(CheckDatabaseIntegrity(copy).ok());
    // Rollback-journal mode: the file alone is the database.
    EXPECT_FALSE(fs::exists(copy + "-wal"));
    EXPECT_FALSE(fs::exists(copy + "-shm"));
  }
  stop.store(true);
  writer.join();
}

TEST_F(BackupTest, RefusesAnExistingTargetAndLeavesNothingOnFailure) {
  auto db = sql::Database::Open(dir_ + "/live.db", Schema());
  ASSERT_TRUE(db.ok()) << db.status();
  std::ofstream(dir_ + "/taken.db") << "mine";
  EXPECT_EQ(SnapshotDatabase(dir_ + "/live.db", dir_ + "/taken.db").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::ifstream(dir_ + "/taken.db").get(), 'm');
  EXPECT_FALSE(SnapshotDatabase(dir_ + "/missing.db", dir_ + "/copy.db").ok());
  EXPECT_FALSE(fs::exists(dir_ + "/copy.db"));
}

TEST_F(BackupTest, IntegrityCheckFindsDamage) {
  {
    auto db = sql::Database::Open(dir_ + "/live.db", Schema());
    ASSERT_TRUE(db.ok()) << db.status();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(WriteOne(**db).ok());
  }
  ASSERT_TRUE(SnapshotDatabase(dir_ + "/live.db", dir_ + "/copy.db").ok());
  EXPECT_TRUE(CheckDatabaseIntegrity(dir_ + "/copy.db").ok());
  // Overwrite a stretch in the middle of the file (past the header and the schema page).
  {
    std::fstream f(dir_ + "/copy.db", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(dir_ + "/copy.db") / 2));
    const std::string junk(6000, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  absl::Status damaged = CheckDatabaseIntegrity(dir_ + "/copy.db");
  EXPECT_EQ(damaged.code(), absl::StatusCode::kDataLoss) << damaged;
  std::ofstream(dir_ + "/text.db") << std::string(4096, 't');
  EXPECT_FALSE(CheckDatabaseIntegrity(dir_ + "/text.db").ok());
}

TEST(Sha256Test, KnownDigests) {
  Sha256 empty;
  EXPECT_EQ(empty.HexDigest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.Update("a", 1);
  abc.Update("bc", 2);
  EXPECT_EQ(abc.HexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace luoshi
