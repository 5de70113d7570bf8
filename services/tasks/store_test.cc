#include "services/tasks/sqlite_store.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace luoshi::tasks {
namespace {

class StoreTest : public ::testing::Test {
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

TEST_F(StoreTest, MigrationsApplyOnceAndSurviveReopen) {
  auto plan = store_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(plan.ok()) << plan.status();
  store_.reset();
  auto reopened = SqliteTaskStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto plans = (*reopened)->ListPlans();
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 1u);
  EXPECT_EQ((*plans)[0].id(), plan->id());
  EXPECT_EQ(SqliteTaskStore::Migrations().back().version, 1);
}

TEST_F(StoreTest, DuplicateDocumentAndStaleVersionAreRefused) {
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

TEST_F(StoreTest, MutationIsAtomicAndErrorsWriteNothing) {
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

TEST_F(StoreTest, BatchedMutationsIsolateFailures) {
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

}  // namespace
}  // namespace luoshi::tasks
