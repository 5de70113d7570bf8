// TaskLogicTest: ledgers (counts, ranking, freshness after writes) and due-task reminders.
#include "services/tasks/service.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "services/tasks/service_test_fixture.h"

namespace luoshi::tasks {
namespace {

using ::luoshi::tasks::testing::Cst;
using ::luoshi::tasks::testing::kAdmin;
using ::luoshi::tasks::testing::kSeed004;
using ::luoshi::tasks::testing::kSupervisor;
using ::luoshi::tasks::testing::kViewer;
using ::luoshi::tasks::testing::Office;
using ::luoshi::tasks::testing::PlanFromSeed;
using ::luoshi::tasks::testing::SourcePath;
using ::luoshi::tasks::testing::TaskLogicTest;

TEST_F(TaskLogicTest, SeedLedgerCountsEveryResponsibleUnit) {
  auto request = PlanFromSeed(SourcePath(kSeed004));
  v1::Plan plan = ImportSeed();
  auto by_unit = LedgerByKey(plan.id(), v1::LEDGER_GROUPING_UNIT);
  // Counted by hand from the seed: lead and co-responsible units both own the task.
  EXPECT_EQ(by_unit["区农业农村局"].task_count(), 12);
  EXPECT_EQ(by_unit["区住房城乡建设委"].task_count(), 10);
  EXPECT_EQ(by_unit["临空区大兴片区管委会"].task_count(), 9);
  EXPECT_EQ(by_unit["区经济和信息化局"].task_count(), 7);
  EXPECT_EQ(by_unit["区城市管理委"].task_count(), 6);
  EXPECT_EQ(by_unit["各部门、各单位"].task_count(), 5);
  EXPECT_EQ(by_unit["相关属地"].task_count(), 4);
  EXPECT_EQ(by_unit.count("各部门"), 0u);
  // Every unit named in the plan has a row, and the rows add up to the unit memberships.
  std::set<std::string> units;
  int memberships = 0;
  for (const auto& t : request->tasks()) {
    auto list = units_.CanonicalList({t.responsible_units().begin(), t.responsible_units().end()});
    memberships += static_cast<int>(list.size());
    units.insert(list.begin(), list.end());
  }
  EXPECT_EQ(by_unit.size(), units.size());
  int sum = 0;
  for (const auto& [key, row] : by_unit) {
    sum += row.task_count();
    EXPECT_EQ(row.not_started(), row.task_count()) << key;
    EXPECT_EQ(row.done(), 0) << key;
    EXPECT_EQ(row.completion_rate(), "0.0") << key;
  }
  EXPECT_EQ(sum, memberships);

  auto by_leader = LedgerByKey(plan.id(), v1::LEDGER_GROUPING_LEADER);
  EXPECT_EQ(by_leader["张晓晟"].task_count(), 23);
  EXPECT_EQ(by_leader["常务副区长"].task_count(), 19);
  auto by_section = LedgerByKey(plan.id(), v1::LEDGER_GROUPING_SECTION);
  EXPECT_EQ(by_section["一、全区经济社会发展主要预期目标"].task_count(), 7);
  int sections = 0;
  for (const auto& [key, row] : by_section) sections += row.task_count();
  EXPECT_EQ(sections, 121);
}

TEST_F(TaskLogicTest, LedgerArithmeticAndRanking) {
  auto plan = tracker_->ImportPlan(
      kAdmin, SmallPlan("l1", {Def("1", "甲一", {"甲局"}, "2023-06-30"),
                               Def("2", "甲二", {"甲局"}, "2023-06-30"),
                               Def("3", "甲三", {"甲局", "乙局"}, "2023-12-31"),
                               Def("4", "乙一", {"乙局"}, "2023-06-30"),
                               Def("5", "丙一", {"丙局"}, "2023-12-31")}));
  ASSERT_TRUE(plan.ok());
  const std::string id = plan->plan().id();
  auto task = [&](const char* n) { return TaskId(id, n); };
  clock_.Set(Cst(2023, 6, 20, 9));
  ASSERT_TRUE(Report(Office("甲局"), task("1"), 100, true).ok());
  ASSERT_TRUE(Review(kSupervisor, task("1"), true).ok());
  ASSERT_TRUE(Report(Office("甲局"), task("3"), 50).ok());
  clock_.Set(Cst(2023, 6, 25, 15));
  ASSERT_TRUE(Report(Office("乙局"), task("4"), 70).ok());

  // Day of the deadline: nothing overdue yet.
  clock_.Set(Cst(2023, 6, 30, 23, 59));
  auto rows = LedgerByKey(id, v1::LEDGER_GROUPING_UNIT);
  EXPECT_EQ(rows["甲局"].overdue(), 0);

  clock_.Set(Cst(2023, 7, 1, 8));
  rows = LedgerByKey(id, v1::LEDGER_GROUPING_UNIT);
  const v1::LedgerRow& jia = rows["甲局"];
  EXPECT_EQ(jia.task_count(), 3);
  EXPECT_EQ(jia.done(), 1);
  EXPECT_EQ(jia.in_progress(), 1);
  EXPECT_EQ(jia.not_started(), 1);
  EXPECT_EQ(jia.overdue(), 1);
  EXPECT_EQ(jia.completion_rate(), "33.3");
  EXPECT_EQ(jia.overdue_task_ids_size(), 1);
  EXPECT_EQ(jia.overdue_task_ids(0), task("2"));
  EXPECT_EQ(rows["乙局"].task_count(), 2);
  EXPECT_EQ(rows["乙局"].overdue(), 1);
  EXPECT_EQ(rows["乙局"].in_progress(), 2);
  EXPECT_EQ(rows["乙局"].last_report_at().seconds(), absl::ToUnixSeconds(Cst(2023, 6, 25, 15)));
  EXPECT_EQ(rows["丙局"].overdue(), 0);
  EXPECT_FALSE(rows["丙局"].has_last_report_at());

  v1::GetLedgerRequest req;
  req.set_plan_id(id);
  auto ledger = tracker_->GetLedger(kViewer, req);
  ASSERT_EQ(ledger->rows_size(), 3);
  EXPECT_EQ(ledger->rows(0).key(), "乙局");  // overdue 1, then by name: 乙 < 甲 in UTF-8
  EXPECT_EQ(ledger->rows(2).key(), "丙局");  // overdue 0 last
  EXPECT_EQ(ledger->rows(2).completion_rate(), "0.0");

  // Lights agree: the overdue tasks are red.
  v1::ListTasksRequest red;
  red.mutable_filter()->set_plan_id(id);
  red.mutable_filter()->set_light(v1::LIGHT_RED);
  auto reds = tracker_->ListTasks(kViewer, red);
  ASSERT_TRUE(reds.ok());
  std::set<std::string> red_ids;
  for (const auto& t : reds->tasks()) red_ids.insert(t.id());
  EXPECT_TRUE(red_ids.count(task("2")));
  EXPECT_TRUE(red_ids.count(task("4")));
  EXPECT_FALSE(red_ids.count(task("1")));
}

TEST_F(TaskLogicTest, LedgerFollowsEveryWrite) {
  v1::Plan plan = ImportSeed();
  EXPECT_EQ(LedgerByKey(plan.id(), v1::LEDGER_GROUPING_UNIT)["区财政局"].in_progress(), 0);
  EXPECT_EQ(LedgerByKey("", v1::LEDGER_GROUPING_UNIT)["区财政局"].in_progress(), 0);
  const std::string task = TaskId(plan.id(), "2");
  ASSERT_TRUE(Report(Office("区财政局"), task, 50, true).ok());
  EXPECT_EQ(LedgerByKey(plan.id(), v1::LEDGER_GROUPING_UNIT)["区财政局"].in_progress(), 1);
  EXPECT_EQ(LedgerByKey("", v1::LEDGER_GROUPING_UNIT)["区财政局"].in_progress(), 1);
  ASSERT_TRUE(Review(kSupervisor, task, true).ok());
  auto row = LedgerByKey(plan.id(), v1::LEDGER_GROUPING_UNIT)["区财政局"];
  EXPECT_EQ(row.done(), 1);
  EXPECT_EQ(row.completion_rate(), "50.0");
  EXPECT_EQ(LedgerByKey(plan.id(), v1::LEDGER_GROUPING_LEADER)["常务副区长"].done(), 1);
  // A new plan version moves tasks: the old version's ledger loses them.
  auto request = PlanFromSeed(SourcePath(kSeed004));
  request->set_document_sha256("corrected");
  request->mutable_tasks(1)->set_text("一般公共预算收入完成105亿元。");
  auto v2 = tracker_->ImportPlan(kAdmin, *request);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(LedgerByKey(plan.id(), v1::LEDGER_GROUPING_UNIT)["区财政局"].task_count(), 1);
  auto v2_row = LedgerByKey(v2->plan().id(), v1::LEDGER_GROUPING_UNIT)["区财政局"];
  EXPECT_EQ(v2_row.task_count(), 2);
  EXPECT_EQ(v2_row.done(), 0);  // task 2's text changed: the done task stays with version 1
}

TEST_F(TaskLogicTest, RemindersListDueUnreportedAndOverdue) {
  v1::Plan plan = ImportSeed();
  clock_.Set(Cst(2023, 10, 25, 9));
  const std::string reported = TaskId(plan.id(), "2");
  ASSERT_TRUE(Report(Office("区财政局"), reported, 80).ok());
  v1::ListDueTasksRequest req;
  req.set_within_days(7);
  auto due = tracker_->ListDueTasks(kViewer, req);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(due->due_soon_size(), 3);  // the three tasks due 2023-10-31
  for (const auto& t : due->due_soon()) EXPECT_EQ(t.definition().deadline().date(), "2023-10-31");
  ASSERT_EQ(due->overdue_size(), 1);  // due 2023-06-30
  EXPECT_EQ(due->overdue(0).definition().deadline().date(), "2023-06-30");
  EXPECT_EQ(due->without_report_size(), 120);
  req.set_unit("区财政局");
  due = tracker_->ListDueTasks(kViewer, req);
  EXPECT_EQ(due->without_report_size(), 1);  // task 2 reported this month, the other did not
}

}  // namespace
}  // namespace luoshi::tasks
