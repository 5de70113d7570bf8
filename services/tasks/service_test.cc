// TaskLogicTest: plans and imports, listing and paging, watching and export.
#include "services/tasks/service.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
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

TEST_F(TaskLogicTest, SeedParsesIntoAllTasks) {
  auto request = PlanFromSeed(SourcePath(kSeed004));
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->tasks_size(), 121);
  EXPECT_EQ(request->tasks(0).text(), "地区生产总值比上年增长4.5%以上。");
  EXPECT_EQ(request->tasks(120).number(), "121");
  for (const auto& t : request->tasks()) {
    EXPECT_FALSE(t.responsible_units().empty()) << t.number();
    EXPECT_FALSE(t.deadline().date().empty()) << t.number();
  }
}

TEST_F(TaskLogicTest, ImportIsIdempotentByDocument) {
  v1::Plan plan = ImportSeed();
  EXPECT_EQ(plan.task_count(), 121);
  EXPECT_EQ(plan.version(), 1);
  EXPECT_TRUE(plan.current());
  const std::string task = TaskId(plan.id(), "8");
  auto journal_before = tracker_->GetTask(kViewer, [&] {
    v1::GetTaskRequest r;
    r.set_id(task);
    return r;
  }());
  ASSERT_TRUE(journal_before.ok());

  clock_.Advance(absl::Hours(1));
  auto again = tracker_->ImportPlan(kSupervisor, *PlanFromSeed(SourcePath(kSeed004)));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created());
  EXPECT_EQ(again->plan().id(), plan.id());
  auto plans = tracker_->ListPlans(kViewer, {});
  ASSERT_TRUE(plans.ok());
  EXPECT_EQ(plans->plans_size(), 1);
  v1::ListTasksRequest list;
  auto tasks = tracker_->ListTasks(kViewer, list);
  ASSERT_TRUE(tasks.ok());
  EXPECT_EQ(tasks->total(), 121);
  v1::GetTaskRequest get;
  get.set_id(task);
  EXPECT_EQ(tracker_->GetTask(kViewer, get)->journal_size(), journal_before->journal_size());
}

TEST_F(TaskLogicTest, NewPlanVersionKeepsProgressOfUnchangedTasks) {
  auto v1r = tracker_->ImportPlan(
      kAdmin, SmallPlan("v1", {Def("1", "修路", {"区交通局"}, "2023-12-31"),
                               Def("2", "建园", {"区园林绿化局"}, "2023-12-31"),
                               Def("3", "治水", {"区水务局"}, "2023-12-31")}));
  ASSERT_TRUE(v1r.ok());
  const std::string road = TaskId(v1r->plan().id(), "1");
  const std::string park = TaskId(v1r->plan().id(), "2");
  const std::string water = TaskId(v1r->plan().id(), "3");
  ASSERT_TRUE(Report(Office("区交通局"), road, 40).ok());
  ASSERT_TRUE(Report(Office("区园林绿化局"), park, 60).ok());

  clock_.Advance(absl::Hours(24 * 10));
  auto v2r = tracker_->ImportPlan(
      kAdmin, SmallPlan("v2", {Def("1", "修路", {"区交通局"}, "2023-12-31"),
                               Def("2", "建园（扩大规模）", {"区园林绿化局"}, "2023-12-31"),
                               Def("3", "治水", {"区水务局", "区农业农村局"}, "2023-11-30"),
                               Def("4", "新任务", {"区商务局"}, "2023-12-31")}));
  ASSERT_TRUE(v2r.ok()) << v2r.status();
  EXPECT_TRUE(v2r->created());
  EXPECT_EQ(v2r->plan().version(), 2);
  EXPECT_EQ(v2r->plan().plan_key(), v1r->plan().plan_key());
  auto old_plan = store_->GetPlan(v1r->plan().id());
  EXPECT_FALSE(old_plan->current());

  // Unchanged text: same task, progress and history kept, journal notes the new version.
  EXPECT_EQ(TaskId(v2r->plan().id(), "1"), road);
  v1::GetTaskRequest get;
  get.set_id(road);
  auto road_detail = tracker_->GetTask(kViewer, get);
  EXPECT_EQ(road_detail->task().percent_complete(), 40);
  EXPECT_EQ(road_detail->task().plan_id(), v2r->plan().id());
  EXPECT_EQ(road_detail->reports_size(), 1);
  EXPECT_EQ(road_detail->journal().rbegin()->field(), "plan_version");

  // Changed text: a new task that starts afresh, journal pointing at the one it replaces.
  const std::string park2 = TaskId(v2r->plan().id(), "2");
  EXPECT_NE(park2, park);
  get.set_id(park2);
  auto park_detail = tracker_->GetTask(kViewer, get);
  EXPECT_EQ(park_detail->task().status(), v1::TASK_STATUS_NOT_STARTED);
  bool replaces = false;
  for (const auto& e : park_detail->journal()) replaces |= e.field() == "replaces" && e.old_value() == park;
  EXPECT_TRUE(replaces);

  // Same text, new units and deadline: same task, reassignment journaled, new unit may report.
  EXPECT_EQ(TaskId(v2r->plan().id(), "3"), water);
  get.set_id(water);
  auto water_detail = tracker_->GetTask(kViewer, get);
  std::set<std::string> fields;
  for (const auto& e : water_detail->journal()) fields.insert(e.action() + ":" + e.field());
  EXPECT_TRUE(fields.count("reassign:responsible_units"));
  EXPECT_TRUE(fields.count("import:deadline"));
  EXPECT_TRUE(Report(Office("区农业农村局"), water, 5).ok());

  // Listings show the current version only; the old park task stays with version 1.
  auto all = tracker_->ListTasks(kViewer, {});
  EXPECT_EQ(all->total(), 4);
  v1::ListTasksRequest old_list;
  old_list.mutable_filter()->set_plan_id(v1r->plan().id());
  EXPECT_EQ(tracker_->ListTasks(kViewer, old_list)->total(), 1);
  // Re-importing the first document changes nothing.
  auto again = tracker_->ImportPlan(kAdmin, SmallPlan("v1", {Def("1", "修路", {"区交通局"}, "2023-12-31")}));
  EXPECT_FALSE(again->created());
  EXPECT_EQ(tracker_->ListTasks(kViewer, {})->total(), 4);
}

