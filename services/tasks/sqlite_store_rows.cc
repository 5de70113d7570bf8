// SqliteTaskStore's rows: ids ("T42"), times (Unix microseconds) and plan and task rows to messages.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/time.h"
#include "services/common/status_macros.h"
#include "services/tasks/sqlite_store_internal.h"

namespace luoshi::tasks::sqlite_store_internal {

using sql::Connection;
using sql::Statement;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }


std::string Id(char prefix, int64_t seq) { return absl::StrCat(std::string(1, prefix), seq); }

// "T42" → 42; nullopt for anything else.
std::optional<int64_t> SeqOf(const std::string& id, char prefix) {
  int64_t seq = 0;
  if (id.size() < 2 || id[0] != prefix || !absl::SimpleAtoi(id.substr(1), &seq) || seq <= 0) {
    return std::nullopt;
  }
  return seq;
}

v1::Plan PlanFromRow(const Statement& st) {
  v1::Plan p;
  p.set_id(Id('P', st.ColumnInt(0)));
  p.set_plan_key(st.ColumnText(1));
  p.set_version(static_cast<int>(st.ColumnInt(2)));
  p.set_title(st.ColumnText(3));
  p.set_year(static_cast<int>(st.ColumnInt(4)));
  p.set_region(st.ColumnText(5));
  p.set_document_id(st.ColumnText(6));
  p.set_task_count(static_cast<int>(st.ColumnInt(7)));
  *p.mutable_imported_at() = ToTimestamp(FromMicros(st.ColumnInt(8)));
  p.set_current(st.ColumnInt(9) != 0);
  return p;
}

// `definition_bytes`: keep the definition as stored (see TaskQuery::definition_bytes).
absl::StatusOr<StoredTask> TaskFromRow(const Statement& st, bool definition_bytes) {
  StoredTask t;
  t.id = Id('T', st.ColumnInt(0));
  t.plan_id = Id('P', st.ColumnInt(1));
  t.region = st.ColumnText(2);
  const auto [bytes, size] = st.ColumnBytes(3);
  if (definition_bytes) {
    t.definition_bytes.assign(bytes, size);
    t.deadline_date = st.ColumnText(13);
  } else if (!t.definition.ParseFromArray(bytes, static_cast<int>(size))) {
    return absl::InternalError(absl::StrCat("stored definition of task ", t.id, " is corrupt"));
  }
  t.state.status = static_cast<v1::TaskStatus>(st.ColumnInt(4));
  t.state.percent = static_cast<int>(st.ColumnInt(5));
  t.state.percent_before_claim = static_cast<int>(st.ColumnInt(6));
  t.state.stage = st.ColumnText(7);
  if (!st.ColumnIsNull(8)) t.state.last_report_at = FromMicros(st.ColumnInt(8));
  t.state.last_report_period = st.ColumnText(9);
  t.state.updated_at = FromMicros(st.ColumnInt(10));
  t.assigned_at = FromMicros(st.ColumnInt(11));
  t.sort_key = st.ColumnInt(12);
  return t;
}

absl::StatusOr<std::vector<StoredTask>> CollectTasks(Statement& st, bool definition_bytes,
                                                     size_t expected) {
  std::vector<StoredTask> out;
  out.reserve(expected);
  while (true) {
    LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    LUOSHI_ASSIGN_OR_RETURN(StoredTask t, TaskFromRow(st, definition_bytes));
    out.push_back(std::move(t));
  }
  return out;
}

absl::StatusOr<std::optional<v1::Plan>> QueryOnePlan(Connection& c, const std::string& where,
                                                     const std::string& arg) {
  LUOSHI_ASSIGN_OR_RETURN(Statement st,
                         c.Prepare(absl::StrCat("SELECT ", kPlanColumns, " FROM plans WHERE ", where)));
  st.Bind(1, arg);
  LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<v1::Plan>();
  return std::optional<v1::Plan>(PlanFromRow(st));
}

absl::StatusOr<std::optional<StoredTask>> LoadTask(Connection& c, int64_t seq) {
  LUOSHI_ASSIGN_OR_RETURN(Statement st,
                         c.Prepare(absl::StrCat("SELECT ", kTaskColumns, kTaskFrom, " WHERE t.seq = ?")));
  st.Bind(1, seq);
  LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<StoredTask>();
  LUOSHI_ASSIGN_OR_RETURN(StoredTask t, TaskFromRow(st));
  LUOSHI_ASSIGN_OR_RETURN(Statement last,
                          c.Prepare("SELECT reporter FROM reports WHERE task_seq = ? ORDER BY seq DESC LIMIT 1"));
  last.Bind(1, seq);
  LUOSHI_ASSIGN_OR_RETURN(bool has_report, last.Step());
  if (has_report) t.state.last_reporter = last.ColumnText(0);
  return std::optional<StoredTask>(std::move(t));
}

absl::StatusOr<StoredEvent> EventFromRow(int64_t seq, const std::string& event_bytes, std::string region) {
  StoredEvent out;
  if (!out.event.ParseFromString(event_bytes)) {
    return absl::InternalError(absl::StrCat("stored change event ", seq, " cannot be read"));
  }
  out.event.set_sequence(seq);
  out.region = std::move(region);
  return out;
}

}  // namespace luoshi::tasks::sqlite_store_internal
