#include "services/tasks/sqlite_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace luoshi::tasks {
namespace {

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

  PlanWrite Plan(const std::string& sha, const std::string& replaces) {
    PlanWrite w;
    w.plan.set_plan_key("key");
    w.plan.set_title("方案");
    w.plan.set_region("大兴区");
    w.document_sha256 = sha;
    w.replaces_plan_id = replaces;
    w.at = absl::FromUnixSeconds(1700000000);
    PlanTaskWrite t;
    t.definition.set_number("1");
    t.definition.set_text("任务");
    t.definition.add_responsible_units("甲局");
    t.definition.add_lead_leaders("张三");
    t.definition.mutable_deadline()->set_date("2023-12-31");
    w.tasks.push_back(t);
    return w;
  }

  std::string path_;
  std::unique_ptr<SqliteTaskStore> store_;
};

TEST_F(TaskSqliteStoreTest, MigrationsApplyOnceAndSurviveReopen) {
  auto plan = store_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(plan.ok()) << plan.status();
  store_.reset();
  auto reopened = SqliteTaskStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto plans = (*reopened)->ListPlans();
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 1u);
  EXPECT_EQ((*plans)[0].id(), plan->id());
  EXPECT_EQ(SqliteTaskStore::Migrations().back().version, 4);
}

// Listings driven by a unit or a leader read copies of each task's sort key, current-version flag
// and status kept in task_units / task_leaders. Counts every row whose copy differs from its task.
int StaleListingCopies(const std::string& path) {
  auto db = sql::Database::Open(path, SqliteTaskStore::Migrations());
  EXPECT_TRUE(db.ok()) << db.status();
  int stale = -1;
  EXPECT_TRUE((*db)->Read([&](sql::Connection& c) -> absl::Status {
    auto st = c.Prepare(
        "SELECT (SELECT COUNT(*) FROM task_units x JOIN tasks t ON t.seq = x.task_seq "
        "        WHERE x.sort_key <> t.sort_key OR x.active <> t.active OR x.status <> t.status) + "
        "       (SELECT COUNT(*) FROM task_leaders x JOIN tasks t ON t.seq = x.task_seq "
        "        WHERE x.sort_key <> t.sort_key OR x.active <> t.active OR x.status <> t.status)");
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    stale = static_cast<int>(st->ColumnInt(0));
    return absl::OkStatus();
  }).ok());
  return stale;
}

absl::StatusOr<TaskChange> SetStatus(const StoredTask& t, v1::TaskStatus status) {
  TaskChange c;
  c.state = t.state;
  c.state.status = status;
  return c;
}

TEST_F(TaskSqliteStoreTest, ListingCopiesFollowEveryWrite) {
  auto v1_plan = store_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(v1_plan.ok());
  const std::string id = (*store_->TasksOfPlan(v1_plan->id()))[0].id;
  EXPECT_EQ(StaleListingCopies(path_), 0);
  ASSERT_TRUE(store_->MutateTask(id, [](const StoredTask& t) {
    return SetStatus(t, v1::TASK_STATUS_IN_PROGRESS);
  }).ok());
  EXPECT_EQ(StaleListingCopies(path_), 0);

  TaskQuery by_unit;
  by_unit.unit = "甲局";
  by_unit.statuses = {v1::TASK_STATUS_IN_PROGRESS};
  EXPECT_EQ(*store_->CountTasks(by_unit), 1);
  by_unit.statuses = {v1::TASK_STATUS_NOT_STARTED};
  EXPECT_EQ(*store_->CountTasks(by_unit), 0);

  // A new version carries the task (new sort key); the old version's rows are no longer current.
  PlanWrite next = Plan("b", v1_plan->id());
  next.tasks[0].carried_task_id = id;
  PlanTaskWrite added = next.tasks[0];
  added.carried_task_id.clear();
  added.definition.set_number("2");
  added.definition.set_text("新任务");
  next.tasks.push_back(added);
  auto v2_plan = store_->WritePlan(next);
  ASSERT_TRUE(v2_plan.ok()) << v2_plan.status();
  EXPECT_EQ(StaleListingCopies(path_), 0);
  ASSERT_TRUE(store_->MutateTask(id, [](const StoredTask& t) {
    return SetStatus(t, v1::TASK_STATUS_COMPLETION_CLAIMED);
  }).ok());
  EXPECT_EQ(StaleListingCopies(path_), 0);

  TaskQuery current;
  current.leader = "张三";
  auto page = store_->QueryTaskPage(current);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->tasks.size(), 2u);
  EXPECT_EQ(page->total, 2);
  EXPECT_EQ(page->tasks[0].id, id);
  EXPECT_EQ(page->tasks[0].plan_id, v2_plan->id());
  current.statuses = {v1::TASK_STATUS_COMPLETION_CLAIMED};
  EXPECT_EQ(store_->QueryTaskPage(current)->total, 1);
  TaskQuery old_version;
  old_version.unit = "甲局";
  old_version.plan_id = v1_plan->id();
  EXPECT_EQ(*store_->CountTasks(old_version), 0);  // its only task moved to v2
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