// The ingestion service imports plans on behalf of whoever uploaded them: the uploader's role decides,
// the journal names the uploader and the token they used, and a replaced plan keeps its history.
TEST_F(TaskLogicTest, PlansComeInOnBehalfOfTheUploader) {
  const Identity ingestion{"luoshi-ingestion", "", Role::kService, "svc-token"};
  auto plan = [](const std::string& sha, const std::string& text) {
    return SmallPlan(sha, {Def("1", text, {"区交通局"}, "2023-12-31")});
  };

  // A service importing for nobody, or for someone who may not import, is refused.
  EXPECT_EQ(tracker_->ImportPlan(ingestion, plan("s1", "修路")).status().code(), absl::StatusCode::kPermissionDenied);
  v1::ImportPlanRequest for_office = plan("s1", "修路");
  *for_office.mutable_on_behalf_of() = PrincipalOf(Office("区交通局"));
  auto refused = tracker_->ImportPlan(ingestion, for_office);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("office"), std::string::npos) << refused.status();
  // Only a service may speak for someone else.
  v1::ImportPlanRequest impostor = plan("s1", "修路");
  *impostor.mutable_on_behalf_of() = PrincipalOf(kAdmin);
  auto denied = tracker_->ImportPlan(Office("区交通局"), impostor);
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(denied.status().message().find("on behalf"), std::string::npos) << denied.status();
  EXPECT_EQ(tracker_->ListPlans(kViewer, {})->plans_size(), 0);

  Identity supervisor = kSupervisor;
  supervisor.token_id = "jti-of-the-supervisor";
  v1::ImportPlanRequest first = plan("s1", "修路");
  *first.mutable_on_behalf_of() = PrincipalOf(supervisor);
  auto imported = tracker_->ImportPlan(ingestion, first);
  ASSERT_TRUE(imported.ok()) << imported.status();
  const std::string road = TaskId(imported->plan().id(), "1");
  v1::GetTaskRequest get;
  get.set_id(road);
  auto detail = tracker_->GetTask(kViewer, get);
  ASSERT_TRUE(detail.ok());
  ASSERT_GT(detail->journal_size(), 0);
  EXPECT_EQ(detail->journal(0).actor(), "督查室王敏@区政府督查室");
  EXPECT_EQ(detail->journal(0).token_id(), "jti-of-the-supervisor");

  // A later version with changed text: a new task; the old one keeps its report, and is still readable.
  ASSERT_TRUE(Report(Office("区交通局"), road, 30).ok());
  v1::ImportPlanRequest second = plan("s2", "修路并拓宽");
  *second.mutable_on_behalf_of() = PrincipalOf(supervisor);
  auto replaced = tracker_->ImportPlan(ingestion, second);
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->plan().version(), 2);
  auto old_detail = tracker_->GetTask(kViewer, get);
  ASSERT_TRUE(old_detail.ok());
  EXPECT_EQ(old_detail->reports_size(), 1);
  EXPECT_EQ(old_detail->task().percent_complete(), 30);
}

