// TaskLogic's ledgers (GetLedger, with their cache) and due-task reminders (ListDueTasks).
#include <algorithm>
#include <utility>

#include "services/common/limits.h"
#include "services/common/status_macros.h"
#include "services/common/time.h"
#include "services/tasks/access.h"
#include "services/tasks/service.h"
#include "services/tasks/service_internal.h"

namespace luoshi::tasks {

using service_internal::CompletionRate;

// ---- Ledger cache ----------------------------------------------------------------------------

TaskLogic::LedgerGeneration TaskLogic::CurrentGeneration(const std::string& plan_id,
                                                             const std::string& today) {
  absl::MutexLock lock(&cache_mu_);
  LedgerGeneration g;
  g.epoch = epoch_;
  g.today = today;
  if (plan_id.empty()) {
    g.writes = all_writes_;
  } else {
    auto it = plan_writes_.find(plan_id);
    g.writes = it == plan_writes_.end() ? 0 : it->second;
  }
  return g;
}

void TaskLogic::NoteWrite(const std::string& plan_id, bool import) {
  absl::MutexLock lock(&cache_mu_);
  ++all_writes_;
  if (import) ++epoch_;
  ++plan_writes_[plan_id];
}

// ---- Ledgers and reminders ------------------------------------------------------------------

absl::StatusOr<v1::Ledger> TaskLogic::GetLedger(const Identity& who,
                                                  const v1::GetLedgerRequest& request) {
  LUOSHI_ASSIGN_OR_RETURN(std::shared_ptr<const CachedLedger> entry, LedgerEntry(who, request));
  return entry->ledger;
}

absl::StatusOr<std::shared_ptr<const std::string>> TaskLogic::GetLedgerBytes(
    const Identity& who, const v1::GetLedgerRequest& request) {
  LUOSHI_ASSIGN_OR_RETURN(std::shared_ptr<const CachedLedger> entry, LedgerEntry(who, request));
  return std::shared_ptr<const std::string>(entry, &entry->bytes);
}

absl::StatusOr<std::shared_ptr<const TaskLogic::CachedLedger>> TaskLogic::LedgerEntry(
    const Identity& who, const v1::GetLedgerRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  const v1::LedgerGrouping grouping = request.grouping() == v1::LEDGER_GROUPING_UNSPECIFIED
                                          ? v1::LEDGER_GROUPING_UNIT
                                          : request.grouping();
  const std::string today = TodayIso(clock_->Now(), options_.rules);
  const auto cache_key = std::make_pair(request.plan_id(), static_cast<int>(grouping));
  // Read the generation before the store: a write committed meanwhile makes this entry stale. The
  // store's counter comes first: a ledger read after it is at least as new as what it counts.
  LUOSHI_ASSIGN_OR_RETURN(const int64_t store_changes, store_->ChangeCounter());
  LedgerGeneration generation = CurrentGeneration(request.plan_id(), today);
  generation.store_changes = store_changes;
  {
    // An entry exists only for a plan that was found when it was built (plans are never deleted).
    absl::MutexLock lock(&cache_mu_);
    auto it = ledger_cache_.find(cache_key);
    if (it != ledger_cache_.end() && it->second.first == generation) return it->second.second;
  }
  if (!request.plan_id().empty()) LUOSHI_RETURN_IF_ERROR(store_->GetPlan(request.plan_id()).status());
  LUOSHI_ASSIGN_OR_RETURN(std::vector<LedgerCounts> counts,
                         store_->Ledger(request.plan_id(), grouping, today));
  std::sort(counts.begin(), counts.end(), [](const LedgerCounts& a, const LedgerCounts& b) {
    if (a.overdue != b.overdue) return a.overdue > b.overdue;
    return a.key < b.key;
  });
  auto entry = std::make_shared<CachedLedger>();
  v1::Ledger& ledger = entry->ledger;
  ledger.set_plan_id(request.plan_id());
  ledger.set_grouping(grouping);
  ledger.mutable_rows()->Reserve(static_cast<int>(counts.size()));
  for (LedgerCounts& c : counts) {
    v1::LedgerRow* row = ledger.add_rows();
    row->set_key(std::move(c.key));
    row->set_task_count(c.task_count);
    row->set_done(c.done);
    row->set_in_progress(c.in_progress);
    row->set_overdue(c.overdue);
    row->set_not_started(c.not_started);
    row->set_completion_rate(CompletionRate(c.done, c.task_count));
    if (c.last_report_at) *row->mutable_last_report_at() = ToTimestamp(*c.last_report_at);
    for (std::string& id : c.overdue_task_ids) row->add_overdue_task_ids(std::move(id));
  }
  if (!ledger.SerializeToString(&entry->bytes)) {
    return absl::InternalError("the ledger could not be serialized");
  }
  absl::MutexLock lock(&cache_mu_);
  if (ledger_cache_.size() > 10000) ledger_cache_.clear();
  ledger_cache_[cache_key] = {generation, entry};
  return std::shared_ptr<const CachedLedger>(std::move(entry));
}

absl::StatusOr<v1::ListDueTasksResponse> TaskLogic::ListDueTasks(
    const Identity& who, const v1::ListDueTasksRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  if (request.within_days() < 0) {
    return absl::InvalidArgumentError("within_days cannot be negative");
  }
  const int within = request.within_days() == 0 ? options_.default_due_within_days
                                                : request.within_days();
  v1::TaskFilter filter;
  filter.set_plan_id(request.plan_id());
  filter.set_unit(request.unit());
  LUOSHI_ASSIGN_OR_RETURN(TaskQuery base, QueryFromFilter(filter));
  base.limit = kMaxReminderRows;
  const absl::Time now = clock_->Now();
  const absl::CivilDay today = absl::ToCivilDay(now, options_.rules.zone);
  // Reminders go to offices, so tasks waiting for the supervisor's review are left out of
  // due_soon and without_report (they still count as overdue until accepted).
  const std::vector<v1::TaskStatus> open = {v1::TASK_STATUS_NOT_STARTED,
                                            v1::TASK_STATUS_IN_PROGRESS, v1::TASK_STATUS_RETURNED};
  v1::ListDueTasksResponse response;

  TaskQuery due = base;
  due.statuses = open;
  due.due_after = absl::FormatCivilTime(today);
  due.due_before = absl::FormatCivilTime(today + within);
  LUOSHI_ASSIGN_OR_RETURN(std::vector<StoredTask> rows, store_->QueryTasks(due));
  for (const StoredTask& t : rows) *response.add_due_soon() = ToProto(t);

  TaskQuery unreported = base;
  unreported.statuses = open;
  unreported.reported_before_period = PeriodOf(now, options_.rules);
  LUOSHI_ASSIGN_OR_RETURN(rows, store_->QueryTasks(unreported));
  for (const StoredTask& t : rows) *response.add_without_report() = ToProto(t);

  TaskQuery overdue = base;
  overdue.exclude_done = true;
  overdue.due_before = absl::FormatCivilTime(today - 1);
  LUOSHI_ASSIGN_OR_RETURN(rows, store_->QueryTasks(overdue));
  for (const StoredTask& t : rows) *response.add_overdue() = ToProto(t);
  return response;
}

}  // namespace luoshi::tasks
