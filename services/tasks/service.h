// TaskLogic: the task service's logic as a plain C++ class (no gRPC, no SQL).
//
// Layers, outermost first:
//   grpc_service.h  GrpcService — one line per RPC through the CallAdapter (services/common/adapter.h):
//                   the caller's identity from metadata, this class, the absl::Status mapped to gRPC.
//   service.h       TaskLogic — validates requests, enforces access.h, applies rules.h (status
//                   transitions, lights, periods), normalizes units (unit_directory.h), journals every change
//                   and stores its change event with it, fans stored events out to WatchTasks subscribers
//                   (broadcaster.h), decorates indicator-linked tasks (indicator_source.h).
//   store.h         TaskStore — persistence (sqlite_store.h today); atomic read-modify-write.
//
// A ReportProgress flows: GrpcService → CallAdapter::Caller → TaskLogic::ReportProgress (role check,
// request validation) → TaskStore::MutateTask, whose callback (inside the write transaction) checks the
// office's unit against the task, applies the status rule and returns state + report + journal + the
// TaskEvent → commit (the event is stored with the change, numbered in commit order) → PumpEvents: every
// stored event after the last one fanned out, in order, to TaskBroadcaster::Publish → reply with the task,
// light derived from the clock. Changes made by other replicas (PostgreSQL) reach PumpEvents through the
// store's listener (FollowOtherReplicas), so a watcher sees every replica's changes, each exactly once.
// WatchTasks with after_sequence replays the stored events a reconnecting watcher missed.
//
// Thread safety: all methods may be called concurrently; the class's own mutable state is the
// broadcaster and the ledger cache, each under its own mutex.
#ifndef LUOSHI_SERVICES_TASKS_SERVICE_H_
#define LUOSHI_SERVICES_TASKS_SERVICE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "luoshi/v1/tasks.pb.h"
#include "services/common/clock.h"
#include "services/common/identity.h"
#include "services/tasks/broadcaster.h"
#include "services/tasks/indicator_source.h"
#include "services/tasks/rules.h"
#include "services/tasks/store.h"
#include "services/tasks/unit_directory.h"

namespace luoshi::tasks {

struct TrackerOptions {
  RuleOptions rules;
  size_t watch_queue_capacity = 1024;
  // Open WatchTasks streams at once (--max_watchers); one more is RESOURCE_EXHAUSTED.
  int max_watchers = 1000;
  int default_due_within_days = 7;
  // How long change events stay stored for WatchTasks' resume token; older ones are pruned (about once
  // an hour, by the replica that fans events out), and a token older than that is OUT_OF_RANGE.
  absl::Duration event_retention = absl::Hours(24 * 7);
};

class TaskLogic {
 public:
  // `store`, `units` and `clock` must outlive the tracker; `indicators` may be null (no peer).
  TaskLogic(TaskStore* store, const UnitDirectory* units, const Clock* clock,
              IndicatorActuals* indicators, TrackerOptions options = {});

  absl::StatusOr<v1::ImportPlanResponse> ImportPlan(const Identity& who,
                                                    const v1::ImportPlanRequest& request);
  absl::StatusOr<v1::ListPlansResponse> ListPlans(const Identity& who,
                                                  const v1::ListPlansRequest& request);
  absl::StatusOr<v1::ListTasksResponse> ListTasks(const Identity& who,
                                                  const v1::ListTasksRequest& request);
  // The same answer already serialized (a v1::ListTasksResponse) for the gRPC layer: each task's
  // definition is copied as stored instead of being parsed and serialized again.
  absl::StatusOr<std::string> ListTasksBytes(const Identity& who,
                                             const v1::ListTasksRequest& request);
  absl::StatusOr<v1::TaskDetail> GetTask(const Identity& who, const v1::GetTaskRequest& request);
  absl::StatusOr<v1::ListUnitsResponse> ListUnits(const Identity& who,
                                                  const v1::ListUnitsRequest& request);
  absl::StatusOr<v1::Task> ReportProgress(const Identity& who,
                                          const v1::ReportProgressRequest& request);
  absl::StatusOr<v1::Task> ReviewTask(const Identity& who, const v1::ReviewTaskRequest& request);
  absl::StatusOr<v1::Ledger> GetLedger(const Identity& who, const v1::GetLedgerRequest& request);
  // The same ledger already serialized (a v1::Ledger message), shared with the cache: what the gRPC
  // layer sends as is, so a cached ledger costs neither a copy nor a serialization per call.
  absl::StatusOr<std::shared_ptr<const std::string>> GetLedgerBytes(
      const Identity& who, const v1::GetLedgerRequest& request);
  absl::StatusOr<v1::ListDueTasksResponse> ListDueTasks(const Identity& who,
                                                        const v1::ListDueTasksRequest& request);
  // A subscription delivering TaskEvents for tasks matching request.filter, from now on; with
  // request.after_sequence, first the stored ones after it (see tasks.proto).
  absl::StatusOr<std::unique_ptr<Subscription>> WatchTasks(const Identity& who,
                                                           const v1::WatchTasksRequest& request);
  // Writes the CSV (UTF-8 with BOM) to `sink` in chunks; stops early with CANCELLED when `sink`
  // returns false (the client went away).
  absl::Status ExportTasks(const Identity& who, const v1::ExportTasksRequest& request,
                           const std::function<bool(const std::string& chunk)>& sink);