TEST_F(TaskLogicTest, FiltersAndStablePaging) {
  v1::Plan plan = ImportSeed();
  auto count = [&](auto set) {
    v1::ListTasksRequest req;
    set(req.mutable_filter());
    auto r = tracker_->ListTasks(kViewer, req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->total() : -1;
  };
  EXPECT_EQ(count([](v1::TaskFilter* f) { f->set_unit("区住建委"); }), 10);
  EXPECT_EQ(count([](v1::TaskFilter* f) { f->set_leader("张晓晟"); }), 23);
  EXPECT_EQ(count([](v1::TaskFilter* f) { f->set_due_before("2023-10-31"); }), 4);
  EXPECT_EQ(count([](v1::TaskFilter* f) { f->set_due_after("2023-11-01"); }), 117);
  EXPECT_EQ(count([](v1::TaskFilter* f) { f->set_text("氢"); }), 2);
  EXPECT_EQ(count([](v1::TaskFilter* f) { f->set_status(v1::TASK_STATUS_IN_PROGRESS); }), 0);

  std::vector<std::string> seen;
  v1::ListTasksRequest req;
  req.mutable_page()->set_page_size(50);
  int pages = 0;
  while (true) {
    auto page = tracker_->ListTasks(kViewer, req);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->total(), 121);
    for (const auto& t : page->tasks()) seen.push_back(t.definition().number());
    ++pages;
    // A change between pages must not shift what the next page shows.
    if (pages == 1) ASSERT_TRUE(Report(kAdmin, page->tasks(3).id(), 10).ok());
    if (page->next_page_token().empty()) break;
    req.mutable_page()->set_page_token(page->next_page_token());
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 121u);
  for (int i = 0; i < 121; ++i) EXPECT_EQ(seen[i], std::to_string(i + 1));

  req.mutable_page()->set_page_token("bogus");
  EXPECT_EQ(tracker_->ListTasks(kViewer, req).status().code(), absl::StatusCode::kInvalidArgument);
  req.mutable_page()->set_page_token("");
  req.mutable_page()->set_page_size(5000);
  EXPECT_EQ(tracker_->ListTasks(kViewer, req).status().code(), absl::StatusCode::kInvalidArgument);
  v1::ListTasksRequest missing;
  missing.mutable_filter()->set_plan_id("P999");
  EXPECT_EQ(tracker_->ListTasks(kViewer, missing).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TaskLogicTest, LightFilterPagesToo) {
  v1::Plan plan = ImportSeed();
  clock_.Set(Cst(2023, 7, 1, 9));  // task due 06-30 overdue; nobody reported for June: all red
  v1::ListTasksRequest req;
  req.mutable_filter()->set_light(v1::LIGHT_RED);
  req.mutable_page()->set_page_size(100);
  auto first = tracker_->ListTasks(kViewer, req);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->total(), 121);
  EXPECT_EQ(first->tasks_size(), 100);
  req.mutable_page()->set_page_token(first->next_page_token());
  auto second = tracker_->ListTasks(kViewer, req);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->tasks_size(), 21);
  EXPECT_TRUE(second->next_page_token().empty());
}

TEST_F(TaskLogicTest, IndicatorLinkedTasksShowTheActual) {
  v1::Plan plan = ImportSeed();
  v1::GetTaskRequest get;
  get.set_id(TaskId(plan.id(), "1"));
  auto gdp = tracker_->GetTask(kViewer, get);
  EXPECT_EQ(gdp->task().definition().indicator_id(), "gdp");
  EXPECT_EQ(gdp->task().indicator_actual(), "增长5.2% (2023)");
  get.set_id(TaskId(plan.id(), "8"));
  EXPECT_EQ(tracker_->GetTask(kViewer, get)->task().indicator_actual(), "");
}

TEST_F(TaskLogicTest, WatchersGetOnlyMatchingChanges) {
  v1::Plan plan = ImportSeed();
  v1::WatchTasksRequest watch;
  watch.mutable_filter()->set_unit("区发改委");
  auto sub = tracker_->WatchTasks(kViewer, watch);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(Report(Office("区财政局"), TaskId(plan.id(), "2"), 10).ok());
  ASSERT_TRUE(Report(Office("区发展改革委"), TaskId(plan.id(), "1"), 20).ok());
  auto event = (*sub)->Next(absl::Seconds(5));
  ASSERT_TRUE(event.ok());
  ASSERT_TRUE(event->has_value());
  EXPECT_EQ((*event)->task().definition().number(), "1");
  EXPECT_EQ((*event)->action(), "report");
  EXPECT_EQ((*event)->task().percent_complete(), 20);
  auto none = (*sub)->Next(absl::Milliseconds(10));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  tracker_->Shutdown();
  EXPECT_EQ((*sub)->Next(absl::Seconds(1)).status().code(), absl::StatusCode::kUnavailable);
}

