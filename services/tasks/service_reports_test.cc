// TaskLogicTest: progress reports and reviews, who may do what, rejected reports.
#include "services/tasks/service.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "services/tasks/service_test_fixture.h"

namespace luoshi::tasks {
namespace {

using ::luoshi::tasks::testing::kAdmin;
using ::luoshi::tasks::testing::kSupervisor;
using ::luoshi::tasks::testing::kViewer;
using ::luoshi::tasks::testing::Office;
using ::luoshi::tasks::testing::TaskLogicTest;

TEST_F(TaskLogicTest, StatusMovesThroughTheSupervisionLoop) {
  v1::Plan plan = ImportSeed();
  const std::string task = TaskId(plan.id(), "2");  // 区财政局
  const Identity office = Office("区财政局");

  auto t = Report(office, task, 30);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->status(), v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(t->percent_complete(), 30);

  clock_.Advance(absl::Hours(24));
  t = Report(office, task, 100, /*claim=*/true);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->status(), v1::TASK_STATUS_COMPLETION_CLAIMED);

  EXPECT_EQ(Review(kSupervisor, task, false).status().code(), absl::StatusCode::kInvalidArgument);
  t = Review(kSupervisor, task, false, "缺少佐证材料");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->status(), v1::TASK_STATUS_RETURNED);
  EXPECT_EQ(t->percent_complete(), 30);
  EXPECT_EQ(Review(kSupervisor, task, true).status().code(),
            absl::StatusCode::kFailedPrecondition);

  t = Report(office, task, 100, /*claim=*/true);
  ASSERT_TRUE(t.ok());
  t = Review(kSupervisor, task, true);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->status(), v1::TASK_STATUS_DONE);
  EXPECT_EQ(t->light(), v1::LIGHT_GREEN);
  EXPECT_EQ(Report(office, task, 100).status().code(), absl::StatusCode::kFailedPrecondition);

  v1::GetTaskRequest get;
  get.set_id(task);
  auto detail = tracker_->GetTask(kViewer, get);
  ASSERT_TRUE(detail.ok());
  ASSERT_EQ(detail->reports_size(), 3);
  EXPECT_TRUE(detail->reports(0).claims_completion());  // newest first
  EXPECT_EQ(detail->reports(2).percent(), 30);
  EXPECT_EQ(detail->reports(2).unit(), "区财政局");
  ASSERT_EQ(detail->reviews_size(), 2);
  EXPECT_TRUE(detail->reviews(0).accepted());
  EXPECT_EQ(detail->reviews(1).comment(), "缺少佐证材料");
  // The journal tells the story: import, then every status change with who and old → new.
  std::vector<std::string> statuses;
  for (const auto& e : detail->journal()) {
    if (e.field() == "status") statuses.push_back(e.old_value() + ">" + e.new_value());
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"NOT_STARTED>IN_PROGRESS",
                                                 "IN_PROGRESS>COMPLETION_CLAIMED",
                                                 "COMPLETION_CLAIMED>RETURNED",
                                                 "RETURNED>COMPLETION_CLAIMED",
                                                 "COMPLETION_CLAIMED>DONE"}));
  EXPECT_EQ(detail->journal(0).action(), "import");
  EXPECT_TRUE(absl::StrContains(detail->journal(1).actor(), "区财政局"));
  EXPECT_TRUE(absl::StrContains(detail->journal().rbegin()->actor(), "督查室王敏"));
}

TEST_F(TaskLogicTest, NoOneReviewsTheirOwnReport) {
  v1::Plan plan = ImportSeed();
  const std::string task = TaskId(plan.id(), "2");  // 区财政局
  // An admin claims completion for the office, then tries to accept its own claim.
  ASSERT_TRUE(Report(kAdmin, task, 100, /*claim=*/true).ok());
  auto own = Review(kAdmin, task, true);
  EXPECT_EQ(own.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(own.status().message(), "latest report")) << own.status();
  // Nothing changed: the claim is still waiting, and another admin (or a supervisor) may decide it.
  v1::GetTaskRequest get;
  get.set_id(task);
  EXPECT_EQ(tracker_->GetTask(kAdmin, get)->task().status(), v1::TASK_STATUS_COMPLETION_CLAIMED);
  const Identity other_admin{"值班管理员", "", Role::kAdmin};
  auto decided = Review(other_admin, task, true);
  ASSERT_TRUE(decided.ok()) << decided.status();
  EXPECT_EQ(decided->status(), v1::TASK_STATUS_DONE);
}

