// TaskStore on an embedded SQLite file (services/common/sqlite.h: WAL, one writer, reader pool).
// Schema: numbered migrations in sqlite_store.cc (kMigrations). Ids are readable: plans "P<n>",
// tasks "T<n>", reports "R<n>", reviews "V<n>".
#ifndef LUOSHI_SERVICES_TASKS_SQLITE_STORE_H_
#define LUOSHI_SERVICES_TASKS_SQLITE_STORE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/common/sqlite.h"
#include "services/tasks/store.h"

namespace luoshi::tasks {

class SqliteTaskStore final : public TaskStore {
 public:
  // The settings the service runs with: the database file memory-mapped for the readers (a board's
  // reads touch pages all over the tasks table; mapped pages are read without a system call and a
  // copy each; the writer never maps, see sql::DatabaseOptions).
  static sql::DatabaseOptions DefaultOptions();
  // Opens or creates the database at `path` and applies pending migrations.
  static absl::StatusOr<std::unique_ptr<SqliteTaskStore>> Open(
      const std::string& path, sql::DatabaseOptions options = DefaultOptions());
  static const std::vector<sql::Migration>& Migrations();

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
  absl::StatusOr<std::vector<LedgerCounts>> Ledger(const std::string& plan_id,
                                                  v1::LedgerGrouping grouping,
                                                  const std::string& today) override;
  absl::StatusOr<EventBatch> ReadEventsAfter(int64_t after, int limit) override;
  absl::StatusOr<int> PruneEvents(absl::Time before) override;

  // MutateTask commits in groups: while one transaction is being written, concurrent callers queue
  // up and the next of them commits the whole queue in a single transaction (one fsync), each
  // mutation isolated by a savepoint. Callers still return only after their own change is durable.
  //
  // Several mutations in one transaction (one durable commit), each isolated by a savepoint: a
  // mutator's error skips only its own task. Used to group concurrent reports into one commit and by
  // the benchmark to preload history. results[i] answers mutations[i]. Keys as in MutateTask: a
  // key recorded by an earlier mutation of the same batch makes a later one a replay.
  struct Mutation {
    std::string task_id;
    TaskMutator mutator;
    std::optional<RequestKey> key;
  };
  std::vector<absl::StatusOr<StoredTask>> MutateTasks(const std::vector<Mutation>& mutations);

 private:
  explicit SqliteTaskStore(std::unique_ptr<sql::Database> db) : db_(std::move(db)) {}

  struct PendingMutation {
    const std::string* task_id;
    const TaskMutator* mutator;
    const std::optional<RequestKey>* key;
    absl::StatusOr<StoredTask> result = absl::InternalError("not attempted");
    bool done = false;
  };

  std::unique_ptr<sql::Database> db_;
  absl::Mutex group_mu_;
  std::vector<PendingMutation*> queued_ ABSL_GUARDED_BY(group_mu_);
  bool committing_ ABSL_GUARDED_BY(group_mu_) = false;
};

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_SQLITE_STORE_H_