// A board that reconnects with the sequence of the last event it saw gets the matching changes it missed,
// in order, then live ones: nothing missed, nothing twice.
TEST_F(TaskLogicTest, WatcherResumingAfterReconnectMissesNothing) {
  v1::Plan plan = ImportSeed();
  const std::string mine = TaskId(plan.id(), "1");    // 区发展改革委
  const std::string other = TaskId(plan.id(), "2");   // 区财政局
  v1::WatchTasksRequest watch;
  watch.mutable_filter()->set_unit("区发改委");
  auto first = tracker_->WatchTasks(kViewer, watch);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(Report(Office("区发展改革委"), mine, 10).ok());
  auto seen = (*first)->Next(absl::Seconds(5));
  ASSERT_TRUE(seen.ok() && seen->has_value());
  const int64_t last = (*seen)->sequence();
  EXPECT_GT(last, 0);
  first->reset();  // disconnected

  ASSERT_TRUE(Report(Office("区发展改革委"), mine, 20).ok());
  ASSERT_TRUE(Report(Office("区财政局"), other, 15).ok());  // not for this board
  ASSERT_TRUE(Report(Office("区发展改革委"), mine, 30).ok());

  watch.set_after_sequence(last);
  auto resumed = tracker_->WatchTasks(kViewer, watch);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(Report(Office("区发展改革委"), mine, 40).ok());  // live
  int64_t previous = last;
  for (int percent : {20, 30, 40}) {
    auto event = (*resumed)->Next(absl::Seconds(5));
    ASSERT_TRUE(event.ok()) << event.status();
    ASSERT_TRUE(event->has_value()) << "missed the change to " << percent << "%";
    EXPECT_EQ((*event)->task().id(), mine);
    EXPECT_EQ((*event)->task().percent_complete(), percent);
    EXPECT_EQ((*event)->action(), "report");
    EXPECT_GT((*event)->sequence(), previous);
    previous = (*event)->sequence();
  }
  auto none = (*resumed)->Next(absl::Milliseconds(20));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value()) << "a change came twice";
}

