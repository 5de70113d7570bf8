// The PostgreSQL task store against a real server (tests/common/postgres_server.h), one database per test:
// what only PostgreSQL has to prove. Two replicas (two stores, each with its own connection pool) on one
// database mutate one task, import the next version of one plan and send one idempotency key at once; the
// reads the service issues use indexes; a newer schema is refused. The TaskStore contract itself runs on
// both backends in store_test.cc.
#include "services/tasks/postgres_store.h"

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "gtest/gtest.h"
#include "services/common/clock.h"
#include "services/common/identity.h"
#include "services/tasks/service.h"
#include "services/tasks/store_test_util.h"
#include "services/tasks/unit_directory.h"
#include "tests/common/postgres_server.h"

namespace luoshi::tasks {
namespace {

using testing::AddReport;
using testing::Key;
using testing::Plan;

class TaskPostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = luoshi::testing::SharedPostgres();
    ASSERT_TRUE(server.ok()) << server.status();
    auto uri = (*server)->CreateDatabase(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(uri.ok()) << uri.status();
    uri_ = *uri;
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
    replica_b_ = OpenStore();
    ASSERT_NE(replica_b_, nullptr);
    replicas_[0] = store_.get();
    replicas_[1] = replica_b_.get();
  }

  // Another replica's store on the same database.
  std::unique_ptr<PostgresTaskStore> OpenStore() {
    auto store = PostgresTaskStore::Open(uri_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // The one task of a first version of plan "key".
  std::string OneTask() {
    auto plan = store_->WritePlan(Plan("a", ""));
    EXPECT_TRUE(plan.ok()) << plan.status();
    if (!plan.ok()) return "";
    return (*store_->TasksOfPlan(plan->id()))[0].id;
  }

  // Runs `fn(i)` on `n` threads released together; i % 2 picks the replica.
  static void RunTogether(int n, const std::function<void(int)>& fn) {
    absl::Barrier* start = new absl::Barrier(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        if (start->Block()) delete start;
        fn(i);
      });
    }
    for (auto& t : threads) t.join();
  }

  std::string uri_;
  std::unique_ptr<PostgresTaskStore> store_;
  std::unique_ptr<PostgresTaskStore> replica_b_;
  PostgresTaskStore* replicas_[2] = {nullptr, nullptr};
};

// 16 reports at once on one task, 8 through each replica, each raising the percent by one from the state it
// is given: without the row lock two would read the same percent and one increment would be lost.
TEST_F(TaskPostgresStoreTest, ConcurrentMutationsOfOneTaskOnTwoReplicasLoseNoUpdate) {
  const std::string id = OneTask();
  ASSERT_FALSE(id.empty());
  constexpr int kCalls = 16;
  std::vector<absl::Status> results(kCalls);
  RunTogether(kCalls, [&](int i) {
    results[i] = replicas_[i % 2]
                     ->MutateTask(id, [](const StoredTask& t) { return AddReport(t, t.state.percent + 1); })
                     .status();
  });
  for (int i = 0; i < kCalls; ++i) EXPECT_TRUE(results[i].ok()) << "call " << i << ": " << results[i];

  auto task = replica_b_->GetTask(id);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->state.percent, kCalls) << "an increment was lost";
  auto reports = store_->ReportsOf(id);
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(static_cast<int>(reports->size()), kCalls);
  // Newest first: percents 16, 15, … 1, each report with its own id.
  std::set<std::string> ids;
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ((*reports)[i].percent(), kCalls - i);
    ids.insert((*reports)[i].id());
  }
  EXPECT_EQ(static_cast<int>(ids.size()), kCalls);
  // The journal is complete and each entry starts where the one before it ended.
  auto journal = store_->JournalOf(id);
  ASSERT_TRUE(journal.ok()) << journal.status();
  ASSERT_EQ(static_cast<int>(journal->size()), kCalls);
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ((*journal)[i].old_value(), std::to_string(i));
    EXPECT_EQ((*journal)[i].new_value(), std::to_string(i + 1));
  }
}

