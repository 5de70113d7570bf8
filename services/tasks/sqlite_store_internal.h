// Internal to SqliteTaskStore: the row helpers (sqlite_store_rows.cc) its reads and writes share. The ids,
// times and sort-key space are also PostgresTaskStore's (postgres_store.cc), so both backends number alike.
#ifndef LUOSHI_SERVICES_TASKS_SQLITE_STORE_INTERNAL_H_
#define LUOSHI_SERVICES_TASKS_SQLITE_STORE_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/common/sqlite.h"
#include "services/tasks/store.h"

namespace luoshi::tasks::sqlite_store_internal {

// Sort keys are plan_seq * kTasksPerPlanKeySpace + position, so a plan's tasks are one key range.
constexpr int64_t kTasksPerPlanKeySpace = 1000000;

int64_t Micros(absl::Time t);
absl::Time FromMicros(int64_t us);

std::string Id(char prefix, int64_t seq);

// "T42" → 42; nullopt for anything else.
std::optional<int64_t> SeqOf(const std::string& id, char prefix);

const char kPlanColumns[] =
    "seq, plan_key, version, title, year, region, document_id, task_count, imported_at, current";

v1::Plan PlanFromRow(const sql::Statement& st);

const char kTaskColumns[] =
    "t.seq, t.plan_seq, p.region, t.definition, t.status, t.percent, t.percent_before_claim, "
    "t.stage, t.last_report_at, t.last_report_period, t.updated_at, t.assigned_at, t.sort_key, "
    "t.deadline_date";
const char kTaskFrom[] = " FROM tasks t JOIN plans p ON p.seq = t.plan_seq";

// `definition_bytes`: keep the definition as stored (see TaskQuery::definition_bytes).
absl::StatusOr<StoredTask> TaskFromRow(const sql::Statement& st, bool definition_bytes = false);

absl::StatusOr<std::vector<StoredTask>> CollectTasks(sql::Statement& st, bool definition_bytes = false,
                                                     size_t expected = 0);

absl::StatusOr<std::optional<v1::Plan>> QueryOnePlan(sql::Connection& c, const std::string& where,
                                                     const std::string& arg);

absl::StatusOr<std::optional<StoredTask>> LoadTask(sql::Connection& c, int64_t seq);

// A task_events row: its sequence, the serialized TaskEvent as written and the plan's region. INTERNAL when
// the bytes do not parse (a damaged row: the store's fault, not the caller's).
absl::StatusOr<StoredEvent> EventFromRow(int64_t seq, const std::string& event_bytes, std::string region);

}  // namespace luoshi::tasks::sqlite_store_internal

#endif  // LUOSHI_SERVICES_TASKS_SQLITE_STORE_INTERNAL_H_