TEST_F(TaskLogicTest, ResumeTokensThatCannotBeHonouredAreRefusedWithAReason) {
  v1::Plan plan = ImportSeed();
  const std::string task = TaskId(plan.id(), "1");
  v1::WatchTasksRequest watch;
  watch.set_after_sequence(-1);
  EXPECT_EQ(tracker_->WatchTasks(kViewer, watch).status().code(), absl::StatusCode::kInvalidArgument);

  // Beyond the newest change (a token from another deployment): live changes only.
  watch.set_after_sequence(1000000);
  auto beyond = tracker_->WatchTasks(kViewer, watch);
  ASSERT_TRUE(beyond.ok()) << beyond.status();
  ASSERT_TRUE(Report(Office("区发展改革委"), task, 10).ok());
  auto live = (*beyond)->Next(absl::Seconds(5));
  ASSERT_TRUE(live.ok() && live->has_value());
  EXPECT_EQ((*live)->task().percent_complete(), 10);

  // More missed changes than a stream holds.
  TrackerOptions options;
  options.watch_queue_capacity = 2;
  TaskLogic small(store_.get(), &units_, &clock_, nullptr, options);
  v1::ReportProgressRequest r;
  r.set_task_id(task);
  for (int percent : {20, 30, 40}) {
    r.set_percent(percent);
    ASSERT_TRUE(small.ReportProgress(Office("区发展改革委"), r).ok());
  }
  watch.set_after_sequence((*live)->sequence());
  auto too_many = small.WatchTasks(kViewer, watch);
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(absl::StrContains(too_many.status().message(), "reload the board")) << too_many.status();

  // Changes no longer kept.
  ASSERT_TRUE(store_->PruneEvents(clock_.Now() + absl::Hours(1)).ok());
  auto pruned = tracker_->WatchTasks(kViewer, watch);
  EXPECT_EQ(pruned.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(absl::StrContains(pruned.status().message(), "no longer kept")) << pruned.status();
}

TEST_F(TaskLogicTest, SlowWatcherIsDisconnectedNotBlocking) {
  TrackerOptions options;
  options.watch_queue_capacity = 2;
  TaskLogic small(store_.get(), &units_, &clock_, nullptr, options);
  auto plan = small.ImportPlan(kAdmin, SmallPlan("w1", {Def("1", "甲", {"甲局"}, "2023-12-31")}));
  ASSERT_TRUE(plan.ok());
  auto sub = small.WatchTasks(kViewer, {});
  ASSERT_TRUE(sub.ok());
  v1::ReportProgressRequest r;
  r.set_task_id(TaskId(plan->plan().id(), "1"));
  for (int i = 0; i < 3; ++i) {
    r.set_percent(i);
    ASSERT_TRUE(small.ReportProgress(Office("甲局"), r).ok());
  }
  EXPECT_EQ((*sub)->Next(absl::Seconds(1)).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(TaskLogicTest, ExportIsCsvWithBom) {
  v1::Plan plan = ImportSeed();
  std::string csv;
  v1::ExportTasksRequest req;
  req.mutable_tasks()->set_plan_id(plan.id());
  ASSERT_TRUE(tracker_->ExportTasks(kViewer, req, [&](const std::string& c) {
    csv += c;
    return true;
  }).ok());
  ASSERT_TRUE(absl::StartsWith(csv, "\xEF\xBB\xBF"));
  std::vector<std::string> lines = absl::StrSplit(csv, "\r\n", absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 122u);  // header + 121 (no task text contains a line break)
  EXPECT_TRUE(absl::StrContains(lines[0], "任务内容"));
  EXPECT_TRUE(absl::StrContains(lines[1], "地区生产总值比上年增长4.5%以上"));

  csv.clear();
  v1::ExportTasksRequest ledger;
  ledger.mutable_ledger()->set_plan_id(plan.id());
  ASSERT_TRUE(tracker_->ExportTasks(kViewer, ledger, [&](const std::string& c) {
    csv += c;
    return true;
  }).ok());
  EXPECT_TRUE(absl::StrContains(csv, "区农业农村局,12,0,0,12,0,0.0"));
}

// ListTasksBytes (what the gRPC layer sends) assembles pages from the stored definitions; read back
// it must be the very answer ListTasks gives, for every kind of filter and across pages, including
// the indicator actual read from the stored definition.
TEST_F(TaskLogicTest, SerializedPagesEqualTheMessages) {
  v1::Plan plan = ImportSeed();
  ASSERT_TRUE(Report(Office("区财政局"), TaskId(plan.id(), "2"), 40).ok());
  std::vector<v1::TaskFilter> filters(8);
  filters[1].set_plan_id(plan.id());
  filters[2].set_unit("区发改委");  // an alias
  filters[3].set_unit("区农业农村局");
  filters[3].set_status(v1::TASK_STATUS_NOT_STARTED);
  filters[4].set_leader("常务副区长");
  filters[5].set_text("产业");
  filters[6].set_due_before("2023-06-30");
  filters[7].set_light(v1::LIGHT_GREEN);
  for (const v1::TaskFilter& filter : filters) {
    v1::ListTasksRequest req;
    *req.mutable_filter() = filter;
    req.mutable_page()->set_page_size(7);
    int pages = 0;
    while (true) {
      auto message = tracker_->ListTasks(kViewer, req);
      auto bytes = tracker_->ListTasksBytes(kViewer, req);
      ASSERT_TRUE(message.ok() && bytes.ok()) << filter.DebugString();
      v1::ListTasksResponse parsed;
      ASSERT_TRUE(parsed.ParseFromString(*bytes));
      // Field order differs (the definition is appended), so compare canonical serializations.
      ASSERT_EQ(parsed.SerializeAsString(), message->SerializeAsString()) << filter.DebugString();
      ++pages;
      if (message->next_page_token().empty()) break;
      req.mutable_page()->set_page_token(message->next_page_token());
    }
    EXPECT_GE(pages, 1);
  }
  v1::ListTasksRequest gdp;
  gdp.mutable_filter()->set_plan_id(plan.id());
  gdp.mutable_filter()->set_text("地区生产总值");
  v1::ListTasksResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(*tracker_->ListTasksBytes(kViewer, gdp)));
  ASSERT_GE(parsed.tasks_size(), 1);
  EXPECT_EQ(parsed.tasks(0).indicator_actual(), "增长5.2% (2023)");
  v1::ListTasksRequest bad;
  bad.mutable_page()->set_page_token("garbage");
  EXPECT_EQ(tracker_->ListTasksBytes(kViewer, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker_->ListTasksBytes(Identity{}, v1::ListTasksRequest()).status().code(),
            tracker_->ListTasks(Identity{}, v1::ListTasksRequest()).status().code());
}

}  // namespace
}  // namespace luoshi::tasks