// What one replica writes raises the change counter the other reads (its ledger cache depends on it); reads,
// a replayed request and a refused mutation leave it as it is.
TEST_F(TaskPostgresStoreTest, ChangeCounterCountsWritesOfEveryReplica) {
  auto counter = [this] {
    absl::StatusOr<int64_t> n = store_->ChangeCounter();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  };
  const int64_t start = counter();
  auto plan = replica_b_->WritePlan(Plan("a", ""));
  ASSERT_TRUE(plan.ok()) << plan.status();
  const int64_t after_import = counter();
  EXPECT_GT(after_import, start) << "a plan imported on the other replica";
  const std::string id = (*replica_b_->TasksOfPlan(plan->id()))[0].id;

  const RequestKey key = Key("r1");
  auto report = [&](const StoredTask& t) { return AddReport(t, 10); };
  ASSERT_TRUE(replica_b_->MutateTask(id, report, key).ok());
  const int64_t after_report = counter();
  EXPECT_GT(after_report, after_import) << "a report made on the other replica";

  ASSERT_TRUE(replica_b_->GetTask(id).ok());
  ASSERT_TRUE(replica_b_->Ledger("", v1::LEDGER_GROUPING_UNIT, "2023-06-01").ok());
  auto replayed = replica_b_->MutateTask(id, report, key);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->replayed);
  EXPECT_FALSE(replica_b_
                   ->MutateTask(id, [](const StoredTask&) -> absl::StatusOr<TaskChange> {
                     return absl::FailedPreconditionError("refused");
                   })
                   .ok());
  EXPECT_EQ(counter(), after_report) << "nothing was written";
}

// Both replicas import the next version of one plan at the same moment, each built on the version that is
// current: one wins, the other is told to import again, and the key has exactly one current version. Round
// 0 races the first version of a new key (no row to lock: the partial unique index decides).
TEST_F(TaskPostgresStoreTest, ConcurrentImportsOfTheNextVersionOnTwoReplicasOneWins) {
  std::string current;
  for (int round = 0; round < 8; ++round) {
    std::vector<absl::StatusOr<v1::Plan>> results(2, absl::UnknownError("not run"));
    RunTogether(2, [&](int i) {
      PlanWrite w = Plan(absl::StrCat("doc-", round, "-", i), current);
      results[i] = replicas_[i]->WritePlan(w);
    });
    int won = 0;
    for (const auto& r : results) {
      if (r.ok()) {
        ++won;
        current = r->id();
        EXPECT_EQ(r->version(), round + 1);
      } else {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted) << r.status();
        EXPECT_NE(r.status().message().find("import again"), std::string::npos) << r.status();
      }
    }
    ASSERT_EQ(won, 1) << "round " << round;
  }
  auto plans = store_->ListPlans();
  ASSERT_TRUE(plans.ok()) << plans.status();
  ASSERT_EQ(plans->size(), 8u) << "a refused import must leave nothing behind";
  int current_count = 0;
  for (const v1::Plan& p : *plans) current_count += p.current() ? 1 : 0;
  EXPECT_EQ(current_count, 1);
  EXPECT_EQ(store_->CurrentPlan("key")->value().id(), current);
  // Every version's one task is there once; only the current version's counts as current.
  EXPECT_EQ(*store_->CountTasks(TaskQuery()), 1);
}

// One idempotency key sent through both replicas at once (16 calls): one writes, the others are replayed.
// The same key sent at once for two different tasks (different row locks, so the unique constraint decides):
// one writes, the other is refused as a reused request id.
TEST_F(TaskPostgresStoreTest, OneIdempotencyKeyOnTwoReplicasWritesOnce) {
  const std::string id = OneTask();
  ASSERT_FALSE(id.empty());
  constexpr int kCalls = 16;
  std::atomic<int> written{0}, replayed{0};
  std::vector<std::string> errors(kCalls);
  RunTogether(kCalls, [&](int i) {
    auto r = replicas_[i % 2]->MutateTask(
        id, [](const StoredTask& t) { return AddReport(t, 70); }, Key("same"));
    if (!r.ok()) {
      errors[i] = r.status().ToString();
    } else if (r->replayed) {
      ++replayed;
      EXPECT_EQ(r->state.percent, 70);
    } else {
      ++written;
    }
  });
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(errors[i], "") << "call " << i;
  EXPECT_EQ(written.load(), 1);
  EXPECT_EQ(replayed.load(), kCalls - 1);
  EXPECT_EQ(store_->ReportsOf(id)->size(), 1u);
  EXPECT_EQ(store_->JournalOf(id)->size(), 1u);

  PlanWrite other = Plan("b", "");
  other.plan.set_plan_key("other");
  auto plan2 = store_->WritePlan(other);
  ASSERT_TRUE(plan2.ok()) << plan2.status();
  const std::string other_task = (*store_->TasksOfPlan(plan2->id()))[0].id;
  for (int round = 0; round < 10; ++round) {
    const std::string key = absl::StrCat("two-tasks-", round);
    std::vector<absl::Status> results(2);
    RunTogether(2, [&](int i) {
      results[i] = replicas_[i]
                       ->MutateTask(
                           i == 0 ? id : other_task, [](const StoredTask& t) { return AddReport(t, 80); },
                           Key(key))
                       .status();
    });
    int ok = 0;
    for (const absl::Status& s : results) {
      if (s.ok()) {
        ++ok;
        continue;
      }
      EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
      EXPECT_NE(s.message().find(key), std::string::npos) << s;
    }
    EXPECT_EQ(ok, 1) << "round " << round;
  }
  EXPECT_EQ(store_->ReportsOf(id)->size() + store_->ReportsOf(other_task)->size(), 11u);
}

