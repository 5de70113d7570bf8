// What only the SQLite task store has: batched mutations (MutateTasks), its schema in a file, and the
// files older releases wrote upgraded when they are opened. The TaskStore contract itself runs on every
// backend in store_test.cc.
#include "services/tasks/sqlite_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/tasks/store_test_util.h"

namespace luoshi::tasks {
namespace {

using testing::AddReport;
using testing::Key;
using testing::Plan;
using testing::StaleListingCopies;

class TaskSqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/store_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
    auto store = SqliteTaskStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::string path_;
  std::unique_ptr<SqliteTaskStore> store_;
};

// MutateTasks, the SQLite store's batched writes (group commit; the benchmark preloads with it).
TEST_F(TaskSqliteStoreTest, BatchedMutationsIsolateFailures) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  auto bump = [](const StoredTask& t) -> absl::StatusOr<TaskChange> {
    TaskChange c;
    c.state = t.state;
    c.state.percent = t.state.percent + 10;
    return c;
  };
  auto results = store_->MutateTasks({{id, bump}, {"T404", bump}, {id, bump}});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(results[2].ok());
  EXPECT_EQ(store_->GetTask(id)->state.percent, 20);
}

TEST_F(TaskSqliteStoreTest, OneBatchWithTwoCopiesOfAKeyWritesOnce) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  auto report = [](const StoredTask& t) { return AddReport(t, 20); };
  auto results = store_->MutateTasks({{id, report, Key("k")}, {id, report, Key("k")}});
  ASSERT_TRUE(results[0].ok() && results[1].ok());
  EXPECT_FALSE(results[0]->replayed);
  EXPECT_TRUE(results[1]->replayed);
  EXPECT_EQ(store_->ReportsOf(id)->size(), 1u);
}

// A database written by the version-1 schema gets the listing copies filled when it is opened.
TEST_F(TaskSqliteStoreTest, Version1DatabaseIsUpgraded) {
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  {
    auto db = sql::Database::Open(path_, {SqliteTaskStore::Migrations()[0]});
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Write([](sql::Connection& c) {
      return c.Exec(
          "INSERT INTO plans VALUES (1, 'key', 1, '方案', 2023, '大兴区', 'd', 'sha', 2, 0, 1);"
          "INSERT INTO tasks VALUES (1, 1, 1, 1000000, '1', '甲', '', '2023-12-31', x'', 2, 10, "
          "  10, '', NULL, '', 0, 0);"
          "INSERT INTO tasks VALUES (2, 1, 1, 1000001, '2', '乙', '', '', x'', 1, 0, 0, '', NULL, "
          "  '', 0, 0);"
          "INSERT INTO task_units VALUES ('甲局', 1, 0, 0), ('甲局', 2, 0, 0), ('乙局', 2, 1, 0);"
          "INSERT INTO task_leaders VALUES ('张三', 2);");
    }).ok());
  }
  auto store = SqliteTaskStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(StaleListingCopies(path_), 0);
  TaskQuery q;
  q.unit = "甲局";
  auto page = (*store)->QueryTaskPage(q);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->tasks.size(), 2u);
  EXPECT_EQ(page->tasks[0].id, "T1");
  EXPECT_EQ(page->total, 2);
  q.statuses = {v1::TASK_STATUS_IN_PROGRESS};
  EXPECT_EQ((*store)->QueryTaskPage(q)->total, 1);
  TaskQuery by_leader;
  by_leader.leader = "张三";
  EXPECT_EQ((*store)->QueryTaskPage(by_leader)->tasks.at(0).id, "T2");
}

TEST_F(TaskSqliteStoreTest, Version3DatabaseIsUpgradedAndKeepsItsReports) {
  // The version-3 file below is the current schema less migrations 4 (the requests table) and 5 (the
  // change events).
  ASSERT_EQ(SqliteTaskStore::Migrations().back().version, 5);
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  ASSERT_TRUE(store_->MutateTask(id, [](const StoredTask& t) { return AddReport(t, 30); }).ok());
  store_.reset();
  // Turn the file back into a version-3 database, as a binary before idempotency keys left it.
  {
    auto db = sql::Database::Open(path_, SqliteTaskStore::Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Write([](sql::Connection& c) {
      return c.Exec("DROP TABLE requests; DROP TABLE task_events; DROP TABLE task_event_horizon; "
                    "PRAGMA user_version = 3;");
    }).ok());
  }
  {
    std::vector<sql::Migration> old(SqliteTaskStore::Migrations().begin(),
                                    SqliteTaskStore::Migrations().begin() + 3);
    auto db = sql::Database::Open(path_, old);
    ASSERT_TRUE(db.ok()) << "a version-3 binary opens it: " << db.status();
  }
  auto store = SqliteTaskStore::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->ReportsOf(id)->size(), 1u);
  auto report = [](const StoredTask& t) { return AddReport(t, 50); };
  ASSERT_TRUE((*store)->MutateTask(id, report, Key("after-upgrade")).ok());
  auto retry = (*store)->MutateTask(id, report, Key("after-upgrade"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ((*store)->ReportsOf(id)->size(), 2u);
  auto events = (*store)->ReadEventsAfter(0, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_TRUE(events->events.empty());  // these mutations stored none
}

}  // namespace
}  // namespace luoshi::tasks
