// Storage of the task service: plans, tasks (definition + progress state), units, leaders, progress
// reports, reviews and the journal. The interface speaks in plain structs and luoshi.v1 messages so
// that a PostgreSQL implementation can replace the SQLite one (sqlite_store.h) without touching the
// service; no database types appear here.
//
// Rules belong to the caller (service.h): the store never decides a status or a light. It does keep
// every write atomic: MutateTask runs the caller's decision on the current state inside the write
// transaction, so a concurrent report cannot be lost between reading the old value and writing the
// new one, and the journal always agrees with the state.
//
// Errors: NOT_FOUND for unknown ids, ALREADY_EXISTS when a document was already imported,
// ABORTED when the plan version a caller built on is no longer current (retry), UNAVAILABLE when the
// database is busy beyond its timeout, INTERNAL for I/O failures. Errors returned by a caller's
// mutator are passed back unchanged and nothing is written.
//
// Thread safety: implementations are safe to call from many threads at once.
#ifndef LUOSHI_SERVICES_TASKS_STORE_H_
#define LUOSHI_SERVICES_TASKS_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "luoshi/v1/tasks.pb.h"

namespace luoshi::tasks {

// The progress half of a task: what reports and reviews change.
struct TaskState {
  v1::TaskStatus status = v1::TASK_STATUS_NOT_STARTED;
  int percent = 0;
  int percent_before_claim = 0;
  std::string stage;
  std::optional<absl::Time> last_report_at;
  std::string last_report_period;
  absl::Time updated_at;
  // Who sent the latest progress report (its reporter); read only for a task being changed
  // (TaskStore::MutateTask), empty elsewhere and when there is no report.
  std::string last_reporter;
};

struct StoredTask {
  std::string id;
  std::string plan_id;
  std::string region;          // of the plan, for indicator look-ups
  v1::TaskDefinition definition;  // unit names already canonical
  TaskState state;
  absl::Time assigned_at;      // first import (交办); kept across plan versions
  int64_t sort_key = 0;        // position in listings: plans in import order, tasks in plan order
  // Only from a query with TaskQuery::definition_bytes: `definition` stays empty and these hold the
  // stored (serialized) definition and its deadline date, for listings that send it as stored.
  std::string definition_bytes;
  std::string deadline_date;
  // Only from MutateTask with a RequestKey: true when the key had been recorded before, so this call
  // wrote nothing and the task is returned as it is now.
  bool replayed = false;
};

// A task of a new plan version: either new, or carried over from the previous version with its id,
// progress, reports and journal.
struct PlanTaskWrite {
  std::string carried_task_id;  // empty: a new task
  v1::TaskDefinition definition;
  // Journal entries for this task (task_id is filled in by the store for new tasks).
  std::vector<v1::JournalEntry> journal;
  // The change event stored with the import (task_events); the store fills in task.id and task.plan_id.
  std::optional<v1::TaskEvent> event;
};

struct PlanWrite {
  v1::Plan plan;                     // id, version and current are assigned by the store
  std::string document_sha256;
  std::string replaces_plan_id;      // the current version this one supersedes; empty for version 1
  std::vector<PlanTaskWrite> tasks;  // in plan order
  absl::Time at;
};

// What a mutation does to one task. The store assigns report/review ids and fills task ids.
struct TaskChange {
  TaskState state;
  std::optional<v1::ProgressReport> report;
  std::optional<v1::Review> review;
  std::vector<v1::JournalEntry> journal;
  // The change event stored in the same transaction (task_events), as WatchTasks sends it; its sequence is
  // assigned by the store.
  std::optional<v1::TaskEvent> event;
};
using TaskMutator = std::function<absl::StatusOr<TaskChange>(const StoredTask& current)>;

// An idempotency key: a client-chosen request id of one caller, recorded with the change it made
// (unique per caller), and what identifies the request it was first sent with.
struct RequestKey {
  std::string caller;       // who sent it; the same id from another caller is another request
  std::string request_id;   // as the client chose it (validated by the service)
  std::string kind;         // "report" or "review"
  std::string fingerprint;  // a digest of the request without its id
};

// Filters for QueryTasks; empty/unset fields do not filter. Unit and leader are exact canonical names.
struct TaskQuery {
  std::string plan_id;  // empty: tasks of every current plan version
  std::string unit;     // a responsible unit (lead or co-responsible)
  std::string leader;
  std::vector<v1::TaskStatus> statuses;  // any of
  std::string due_before;  // ISO date, inclusive
  std::string due_after;   // ISO date, inclusive
  std::string text;        // substring of the task text
  bool exclude_done = false;
  // Only tasks whose latest report period is before this one (or that never reported).
  std::string reported_before_period;
  int64_t after_sort_key = -1;  // keyset paging: rows with a larger sort key
  int limit = 50;
  // Leave definitions serialized (StoredTask::definition_bytes) instead of parsing them.
  bool definition_bytes = false;
};

struct LedgerCounts {
  std::string key;
  int task_count = 0;
  int done = 0;
  int in_progress = 0;  // in progress, completion claimed or returned
  int not_started = 0;
  int overdue = 0;      // deadline before `today` and not done
  std::optional<absl::Time> last_report_at;
  std::vector<std::string> overdue_task_ids;
};

// A page of a listing and the number of all matches, read in one snapshot.
struct TaskPage {
  std::vector<StoredTask> tasks;
  int total = 0;
};

// A stored change event (task_events): every WritePlan and every MutateTask that wrote appends one per
// task it changed, in its own transaction, so an event exists exactly when its change committed.
struct StoredEvent {
  v1::TaskEvent event;  // as written, with its sequence
  std::string region;   // of the task's plan (for the indicator actual shown beside an indicator target)
};

// Events after a sequence, and where the stored ones end.
struct EventBatch {
  std::vector<StoredEvent> events;  // ascending sequence
  int64_t newest = 0;               // the greatest sequence ever assigned and not yet pruned (0: none)
  int64_t pruned_through = 0;       // events up to this sequence were deleted by PruneEvents
};

// Told that other processes may have written events (see TaskStore::FollowOtherWriters). Destroying it
// stops the calls; no call runs after the destructor returns.
class EventFollower {
 public:
  virtual ~EventFollower() = default;
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // Writes a plan version with its tasks, units and leaders in one transaction. ALREADY_EXISTS when
  // a plan with the same document hash exists; ABORTED when replaces_plan_id is no longer the
  // current version of the plan key (or a current version exists and replaces_plan_id is empty).
  virtual absl::StatusOr<v1::Plan> WritePlan(const PlanWrite& write) = 0;
  virtual absl::StatusOr<std::optional<v1::Plan>> FindPlanByDocument(const std::string& sha256) = 0;
  virtual absl::StatusOr<std::optional<v1::Plan>> CurrentPlan(const std::string& plan_key) = 0;
  // NOT_FOUND for an unknown id.
  virtual absl::StatusOr<v1::Plan> GetPlan(const std::string& plan_id) = 0;
  virtual absl::StatusOr<std::vector<v1::Plan>> ListPlans() = 0;

