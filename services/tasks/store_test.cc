// The TaskStore contract, run on every storage backend (services/common/store_testing.h): plans and
// their versions, atomic mutations, idempotency keys, persistence. SQLite-only cases (batched
// mutations, migrations of older files) are in sqlite_store_test.cc, PostgreSQL-only ones (replicas, query
// plans) in postgres_store_test.cc.
#include "services/tasks/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "services/common/store_testing.h"
#include "services/tasks/open_store.h"
#include "services/tasks/store_test_util.h"

namespace luoshi::tasks {
namespace {

using testing::AddReport;
using testing::EventAt;
using testing::Key;
using testing::Plan;
using testing::ReportWithEvent;
using testing::SetStatus;
using testing::StaleListingCopies;

class TaskStoreTest : public store_testing::StoreTest<TaskStore, &OpenTaskStore> {
 protected:
  // The listing copies a SQLite store keeps (StaleListingCopies) agree with their tasks. Other backends
  // keep no such copies: nothing to check.
  void ExpectListingCopiesCurrent() {
    if (scratch_->location().is_sqlite()) {
      EXPECT_EQ(StaleListingCopies(scratch_->location().sqlite_path()), 0);
    }
  }
};

TEST_P(TaskStoreTest, PlansSurviveReopen) {
  auto plan = store_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto plans = store_->ListPlans();
  ASSERT_TRUE(plans.ok());
  ASSERT_EQ(plans->size(), 1u);
  EXPECT_EQ((*plans)[0].id(), plan->id());
}

TEST_P(TaskStoreTest, ListingCopiesFollowEveryWrite) {
  auto v1_plan = store_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(v1_plan.ok());
  const std::string id = (*store_->TasksOfPlan(v1_plan->id()))[0].id;
  ExpectListingCopiesCurrent();
  ASSERT_TRUE(
      store_->MutateTask(id, [](const StoredTask& t) { return SetStatus(t, v1::TASK_STATUS_IN_PROGRESS); })
          .ok());
  ExpectListingCopiesCurrent();

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
  ExpectListingCopiesCurrent();
  ASSERT_TRUE(
      store_
          ->MutateTask(id,
                       [](const StoredTask& t) { return SetStatus(t, v1::TASK_STATUS_COMPLETION_CLAIMED); })
          .ok());
  ExpectListingCopiesCurrent();

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

// Pages through a listing as ListTasks does: each page's total counts every match whatever the cursor,
// an empty page past the end still has it, and filters on top of the unit or leader that drives the query
// apply to pages and total alike.
TEST_P(TaskStoreTest, PagesCarryTheTotalOfAllMatchesWhateverTheCursor) {
  PlanWrite write = Plan("paged", "");
  for (int i = 2; i <= 7; ++i) {
    PlanTaskWrite t = write.tasks[0];
    t.definition.set_number(std::to_string(i));
    t.definition.set_text(i % 2 == 0 ? "偶数任务" : "奇数任务");
    if (i > 4) t.definition.set_lead_leaders(0, "李四");
    write.tasks.push_back(t);
  }
  auto plan = store_->WritePlan(write);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::vector<StoredTask> all = *store_->TasksOfPlan(plan->id());
  ASSERT_EQ(all.size(), 7u);

  for (const bool by_unit : {false, true}) {
    SCOPED_TRACE(by_unit ? "driven by the unit" : "driven by the plan");
    TaskQuery q;
    q.plan_id = plan->id();
    if (by_unit) q.unit = "甲局";
    q.limit = 3;
    std::vector<std::string> seen;
    for (int round = 0; round < 4; ++round) {
      auto page = store_->QueryTaskPage(q);
      ASSERT_TRUE(page.ok()) << page.status();
      EXPECT_EQ(page->total, 7);
      EXPECT_EQ(page->tasks.size(), std::min<size_t>(3, 7 - seen.size()));
      for (const StoredTask& t : page->tasks) seen.push_back(t.id);
      if (page->tasks.empty()) break;
      q.after_sort_key = page->tasks.back().sort_key;
    }
    std::vector<std::string> in_order;
    for (const StoredTask& t : all) in_order.push_back(t.id);
    EXPECT_EQ(seen, in_order);
  }

  TaskQuery odd;
  odd.leader = "李四";  // tasks 5, 6, 7
  odd.text = "奇数";
  odd.limit = 1;
  auto first = store_->QueryTaskPage(odd);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->total, 2);
  ASSERT_EQ(first->tasks.size(), 1u);
  EXPECT_EQ(first->tasks[0].definition.number(), "5");
  odd.after_sort_key = first->tasks[0].sort_key;
  auto second = store_->QueryTaskPage(odd);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->total, 2);
  ASSERT_EQ(second->tasks.size(), 1u);
  EXPECT_EQ(second->tasks[0].definition.number(), "7");