  // Fans out the changes other processes write to the same database (replicas on PostgreSQL) as they
  // commit. UNAVAILABLE when the store's listener cannot start. Nothing to do on SQLite.
  absl::Status FollowOtherReplicas();
  // Publishes every stored change event after the last one published, in sequence order (each once).
  // Called after each local write and by the store's listener; a failed read is logged and retried by the
  // next call, which starts from the same place.
  void PumpEvents();

  // Ends every WatchTasks subscription (server shutdown) and stops following other replicas.
  void Shutdown();
  TaskBroadcaster& broadcaster() { return broadcaster_; }
  const RuleOptions& rules() const { return options_.rules; }

  // The task as clients see it: state plus light (at the clock's now) and indicator actual.
  v1::Task ToProto(const StoredTask& task) const;
  // The same into `out`, taking the definition out of `task` instead of copying it, with the light
  // judged at `clock` (one instant for a whole page).
  void FillTask(StoredTask&& task, const LightClock& clock, v1::Task* out) const;
  // Everything of FillTask but the definition; `deadline_date` and `indicator_id` are the
  // definition's.
  void FillTaskState(StoredTask& task, const LightClock& clock, const std::string& deadline_date,
                     const std::string& indicator_id, v1::Task* out) const;
  // Whether `task` matches `filter` (unit and leader compared after normalization).
  bool Matches(const v1::Task& task, const v1::TaskFilter& filter) const;

 private:
  absl::StatusOr<TaskQuery> QueryFromFilter(const v1::TaskFilter& filter) const;
  absl::StatusOr<v1::TaskDefinition> NormalizeDefinition(const v1::TaskDefinition& in) const;
  // The event of a change to `task` (its state then being `task.state`) made at `at`: the task as
  // clients see it, light as of `at`; the indicator actual is added when the event is published.
  v1::TaskEvent EventOf(StoredTask task, const std::string& action, absl::Time at) const;
  v1::TaskEvent EventAfter(const StoredTask& before, const TaskState& after, const std::string& action,
                           absl::Time at) const;
  // Adds what the event does not store (the indicator actual) before it is sent.
  void Decorate(StoredEvent& stored) const;
  void MaybePruneEvents() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pump_mu_);
  absl::StatusOr<v1::ImportPlanResponse> ImportOnce(const Identity& who,
                                                    const v1::ImportPlanRequest& request,
                                                    const std::string& plan_key);

  // Ledgers are cached per (plan, grouping) and reused while nothing in that plan changed and the
  // day is the same: boards poll ledgers far more often than offices report. Every committed write
  // bumps the plan's generation after the commit; an import bumps the epoch (tasks may move between
  // versions), and the all-plans ledger follows a counter of every write. Writes of other replicas on
  // the same database show in the store's ChangeCounter, read before each ledger.
  struct LedgerGeneration {
    uint64_t epoch = 0;
    uint64_t writes = 0;
    int64_t store_changes = 0;
    std::string today;
    bool operator==(const LedgerGeneration& o) const {
      return epoch == o.epoch && writes == o.writes && store_changes == o.store_changes && today == o.today;
    }
  };
  LedgerGeneration CurrentGeneration(const std::string& plan_id, const std::string& today);
  void NoteWrite(const std::string& plan_id, bool import);
  // A built ledger and its serialized form, immutable once cached.
  struct CachedLedger {
    v1::Ledger ledger;
    std::string bytes;
  };
  absl::StatusOr<std::shared_ptr<const CachedLedger>> LedgerEntry(const Identity& who,
                                                                  const v1::GetLedgerRequest& request);

  absl::Mutex cache_mu_;
  uint64_t epoch_ ABSL_GUARDED_BY(cache_mu_) = 0;
  uint64_t all_writes_ ABSL_GUARDED_BY(cache_mu_) = 0;
  std::map<std::string, uint64_t> plan_writes_ ABSL_GUARDED_BY(cache_mu_);
  std::map<std::pair<std::string, int>,
           std::pair<LedgerGeneration, std::shared_ptr<const CachedLedger>>>
      ledger_cache_ ABSL_GUARDED_BY(cache_mu_);

  TaskStore* store_;
  const UnitDirectory* units_;
  const Clock* clock_;
  IndicatorActuals* indicators_;
  TrackerOptions options_;
  TaskBroadcaster broadcaster_;

  // The fan-out of stored events: one at a time, so events are published in sequence order and once.
  absl::Mutex pump_mu_;
  int64_t pumped_through_ ABSL_GUARDED_BY(pump_mu_) = -1;  // -1: not known yet
  absl::Time last_prune_ ABSL_GUARDED_BY(pump_mu_) = absl::InfinitePast();
  // Last member: destroyed first, so no listener callback runs into a half-destroyed TaskLogic.
  std::unique_ptr<EventFollower> follower_;
};

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_SERVICE_H_
