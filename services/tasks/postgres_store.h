// TaskStore on PostgreSQL (issue 23), through the shared libpq layer (services/common/postgres.h), for
// deployments that run several replicas of the task service on one database.
//
// Schema (migrations in postgres_store.cc, numbered like the SQLite ones, applied at open under
// RunPgMigrations' advisory lock as service "tasks"): the tables of the SQLite store (sqlite_store.cc) with
// the same meaning and the same readable ids ("P<n>", "T<n>", "R<n>", "V<n>" from identity columns), and
// the same sort keys (plan seq · 1 000 000 + position). task_units and task_leaders carry a copy of their
// task's sort key (rewritten with the rows on every import), so a listing by unit or leader walks an index
// in listing order; status and the current-version flag stay on the task row only.
//
// What SQLite's single writer gave for free is explicit here:
// - MutateTask locks the task row (SELECT … FOR UPDATE) and reads it, its idempotency key and its latest
//   reporter after the lock, then writes the change in the same READ COMMITTED transaction: concurrent
//   mutations of one task on any replica queue on the row, none is lost.
// - WritePlan is one transaction that locks the plan key's current row (FOR UPDATE) before comparing it
//   with replaces_plan_id; a partial unique index (one current version per plan key) covers the first
//   version, which has no row to lock. A racing import gets ABORTED.
// - Idempotency keys are a unique constraint on (caller, request_id).
// - Every transaction that writes raises the one-row counter task_changes, so that each replica can
//   tell (ChangeCounter) that another one changed something it caches, then, under that row's lock, appends
//   its change events to task_events (sequences in commit order) and NOTIFYs luoshi_task_events, which
//   every replica LISTENs on (FollowOtherWriters) to fan the events out to its WatchTasks streams.
// A unique violation from a concurrent writer reruns the transaction once it committed, which then answers
// as if the two requests had come one after the other (replayed, ALREADY_EXISTS or ABORTED). Because a
// transaction may run more than once, a TaskMutator may be called more than once for one MutateTask; the
// service's mutators are decisions on the state they are given and have no other effect.
//
// Reads: one statement on a pooled connection, or (QueryTaskPage) two in one REPEATABLE READ snapshot;
// SQL texts depend only on which filters are present, values are always parameters (text search uses
// strpos, no LIKE patterns).
//
// Thread safety: as TaskStore; the connection pool is shared by all calls.
#ifndef LUOSHI_SERVICES_TASKS_POSTGRES_STORE_H_
#define LUOSHI_SERVICES_TASKS_POSTGRES_STORE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/postgres.h"
#include "services/tasks/store.h"

namespace luoshi::tasks {

// The schema's numbered migrations (exposed for migration tests).
const std::vector<pg::Migration>& PgTaskMigrations();

class PostgresTaskStore final : public TaskStore {
 public:
  // The pool the service runs with: 8 connections (reads and mutations of different tasks run at once).
  static pg::PoolOptions DefaultPoolOptions();
  // Connects to `uri` (a libpq connection URI) and brings the schema up to date. INVALID_ARGUMENT for a
  // malformed URI, UNAVAILABLE when the server cannot be reached, FAILED_PRECONDITION when the database was
  // migrated by a newer Luoshi, INTERNAL when a migration fails.
  static absl::StatusOr<std::unique_ptr<PostgresTaskStore>> Open(const std::string& uri,
                                                                 pg::PoolOptions options = DefaultPoolOptions());

  absl::StatusOr<v1::Plan> WritePlan(const PlanWrite& write) override;
  absl::StatusOr<std::optional<v1::Plan>> FindPlanByDocument(const std::string& sha256) override;
  absl::StatusOr<std::optional<v1::Plan>> CurrentPlan(const std::string& plan_key) override;
  absl::StatusOr<v1::Plan> GetPlan(const std::string& plan_id) override;
  absl::StatusOr<std::vector<v1::Plan>> ListPlans() override;
  absl::StatusOr<StoredTask> GetTask(const std::string& task_id) override;
  absl::StatusOr<std::vector<StoredTask>> QueryTasks(const TaskQuery& query) override;
  absl::StatusOr<int> CountTasks(const TaskQuery& query) override;
  absl::StatusOr<TaskPage> QueryTaskPage(const TaskQuery& query) override;
  absl::StatusOr<std::vector<StoredTask>> TasksOfPlan(const std::string& plan_id) override;
  using TaskStore::MutateTask;
  absl::StatusOr<StoredTask> MutateTask(const std::string& task_id, const TaskMutator& mutator,
                                        const std::optional<RequestKey>& key) override;
  absl::StatusOr<std::vector<v1::ProgressReport>> ReportsOf(const std::string& task_id) override;
  absl::StatusOr<std::vector<v1::Review>> ReviewsOf(const std::string& task_id) override;
  absl::StatusOr<std::vector<v1::JournalEntry>> JournalOf(const std::string& task_id) override;
  absl::StatusOr<std::vector<std::string>> UnitNames() override;
  absl::StatusOr<std::vector<LedgerCounts>> Ledger(const std::string& plan_id, v1::LedgerGrouping grouping,
                                                  const std::string& today) override;
  // task_changes' counter: every write transaction raises it just before COMMIT (migration 2).
  absl::StatusOr<int64_t> ChangeCounter() override;
  absl::StatusOr<EventBatch> ReadEventsAfter(int64_t after, int limit) override;
  absl::StatusOr<int> PruneEvents(absl::Time before) override;
  // A PgListener on the channel luoshi_task_events (its own connection), which every write transaction
  // notifies on commit; `changed` also runs after the listener reconnected.
  absl::StatusOr<std::unique_ptr<EventFollower>> FollowOtherWriters(std::function<void()> changed) override;

  // The plans PostgreSQL chooses (EXPLAIN's text) for QueryTasks and Ledger with these arguments, for tests
  // and for an operator wondering why a read is slow.
  absl::StatusOr<std::string> ExplainQueryTasks(const TaskQuery& query);
  absl::StatusOr<std::string> ExplainLedger(const std::string& plan_id, v1::LedgerGrouping grouping,
                                            const std::string& today);

  int schema_version() const { return schema_version_; }
  pg::PgPool& pool() { return *pool_; }

 private:
  PostgresTaskStore(std::string uri, std::unique_ptr<pg::PgPool> pool, int schema_version)
      : uri_(std::move(uri)), pool_(std::move(pool)), schema_version_(schema_version) {}
  const std::string uri_;  // for the listener's own connection
  std::unique_ptr<pg::PgPool> pool_;
  int schema_version_;
};

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_POSTGRES_STORE_H_