// Text search takes the text literally: LIKE's wildcards mean themselves.
// Replica A's watcher while A's LISTEN connection is cut: a change replica B commits in the gap (its NOTIFY
// lost) still reaches the watcher once the listener is back, since A then reads every event after the last
// one it sent; and nothing arrives twice.
TEST_F(TaskPostgresStoreTest, AWatcherMissesNothingWhileItsReplicasListenerIsCut) {
  const std::string task = OneTask();
  ASSERT_FALSE(task.empty());
  UnitDirectory units;
  FakeClock clock(absl::FromUnixSeconds(1700000200));
  TaskLogic replica_a(store_.get(), &units, &clock, nullptr);
  ASSERT_TRUE(replica_a.FollowOtherReplicas().ok());
  auto sub = replica_a.WatchTasks(Identity{"board", "", Role::kViewer}, {});
  ASSERT_TRUE(sub.ok()) << sub.status();
  auto next_percent = [&](absl::Duration wait) -> int {
    auto event = (*sub)->Next(wait);
    EXPECT_TRUE(event.ok()) << event.status();
    return event.ok() && event->has_value() ? (*event)->task().percent_complete() : -1;
  };

  ASSERT_TRUE(replica_b_->MutateTask(task, testing::ReportWithEvent(10)).ok());
  EXPECT_EQ(next_percent(absl::Seconds(10)), 10);

  auto lease = replica_b_->pool().Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  auto cut = (*lease)->Execute(
      "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
      "WHERE datname = current_database() AND query LIKE 'LISTEN%'");
  ASSERT_TRUE(cut.ok()) << cut.status();
  ASSERT_EQ(cut->rows(), 1) << "replica A's listener connection";
  ASSERT_TRUE(*cut->row(0).Bool(0));
  // Committed while A is not listening (it reconnects after a second).
  ASSERT_TRUE(replica_b_->MutateTask(task, testing::ReportWithEvent(20)).ok());
  EXPECT_EQ(next_percent(absl::Seconds(15)), 20) << "the change made while the listener was cut was lost";

  ASSERT_TRUE(replica_b_->MutateTask(task, testing::ReportWithEvent(30)).ok());
  EXPECT_EQ(next_percent(absl::Seconds(10)), 30);
  EXPECT_EQ(next_percent(absl::Milliseconds(200)), -1) << "a change arrived twice";
  replica_a.Shutdown();
}

TEST_F(TaskPostgresStoreTest, TextSearchIsASubstringNotAPattern) {
  PlanWrite w = Plan("a", "");
  w.tasks[0].definition.set_text("完成率100%_以上");
  ASSERT_TRUE(store_->WritePlan(w).ok());
  TaskQuery q;
  for (const auto& [text, matches] : std::vector<std::pair<std::string, int>>{
           {"100%_", 1}, {"%", 1}, {"完成%以上", 0}, {"率_", 0}, {"\\", 0}, {"'", 0}}) {
    q.text = text;
    auto count = store_->CountTasks(q);
    ASSERT_TRUE(count.ok()) << count.status();
    EXPECT_EQ(*count, matches) << text;
  }
}