  // NOT_FOUND for an unknown id.
  virtual absl::StatusOr<StoredTask> GetTask(const std::string& task_id) = 0;
  // Tasks ordered by sort key, at most query.limit of them.
  virtual absl::StatusOr<std::vector<StoredTask>> QueryTasks(const TaskQuery& query) = 0;
  // Number of tasks matching the query (ignoring after_sort_key and limit).
  virtual absl::StatusOr<int> CountTasks(const TaskQuery& query) = 0;
  // QueryTasks and CountTasks of the same query in one read transaction (consistent with each other).
  virtual absl::StatusOr<TaskPage> QueryTaskPage(const TaskQuery& query) = 0;
  // Tasks of one plan version (including tasks carried into later versions: no), in plan order.
  virtual absl::StatusOr<std::vector<StoredTask>> TasksOfPlan(const std::string& plan_id) = 0;

  // Reads the task, calls `mutator`, writes its change atomically and returns the task as written.
  //
  // With a key, the key is looked up and recorded in the same write transaction as the change, so
  // of concurrent calls with one key exactly one writes. A key recorded before for the same kind,
  // task and fingerprint: nothing is written, the mutator is not called, and the task is returned as
  // it is now with `replayed` set. A key recorded before for anything else: ALREADY_EXISTS
  // (RequestIdReused), nothing written. A mutator's error records no key, so a corrected request
  // may reuse it.
  virtual absl::StatusOr<StoredTask> MutateTask(const std::string& task_id, const TaskMutator& mutator,
                                                const std::optional<RequestKey>& key) = 0;
  absl::StatusOr<StoredTask> MutateTask(const std::string& task_id, const TaskMutator& mutator) {
    return MutateTask(task_id, mutator, std::nullopt);
  }

  // Newest first.
  virtual absl::StatusOr<std::vector<v1::ProgressReport>> ReportsOf(const std::string& task_id) = 0;
  virtual absl::StatusOr<std::vector<v1::Review>> ReviewsOf(const std::string& task_id) = 0;
  // Oldest first.
  virtual absl::StatusOr<std::vector<v1::JournalEntry>> JournalOf(const std::string& task_id) = 0;

  // Units and leaders that appear in any plan (canonical names), sorted.
  virtual absl::StatusOr<std::vector<std::string>> UnitNames() = 0;

  // Ledger counts of a plan (empty: every current plan) grouped by grouping; `today` is the ISO date
  // that decides overdue. Rows in no particular order.
  virtual absl::StatusOr<std::vector<LedgerCounts>> Ledger(const std::string& plan_id,
                                                          v1::LedgerGrouping grouping,
                                                          const std::string& today) = 0;

  // A number read from the database that grows with every committed WritePlan and every MutateTask that
  // wrote (a replay writes nothing), whichever process made it; read in one statement. TaskLogic keeps its
  // ledger cache while it is unchanged, so a replica sees what another replica wrote. A store that one
  // process alone writes (SQLite: one process owns the file) may return a constant, since TaskLogic
  // counts that process's own writes itself.
  virtual absl::StatusOr<int64_t> ChangeCounter() { return 0; }

  // Change events with a sequence greater than `after`, oldest first, at most `limit` (0: none, only
  // `newest` and `pruned_through`). Sequences are assigned in commit order: once a reader has seen
  // sequence s, no event with a smaller one commits later, so "after the last one I read" misses nothing.
  virtual absl::StatusOr<EventBatch> ReadEventsAfter(int64_t after, int limit) = 0;
  // Deletes the events recorded before `before` and raises pruned_through to the greatest deleted
  // sequence. Returns how many were deleted.
  virtual absl::StatusOr<int> PruneEvents(absl::Time before) = 0;
  // When other processes write to the same database (several replicas on PostgreSQL), calls `changed`
  // from a thread of its own after each of their commits that stored events, and after the notification
  // channel was lost and restored (events may have been missed meanwhile: read all after the last one
  // seen). nullptr when this process is the only writer (SQLite), whose writers read events themselves.
  virtual absl::StatusOr<std::unique_ptr<EventFollower>> FollowOtherWriters(std::function<void()> changed) {
    (void)changed;
    return nullptr;
  }
};

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_STORE_H_