TEST_F(TaskSqliteStoreTest, DuplicateDocumentAndStaleVersionAreRefused) {
  auto first = store_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(store_->WritePlan(Plan("a", "")).status().code(), absl::StatusCode::kAlreadyExists);
  // A second version must name the current one it replaces.
  EXPECT_EQ(store_->WritePlan(Plan("b", "")).status().code(), absl::StatusCode::kAborted);
  auto second = store_->WritePlan(Plan("b", first->id()));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->version(), 2);
  EXPECT_EQ(store_->WritePlan(Plan("c", first->id())).status().code(), absl::StatusCode::kAborted);
  EXPECT_FALSE(store_->GetPlan(first->id())->current());
}

TEST_F(TaskSqliteStoreTest, MutationIsAtomicAndErrorsWriteNothing) {
  auto plan = store_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(plan.ok());
  auto tasks = store_->TasksOfPlan(plan->id());
  ASSERT_EQ(tasks->size(), 1u);
  const std::string id = (*tasks)[0].id;
  auto failing = store_->MutateTask(id, [](const StoredTask&) -> absl::StatusOr<TaskChange> {
    return absl::FailedPreconditionError("no");
  });
  EXPECT_EQ(failing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->JournalOf(id)->empty());

  auto ok = store_->MutateTask(id, [](const StoredTask& t) -> absl::StatusOr<TaskChange> {
    TaskChange c;
    c.state = t.state;
    c.state.status = v1::TASK_STATUS_IN_PROGRESS;
    c.state.percent = 35;
    c.state.last_report_period = "2023-05";
    c.state.last_report_at = absl::FromUnixSeconds(1700000100);
    v1::ProgressReport r;
    r.set_period("2023-05");
    r.set_percent(35);
    r.add_evidence_links("https://example.org/a");
    r.add_evidence_links("https://example.org/b");
    c.report = r;
    v1::JournalEntry e;
    e.set_field("percent");
    e.set_new_value("35");
    c.journal.push_back(e);
    return c;
  });
  ASSERT_TRUE(ok.ok()) << ok.status();
  auto reread = store_->GetTask(id);
  EXPECT_EQ(reread->state.percent, 35);
  EXPECT_EQ(reread->state.last_report_period, "2023-05");
  auto reports = store_->ReportsOf(id);
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].evidence_links_size(), 2);
  EXPECT_EQ((*reports)[0].percent(), 35);
  EXPECT_EQ(store_->JournalOf(id)->size(), 1u);
  EXPECT_EQ(store_->GetTask("T999").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTask("garbage").status().code(), absl::StatusCode::kNotFound);
}

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

// ---- Idempotency keys ----------------------------------------------------------------------

// A report as the service writes it: state, one report row and one journal row.
absl::StatusOr<TaskChange> AddReport(const StoredTask& t, int percent) {
  TaskChange c;
  c.state = t.state;
  c.state.status = v1::TASK_STATUS_IN_PROGRESS;
  c.state.percent = percent;
  c.state.updated_at = absl::FromUnixSeconds(1700000100);
  v1::ProgressReport r;
  r.set_unit("甲局");
  r.set_reporter("经办人");
  r.set_period("2023-11");
  r.set_percent(percent);
  c.report = r;
  v1::JournalEntry e;
  e.set_actor("经办人@甲局");
  e.set_action("report");
  e.set_field("percent");
  e.set_old_value(std::to_string(t.state.percent));
  e.set_new_value(std::to_string(percent));
  c.journal.push_back(e);
  return c;
}