  TaskQuery none;
  none.unit = "没有这个单位";
  auto empty = store_->QueryTaskPage(none);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->total, 0);
  EXPECT_TRUE(empty->tasks.empty());
}

TEST_P(TaskStoreTest, DuplicateDocumentAndStaleVersionAreRefused) {
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

TEST_P(TaskStoreTest, MutationIsAtomicAndErrorsWriteNothing) {
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

// ---- Idempotency keys ----------------------------------------------------------------------

TEST_P(TaskStoreTest, KeyedReportRetriedWritesNothingAndAnswersTheTaskAsItIsNow) {
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

TEST_P(TaskStoreTest, KeyReusedForAnotherRequestIsRefused) {
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

TEST_P(TaskStoreTest, RefusedChangeRecordsNoKey) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  auto refused = store_->MutateTask(
      id, [](const StoredTask&) -> absl::StatusOr<TaskChange> { return absl::FailedPreconditionError("no"); },
      Key("r-1"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  auto later = store_->MutateTask(
      id, [](const StoredTask& t) { return AddReport(t, 10); }, Key("r-1"));
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_FALSE(later->replayed);
  EXPECT_EQ(store_->ReportsOf(id)->size(), 1u);
}

TEST_P(TaskStoreTest, ConcurrentRetriesOfOneKeyWriteOneReport) {
  auto plan = store_->WritePlan(Plan("a", ""));
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  constexpr int kThreads = 16;
  std::atomic<int> written{0}, replayed{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto r = store_->MutateTask(
          id, [](const StoredTask& t) { return AddReport(t, 70); }, Key("same"));
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

// ---- Change events (WatchTasks) -----------------------------------------------------------------------

TEST_P(TaskStoreTest, EventsAreNumberedInOrderAndReadAfterASequence) {
  auto empty = store_->ReadEventsAfter(0, 10);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->events.empty());
  EXPECT_EQ(empty->newest, 0);

  PlanWrite write = Plan("a", "");
  write.tasks[0].event = EventAt("import", write.at);
  auto plan = store_->WritePlan(write);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  ASSERT_TRUE(store_->MutateTask(id, ReportWithEvent(10)).ok());
  ASSERT_TRUE(store_->MutateTask(id, ReportWithEvent(20), Key("r-1")).ok());
  // A replay writes nothing, so it stores no event.
  ASSERT_TRUE(store_->MutateTask(id, ReportWithEvent(20), Key("r-1"))->replayed);

  auto all = store_->ReadEventsAfter(0, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->events.size(), 3u);
  std::vector<std::string> actions;
  for (size_t i = 0; i < all->events.size(); ++i) {
    const v1::TaskEvent& e = all->events[i].event;
    actions.push_back(e.action());
    EXPECT_EQ(e.task().id(), id);  // the store filled in the imported task's id and plan
    EXPECT_EQ(all->events[i].region, "大兴区");
    if (i > 0) EXPECT_GT(e.sequence(), all->events[i - 1].event.sequence());
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"import", "report", "report"}));
  EXPECT_EQ(all->events[0].event.task().plan_id(), plan->id());
  EXPECT_EQ(all->events[2].event.task().percent_complete(), 20);
  EXPECT_EQ(all->newest, all->events[2].event.sequence());
  EXPECT_EQ(all->pruned_through, 0);

  auto after_first = store_->ReadEventsAfter(all->events[0].event.sequence(), 1);
  ASSERT_TRUE(after_first.ok());
  ASSERT_EQ(after_first->events.size(), 1u);  // the limit
  EXPECT_EQ(after_first->events[0].event.sequence(), all->events[1].event.sequence());
  EXPECT_EQ(after_first->newest, all->newest);
  auto ends_only = store_->ReadEventsAfter(0, 0);
  ASSERT_TRUE(ends_only.ok());
  EXPECT_TRUE(ends_only->events.empty());
  EXPECT_EQ(ends_only->newest, all->newest);
  EXPECT_TRUE(store_->ReadEventsAfter(all->newest, 10)->events.empty());

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store_->ReadEventsAfter(0, 10)->events.size(), 3u);
}

TEST_P(TaskStoreTest, AWriteThatFailsStoresNoEvent) {
  PlanWrite write = Plan("a", "");
  write.tasks[0].event = EventAt("import", write.at);
  auto plan = store_->WritePlan(write);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  const int64_t newest = store_->ReadEventsAfter(0, 0)->newest;

  // The mutator refuses.
  EXPECT_FALSE(store_->MutateTask(id, [](const StoredTask&) -> absl::StatusOr<TaskChange> {
                      return absl::FailedPreconditionError("no");
                    }).ok());
  // A plan version whose first task (with its event) is written before the second fails: the whole
  // transaction goes, events included.
  PlanWrite next = Plan("b", plan->id());
  next.tasks[0].event = EventAt("import", next.at);
  PlanTaskWrite missing = next.tasks[0];
  missing.carried_task_id = "T999";
  next.tasks.push_back(missing);
  EXPECT_EQ(store_->WritePlan(next).status().code(), absl::StatusCode::kNotFound);
  // A duplicate document.
  EXPECT_EQ(store_->WritePlan(write).status().code(), absl::StatusCode::kAlreadyExists);

  auto after = store_->ReadEventsAfter(newest, 10);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->events.empty());
  // The next event that commits follows the last one.
  ASSERT_TRUE(store_->MutateTask(id, ReportWithEvent(5)).ok());
  after = store_->ReadEventsAfter(newest, 10);
  ASSERT_EQ(after->events.size(), 1u);
  EXPECT_GT(after->events[0].event.sequence(), newest);
}

TEST_P(TaskStoreTest, PrunedEventsAreGoneAndTheirSequencesNeverReturn) {
  PlanWrite write = Plan("a", "");
  write.tasks[0].event = EventAt("import", write.at);  // 1700000000
  auto plan = store_->WritePlan(write);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string id = (*store_->TasksOfPlan(plan->id()))[0].id;
  ASSERT_TRUE(store_->MutateTask(id, ReportWithEvent(10)).ok());  // at 1700000100
  const auto before = store_->ReadEventsAfter(0, 10);
  ASSERT_EQ(before->events.size(), 2u);

  EXPECT_EQ(*store_->PruneEvents(absl::FromUnixSeconds(1700000000)), 0);  // nothing older
  EXPECT_EQ(*store_->PruneEvents(absl::FromUnixSeconds(1700000050)), 1);
  auto kept = store_->ReadEventsAfter(0, 10);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->events.size(), 1u);
  EXPECT_EQ(kept->events[0].event.action(), "report");
  EXPECT_EQ(kept->pruned_through, before->events[0].event.sequence());

  // Everything pruned: the newest sequence stays, and the next event gets a greater one.
  EXPECT_EQ(*store_->PruneEvents(absl::FromUnixSeconds(1800000000)), 1);
  auto none = store_->ReadEventsAfter(0, 10);
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->newest, before->newest);
  EXPECT_EQ(none->pruned_through, before->newest);
  ASSERT_TRUE(store_->MutateTask(id, ReportWithEvent(30)).ok());
  auto next = store_->ReadEventsAfter(0, 10);
  ASSERT_EQ(next->events.size(), 1u);
  EXPECT_GT(next->events[0].event.sequence(), before->newest);
}

// Every backend: SQLite and PostgreSQL.
INSTANTIATE_TEST_SUITE_P(Backends, TaskStoreTest, ::testing::ValuesIn(store_testing::StoreBackends()),
                         store_testing::BackendName);

}  // namespace
}  // namespace luoshi::tasks