TEST_F(TaskLogicTest, AuthorizationMatrix) {
  v1::Plan plan = ImportSeed();
  const std::string finance_task = TaskId(plan.id(), "2");     // 区财政局
  const std::string everyone_task = TaskId(plan.id(), "117");  // 各部门、各单位?
  const auto denied = absl::StatusCode::kPermissionDenied;

  // Import: admin and supervisor only.
  auto small = SmallPlan("s1", {Def("1", "任务一", {"区财政局"}, "2023-12-31")});
  EXPECT_EQ(tracker_->ImportPlan(Office("区财政局"), small).status().code(), denied);
  EXPECT_EQ(tracker_->ImportPlan(kViewer, small).status().code(), denied);
  EXPECT_TRUE(tracker_->ImportPlan(kSupervisor, small).ok());

  // Report: the responsible office (any spelling of its unit) and admin.
  EXPECT_TRUE(Report(Office("区财政局"), finance_task, 10).ok());
  EXPECT_TRUE(Report(Office("大兴区财政局"), finance_task, 20).ok());
  EXPECT_TRUE(Report(kAdmin, finance_task, 25).ok());
  auto other = Report(Office("区商务局"), finance_task, 30);
  EXPECT_EQ(other.status().code(), denied);
  EXPECT_TRUE(absl::StrContains(other.status().message(), "区商务局")) << other.status();
  EXPECT_TRUE(absl::StrContains(other.status().message(), "区财政局")) << other.status();
  auto sup = Report(kSupervisor, finance_task, 30);
  EXPECT_EQ(sup.status().code(), denied);
  EXPECT_TRUE(absl::StrContains(sup.status().message(), "supervisor"));
  EXPECT_EQ(Report(kViewer, finance_task, 30).status().code(), denied);
  EXPECT_EQ(Report(Identity{"x", "", Role::kOffice}, finance_task, 30).status().code(), denied);

  // Review: supervisor and admin only (allowed roles get past authorization to the state check).
  EXPECT_EQ(Review(Office("区财政局"), finance_task, true).status().code(), denied);
  EXPECT_EQ(Review(kViewer, finance_task, true).status().code(), denied);
  EXPECT_EQ(Review(kSupervisor, finance_task, true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The admin sent the latest report on finance_task, so it may not review it (no one judges their own
  // report); once someone else has reported, the admin gets past authorization to the state check.
  EXPECT_EQ(Review(kAdmin, finance_task, true).status().code(), denied);
  EXPECT_TRUE(Report(Office("区财政局"), finance_task, 26).ok());
  EXPECT_EQ(Review(kAdmin, finance_task, true).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Reads: every role.
  for (const Identity& who : {kAdmin, kSupervisor, kViewer, Office("区商务局")}) {
    v1::GetTaskRequest get;
    get.set_id(finance_task);
    EXPECT_TRUE(tracker_->GetTask(who, get).ok());
    EXPECT_TRUE(tracker_->ListTasks(who, {}).ok());
    EXPECT_TRUE(tracker_->GetLedger(who, {}).ok());
    EXPECT_TRUE(tracker_->ListDueTasks(who, {}).ok());
    EXPECT_TRUE(tracker_->ListUnits(who, {}).ok());
  }
  (void)everyone_task;
}

TEST_F(TaskLogicTest, CollectiveUnitsCoverTheirMembers) {
  auto plan = tracker_->ImportPlan(
      kAdmin, SmallPlan("c1", {Def("1", "全员任务", {"各部门", "各单位"}, "2023-12-31"),
                               Def("2", "属地任务", {"区住房城乡建设委", "相关属地"}, "2023-12-31")}));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string all = TaskId(plan->plan().id(), "1");
  const std::string local = TaskId(plan->plan().id(), "2");
  EXPECT_TRUE(Report(Office("区商务局"), all, 10).ok());
  EXPECT_TRUE(Report(Office("黄村镇人民政府"), local, 10).ok());
  EXPECT_TRUE(Report(Office("区住建委"), local, 20).ok());
  EXPECT_EQ(Report(Office("区商务局"), local, 10).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::GetTaskRequest get;
  get.set_id(all);
  auto detail = tracker_->GetTask(kViewer, get);
  ASSERT_TRUE(detail.ok());
  ASSERT_EQ(detail->task().definition().responsible_units_size(), 1);
  EXPECT_EQ(detail->task().definition().responsible_units(0), "各部门、各单位");
  auto units = tracker_->ListUnits(kViewer, {});
  ASSERT_TRUE(units.ok());
  bool found = false;
  for (const auto& u : units->units()) {
    if (u.name() == "各部门、各单位") found = u.collective();
    if (u.name() == "区发展改革委") {
      EXPECT_NE(std::find(u.aliases().begin(), u.aliases().end(), "区发改委"), u.aliases().end());
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(TaskLogicTest, BadReportsAreRejectedWithReasons) {
  v1::Plan plan = ImportSeed();
  v1::ReportProgressRequest r;
  r.set_task_id(TaskId(plan.id(), "2"));
  EXPECT_EQ(tracker_->ReportProgress(kAdmin, r).status().code(), absl::StatusCode::kInvalidArgument);
  r.set_percent(120);
  EXPECT_EQ(tracker_->ReportProgress(kAdmin, r).status().code(), absl::StatusCode::kInvalidArgument);
  r.set_percent(20);
  r.set_period("2023-04");  // clock is in March
  EXPECT_EQ(tracker_->ReportProgress(kAdmin, r).status().code(), absl::StatusCode::kInvalidArgument);
  r.set_period("2023/03");
  EXPECT_EQ(tracker_->ReportProgress(kAdmin, r).status().code(), absl::StatusCode::kInvalidArgument);
  r.set_period("2023-03");
  r.set_task_id("T9999");
  EXPECT_EQ(tracker_->ReportProgress(kAdmin, r).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace luoshi::tasks
