#include "services/tasks/service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/tasks/test_util.h"
#include "services/tasks/sqlite_store.h"

namespace luoshi::tasks {
namespace {

using ::luoshi::tasks::testing::kSeed004;
using ::luoshi::tasks::testing::PlanFromSeed;
using ::luoshi::tasks::testing::SourcePath;

absl::Time Cst(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), absl::FixedTimeZone(8 * 3600));
}

const Identity kAdmin{"root", "", Role::kAdmin};
const Identity kSupervisor{"督查室王敏", "区政府督查室", Role::kSupervisor};
const Identity kViewer{"观察员", "", Role::kViewer};
Identity Office(const std::string& unit) { return Identity{"经办人", unit, Role::kOffice}; }

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