RequestKey Key(const std::string& id, const std::string& fingerprint = "fp-1",
               const std::string& caller = "office:经办人@甲局") {
  return RequestKey{caller, id, "report", fingerprint};
}

TEST_F(TaskSqliteStoreTest, KeyedReportRetriedWritesNothingAndAnswersTheTaskAsItIsNow) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  int mutator_calls = 0;
  auto report = [&](int percent) {
    return [&mutator_calls, percent](const StoredTask& t) {
      ++mutator_calls;
      return AddReport(t, percent);
    };
  };
  auto first = store_->MutateTask(id, report(40), Key("r-1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(first->state.percent, 40);

  // Another request (no key) changes the task; the retry of r-1 then shows the task as it is now.
  ASSERT_TRUE(store_->MutateTask(id, report(55)).ok());
  auto retry = store_->MutateTask(id, report(40), Key("r-1"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->state.percent, 55);
  EXPECT_EQ(mutator_calls, 2);  // the retry never reached the mutator
  EXPECT_EQ(store_->ReportsOf(id)->size(), 2u);
  EXPECT_EQ(store_->JournalOf(id)->size(), 2u);  // one entry per report written

  // The same id from another caller is another request.
  auto other = store_->MutateTask(id, report(60), Key("r-1", "fp-1", "office:李四@甲局"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_FALSE(other->replayed);
  EXPECT_EQ(store_->ReportsOf(id)->size(), 3u);
}

TEST_F(TaskSqliteStoreTest, KeyReusedForAnotherRequestIsRefused) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  auto report = [](const StoredTask& t) { return AddReport(t, 40); };
  ASSERT_TRUE(store_->MutateTask(id, report, Key("r-1")).ok());

  auto changed = store_->MutateTask(id, report, Key("r-1", "fp-2"));
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(changed.status().message().find("r-1"), std::string::npos) << changed.status();
  RequestKey as_review = Key("r-1");
  as_review.kind = "review";
  EXPECT_EQ(store_->MutateTask(id, report, as_review).status().code(), absl::StatusCode::kAlreadyExists);

  PlanWrite second = Plan("b", "");
  second.plan.set_plan_key("other");
  auto plan2 = store_->WritePlan(second);
  ASSERT_TRUE(plan2.ok()) << plan2.status();
  const std::string other_task = (*store_->TasksOfPlan(plan2->id()))[0].id;
  EXPECT_EQ(store_->MutateTask(other_task, report, Key("r-1")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->ReportsOf(id)->size(), 1u);
  EXPECT_TRUE(store_->ReportsOf(other_task)->empty());
}

TEST_F(TaskSqliteStoreTest, RefusedChangeRecordsNoKey) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  auto refused = store_->MutateTask(
      id, [](const StoredTask&) -> absl::StatusOr<TaskChange> { return absl::FailedPreconditionError("no"); },
      Key("r-1"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  auto later = store_->MutateTask(id, [](const StoredTask& t) { return AddReport(t, 10); }, Key("r-1"));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(later->replayed);
  EXPECT_EQ(store_->ReportsOf(id)->size(), 1u);
}

TEST_F(TaskSqliteStoreTest, ConcurrentRetriesOfOneKeyWriteOneReport) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  constexpr int kThreads = 16;
  std::atomic<int> written{0}, replayed{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto r = store_->MutateTask(id, [](const StoredTask& t) { return AddReport(t, 70); }, Key("same"));
      if (!r.ok()) {
        ++failed;
      } else if (r->replayed) {
        ++replayed;
      } else {
        ++written;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(written.load(), 1);
  EXPECT_EQ(replayed.load(), kThreads - 1);
  EXPECT_EQ(store_->ReportsOf(id)->size(), 1u);
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

TEST_F(TaskSqliteStoreTest, Version3DatabaseIsUpgradedAndKeepsItsReports) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  ASSERT_TRUE(store_->MutateTask(id, [](const StoredTask& t) { return AddReport(t, 30); }).ok());
  store_.reset();
  // Turn the file back into a version-3 database, as a binary before idempotency keys left it.
  {
    auto db = sql::Database::Open(path_, SqliteTaskStore::Migrations());
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Write([](sql::Connection& c) {
      return c.Exec("DROP TABLE requests; PRAGMA user_version = 3;");
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
}

}  // namespace
}  // namespace luoshi::tasks