TEST_F(TaskPostgresStoreTest, ReopeningKeepsDataAndANewerSchemaIsRefused) {
  const std::string id = OneTask();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(store_->schema_version(), static_cast<int>(PgTaskMigrations().size()));
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->GetTask(id)->definition.text(), "任务");

  std::vector<pg::Migration> more = PgTaskMigrations();
  more.push_back({static_cast<int>(more.size()) + 1, "CREATE TABLE future (x INTEGER);"});
  ASSERT_TRUE(pg::RunPgMigrations(store_->pool(), "tasks", more).ok());
  auto older_binary = PostgresTaskStore::Open(uri_);
  EXPECT_EQ(older_binary.status().code(), absl::StatusCode::kFailedPrecondition) << older_binary.status();
}

// The tables that grow with the data (tasks, their units and leaders) are read through indexes: never a
// scan of a whole table. The plans table is one row per imported document version (tens); the planner
// reads it whole when that is cheaper, which is fine.
void ExpectNoScanOfLargeTables(const std::string& name, const std::string& plan) {
  for (const char* table : {"Seq Scan on tasks", "Seq Scan on task_units", "Seq Scan on task_leaders"}) {
    EXPECT_EQ(plan.find(table), std::string::npos) << name << ":\n" << plan;
  }
  EXPECT_NE(plan.find("Index"), std::string::npos) << name << ":\n" << plan;
}

// On a few thousand tasks (30 plans of 100 tasks, 10 units, 5 leaders), the listings and ledgers the service
// issues use indexes. Listings over many rows read them in listing order (no sort of every match before the
// limit); for a few rows (one unit's tasks in one plan) the planner may sort what it found, which is as good.
TEST_F(TaskPostgresStoreTest, ReadsUseIndexes) {
  constexpr int kPlans = 30, kTasks = 100;
  std::vector<std::string> plan_ids;
  for (int p = 0; p < kPlans; ++p) {
    PlanWrite w = Plan(absl::StrCat("doc-", p), "");
    w.plan.set_plan_key(absl::StrCat("plan-", p));
    PlanTaskWrite proto = w.tasks[0];
    w.tasks.clear();
    for (int t = 0; t < kTasks; ++t) {
      PlanTaskWrite task = proto;
      task.definition.set_number(std::to_string(t + 1));
      task.definition.clear_responsible_units();
      task.definition.add_responsible_units(absl::StrCat("局", (p + t) % 10));
      task.definition.clear_lead_leaders();
      task.definition.add_lead_leaders(absl::StrCat("领导", t % 5));
      w.tasks.push_back(task);
    }
    auto plan = store_->WritePlan(w);
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan_ids.push_back(plan->id());
  }
  {
    auto lease = store_->pool().Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status();
    ASSERT_TRUE((*lease)->Exec("ANALYZE").ok());
  }
  struct Case {
    std::string name;
    TaskQuery query;
    bool sorted_by_index;  // must be read in order, without a sort
  };
  std::vector<Case> cases;
  cases.push_back({"plan", {}, true});
  cases.back().query.plan_id = plan_ids[7];
  cases.push_back({"unit", {}, true});
  cases.back().query.unit = "局3";
  cases.push_back({"unit in plan", {}, false});
  cases.back().query.unit = "局3";
  cases.back().query.plan_id = plan_ids[7];
  cases.push_back({"leader page", {}, true});
  cases.back().query.leader = "领导2";
  cases.back().query.after_sort_key = int64_t{1000000} * 12;
  cases.push_back({"current page", {}, true});
  cases.back().query.after_sort_key = int64_t{1000000} * 20;
  for (const Case& c : cases) {
    auto plan = store_->ExplainQueryTasks(c.query);
    ASSERT_TRUE(plan.ok()) << plan.status();
    ExpectNoScanOfLargeTables(c.name, *plan);
    if (c.sorted_by_index) EXPECT_EQ(plan->find("Sort"), std::string::npos) << c.name << ":\n" << *plan;
  }
  for (v1::LedgerGrouping grouping :
       {v1::LEDGER_GROUPING_UNIT, v1::LEDGER_GROUPING_LEADER, v1::LEDGER_GROUPING_SECTION}) {
    auto plan = store_->ExplainLedger(plan_ids[7], grouping, "2024-01-01");
    ASSERT_TRUE(plan.ok()) << plan.status();
    ExpectNoScanOfLargeTables(absl::StrCat("ledger ", grouping), *plan);
  }
}

}  // namespace
}  // namespace luoshi::tasks
