// The TaskLogicTest fixture (a TaskLogic on a fresh SQLite file, seed 004) shared by service*_test.cc.
#ifndef LUOSHI_SERVICES_TASKS_SERVICE_TEST_FIXTURE_H_
#define LUOSHI_SERVICES_TASKS_SERVICE_TEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/tasks/service.h"
#include "services/tasks/sqlite_store.h"
#include "services/tasks/test_util.h"

namespace luoshi::tasks::testing {

inline absl::Time Cst(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::FixedTimeZone(8 * 3600));
}

inline const Identity kAdmin{"root", "", Role::kAdmin};
inline const Identity kSupervisor{"督查室王敏", "区政府督查室", Role::kSupervisor};
inline const Identity kViewer{"观察员", "", Role::kViewer};
inline Identity Office(const std::string& unit) { return Identity{"经办人", unit, Role::kOffice}; }

class FakeIndicators : public IndicatorActuals {
 public:
  std::string LatestActual(const std::string& id, const std::string& region) override {
    ++calls;
    return id == "gdp" && region == "大兴区" ? "增长5.2% (2023)" : "";
  }
  std::atomic<int> calls{0};
};

class TaskLogicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = absl::StrCat(::testing::TempDir(), "/tracker_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    std::remove(path_.c_str());
    std::remove((path_ + "-wal").c_str());
    std::remove((path_ + "-shm").c_str());
    auto store = SqliteTaskStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto units = UnitDirectory::Load(SourcePath("data/units.json"));
    ASSERT_TRUE(units.ok()) << units.status();
    units_ = *units;
    tracker_ = std::make_unique<TaskLogic>(store_.get(), &units_, &clock_, &indicators_);
  }

  v1::Plan ImportSeed() {
    auto request = PlanFromSeed(SourcePath(kSeed004));
    EXPECT_TRUE(request.ok()) << request.status();
    auto response = tracker_->ImportPlan(kAdmin, *request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response->plan();
  }

  // The id of task `number` in the current version of the plan.
  std::string TaskId(const std::string& plan_id, const std::string& number) {
    v1::ListTasksRequest req;
    req.mutable_filter()->set_plan_id(plan_id);
    req.mutable_page()->set_page_size(1000);
    auto r = tracker_->ListTasks(kAdmin, req);
    EXPECT_TRUE(r.ok()) << r.status();
    for (const v1::Task& t : r->tasks()) {
      if (t.definition().number() == number) return t.id();
    }
    ADD_FAILURE() << "no task " << number;
    return "";
  }

  absl::StatusOr<v1::Task> Report(const Identity& who, const std::string& task, int percent,
                                  bool claim = false) {
    v1::ReportProgressRequest req;
    req.set_task_id(task);
    req.set_percent(percent);
    req.set_narrative("按计划推进");
    req.set_claims_completion(claim);
    return tracker_->ReportProgress(who, req);
  }

  absl::StatusOr<v1::Task> Review(const Identity& who, const std::string& task, bool accept,
                                  const std::string& comment = "") {
    v1::ReviewTaskRequest req;
    req.set_task_id(task);
    req.set_accept(accept);
    req.set_comment(comment);
    return tracker_->ReviewTask(who, req);
  }

  std::map<std::string, v1::LedgerRow> LedgerByKey(const std::string& plan_id,
                                                   v1::LedgerGrouping grouping) {
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_id);
    req.set_grouping(grouping);
    auto ledger = tracker_->GetLedger(kViewer, req);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    std::map<std::string, v1::LedgerRow> out;
    for (const auto& row : ledger->rows()) out[row.key()] = row;
    return out;
  }

  static v1::TaskDefinition Def(const std::string& number, const std::string& text,
                                std::vector<std::string> units, const std::string& due) {
    v1::TaskDefinition d;
    d.set_number(number);
    d.set_text(text);
    for (auto& u : units) d.add_responsible_units(u);
    d.add_lead_leaders("常务副区长");
    d.mutable_deadline()->set_date(due);
    d.mutable_deadline()->set_text(due);
    d.add_section_path("一、测试");
    return d;
  }

  static v1::ImportPlanRequest SmallPlan(const std::string& sha,
                                         std::vector<v1::TaskDefinition> defs) {
    v1::ImportPlanRequest req;
    req.set_document_id(absl::StrCat("doc-", sha));
    req.set_document_sha256(sha);
    req.set_plan_key("测试方案");
    req.set_title("测试方案");
    req.set_year(2023);
    req.set_region("大兴区");
    for (auto& d : defs) *req.add_tasks() = d;
    return req;
  }

  std::string path_;
  FakeClock clock_{Cst(2023, 3, 9, 10)};
  FakeIndicators indicators_;
  std::unique_ptr<SqliteTaskStore> store_;
  UnitDirectory units_;
  std::unique_ptr<TaskLogic> tracker_;
};

}  // namespace luoshi::tasks::testing

#endif  // LUOSHI_SERVICES_TASKS_SERVICE_TEST_FIXTURE_H_
