// SqliteTaskStore's reads: plans, task queries and pages, a task's history, unit names, the ledger.
#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status_macros.h"
#include "services/common/time.h"
#include "services/tasks/errors.h"
#include "services/tasks/sqlite_store.h"
#include "services/tasks/sqlite_store_internal.h"

namespace luoshi::tasks {
namespace {

using sql::Connection;
using sql::Statement;
using sqlite_store_internal::CollectTasks;
using sqlite_store_internal::EventFromRow;
using sqlite_store_internal::FromMicros;
using sqlite_store_internal::Id;
using sqlite_store_internal::kPlanColumns;
using sqlite_store_internal::kTaskColumns;
using sqlite_store_internal::kTaskFrom;
using sqlite_store_internal::kTasksPerPlanKeySpace;
using sqlite_store_internal::LoadTask;
using sqlite_store_internal::PlanFromRow;
using sqlite_store_internal::QueryOnePlan;
using sqlite_store_internal::SeqOf;

// The SQL of a task query, built from fixed fragments; values are always bound.
class QueryBuilder {
 public:
  // The most selective index drives the query. With a unit (or a leader) it is that unit's rows in
  // task_units_listing order: plan, active, status and the page cursor are checked on the index
  // (kSchemaV2), so a page stops after `limit` matches and a count needs the tasks table only for
  // the filters the index does not carry (dates, text, report period). Otherwise the plan's or the
  // current tasks in sort order.
  explicit QueryBuilder(const TaskQuery& q, bool paged) {
    if (!q.unit.empty()) {
      driver_ = "tu";
      from_ = " FROM task_units tu INDEXED BY task_units_listing";
      Add("tu.unit = ? AND tu.role = 0", Arg::Text(q.unit));
    } else if (!q.leader.empty()) {
      driver_ = "tl";
      from_ = " FROM task_leaders tl INDEXED BY task_leaders_listing";
      Add("tl.leader = ?", Arg::Text(q.leader));
    } else {
      driver_ = "t";
      from_ = " FROM tasks t";
    }
    const std::string d = driver_ + ".";
    if (!q.plan_id.empty()) {
      const int64_t plan = SeqOf(q.plan_id, 'P').value_or(0);
      if (driver_ == "t") {
        Add("t.plan_seq = ?", Arg::Int(plan));
      } else {
        Add(d + "sort_key >= ?", Arg::Int(plan * kTasksPerPlanKeySpace));
        Add(d + "sort_key < ?", Arg::Int((plan + 1) * kTasksPerPlanKeySpace));
      }
    } else {
      Add(d + "active = 1");
    }
    if (!q.unit.empty() && !q.leader.empty()) {
      Add("tu.task_seq IN (SELECT task_seq FROM task_leaders WHERE leader = ?)", Arg::Text(q.leader));
    }
    if (!q.statuses.empty()) {
      std::string in = d + "status IN (";
      for (size_t i = 0; i < q.statuses.size(); ++i) {
        absl::StrAppend(&in, i ? ", ?" : "?");
        args_.push_back(Arg::Int(q.statuses[i]));
      }
      Add(in + ")");
    }
    if (q.exclude_done) Add(d + "status <> 4");
    if (paged && q.after_sort_key >= 0) Add(d + "sort_key > ?", Arg::Int(q.after_sort_key));
    // Filters on the task row itself.
    if (!q.due_before.empty()) {
      AddTask("t.deadline_date <> '' AND t.deadline_date <= ?", Arg::Text(q.due_before));
    }
    if (!q.due_after.empty()) AddTask("t.deadline_date >= ?", Arg::Text(q.due_after));
    if (!q.text.empty()) AddTask("instr(t.text, ?) > 0", Arg::Text(q.text));
    if (!q.reported_before_period.empty()) {
      AddTask("t.last_report_period < ?", Arg::Text(q.reported_before_period));
    }
  }

  // Up to `limit` (the last parameter) full task rows in listing order.
  std::string PageSql() const {
    return absl::StrCat("SELECT ", kTaskColumns, from_, TaskJoin(), " JOIN plans p ON p.seq = t.plan_seq",
                        where_, " ORDER BY ", driver_, ".sort_key LIMIT ?");
  }
  // The number of matches; joins the tasks table only when a filter needs it.
  std::string CountSql() const {
    return absl::StrCat("SELECT COUNT(*)", from_, needs_task_ ? TaskJoin() : "", where_);
  }
  void BindAll(Statement& st) const {
    int i = 1;
    for (const Arg& a : args_) {
      if (a.is_text) {
        st.Bind(i++, a.text);
      } else {
        st.Bind(i++, a.number);
      }
    }
  }
  int arg_count() const { return static_cast<int>(args_.size()); }

 private:
  struct Arg {
    bool is_text;
    std::string text;
    int64_t number;
    static Arg Text(std::string s) { return Arg{true, std::move(s), 0}; }
    static Arg Int(int64_t n) { return Arg{false, "", n}; }
  };
  std::string TaskJoin() const {
    return driver_ == "t" ? "" : absl::StrCat(" CROSS JOIN tasks t ON t.seq = ", driver_, ".task_seq");
  }
  void Add(const std::string& fragment) {
    absl::StrAppend(&where_, where_.empty() ? " WHERE " : " AND ", fragment);
  }
  void Add(const std::string& fragment, Arg arg) {
    Add(fragment);
    args_.push_back(std::move(arg));
  }
  void AddTask(const std::string& fragment, Arg arg) {
    needs_task_ = true;
    Add(fragment, std::move(arg));
  }
  std::string driver_;
  std::string from_;
  std::string where_;
  std::vector<Arg> args_;
  bool needs_task_ = false;
};

// Rows of one task's child table (reports, reviews, journal) read in one snapshot, each row turned into a
// message by `to_message`. The query binds the task's sequence number as its only parameter.
template <typename T, typename RowFn>
absl::StatusOr<std::vector<T>> RowsOfTask(sql::Database& db, int64_t task_seq, const std::string& query,
                                          RowFn to_message) {
  std::vector<T> out;
  LUOSHI_RETURN_IF_ERROR(db.Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare(query));
    st.Bind(1, task_seq);
    while (true) {
      LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(to_message(st));
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace

absl::StatusOr<std::optional<v1::Plan>> SqliteTaskStore::FindPlanByDocument(const std::string& sha256) {
  std::optional<v1::Plan> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(out, QueryOnePlan(c, "document_sha256 = ?", sha256));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<v1::Plan>> SqliteTaskStore::CurrentPlan(const std::string& plan_key) {
  std::optional<v1::Plan> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(out, QueryOnePlan(c, "plan_key = ? AND current = 1", plan_key));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<v1::Plan> SqliteTaskStore::GetPlan(const std::string& plan_id) {
  std::optional<int64_t> seq = SeqOf(plan_id, 'P');
  if (!seq) return PlanNotFound(plan_id);
  std::optional<v1::Plan> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(out, QueryOnePlan(c, "seq = ?", std::to_string(*seq)));
    return absl::OkStatus();
  }));
  if (!out) return PlanNotFound(plan_id);
  return *out;
}

absl::StatusOr<std::vector<v1::Plan>> SqliteTaskStore::ListPlans() {
  std::vector<v1::Plan> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(absl::StrCat("SELECT ", kPlanColumns, " FROM plans ORDER BY seq")));
    while (true) {
      LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(PlanFromRow(st));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<StoredTask> SqliteTaskStore::GetTask(const std::string& task_id) {
  std::optional<int64_t> seq = SeqOf(task_id, 'T');
  if (!seq) return TaskNotFound(task_id);
  std::optional<StoredTask> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(out, LoadTask(c, *seq));
    return absl::OkStatus();
  }));
  if (!out) return TaskNotFound(task_id);
  return std::move(*out);
}

namespace {

absl::StatusOr<std::vector<StoredTask>> ReadPage(Connection& c, const QueryBuilder& b, const std::string& sql,
                                                 const TaskQuery& q) {
  LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  b.BindAll(st);
  st.Bind(b.arg_count() + 1, q.limit);
  return CollectTasks(st, q.definition_bytes, static_cast<size_t>(std::clamp(q.limit, 0, 1000)));
}

absl::StatusOr<int> ReadCount(Connection& c, const QueryBuilder& b, const std::string& sql) {
  LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
  b.BindAll(st);
  LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<int>(st.ColumnInt(0)) : 0;
}

}  // namespace

absl::StatusOr<std::vector<StoredTask>> SqliteTaskStore::QueryTasks(const TaskQuery& query) {
  QueryBuilder b(query, /*paged=*/true);
  const std::string sql = b.PageSql();
  std::vector<StoredTask> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(out, ReadPage(c, b, sql, query));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int> SqliteTaskStore::CountTasks(const TaskQuery& query) {
  QueryBuilder b(query, /*paged=*/false);
  const std::string sql = b.CountSql();
  int count = 0;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(count, ReadCount(c, b, sql));
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<TaskPage> SqliteTaskStore::QueryTaskPage(const TaskQuery& query) {
  QueryBuilder paged(query, /*paged=*/true);
  QueryBuilder all(query, /*paged=*/false);
  const std::string page_sql = paged.PageSql();
  const std::string count_sql = all.CountSql();
  TaskPage page;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(page.tasks, ReadPage(c, paged, page_sql, query));
    LUOSHI_ASSIGN_OR_RETURN(page.total, ReadCount(c, all, count_sql));
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::vector<StoredTask>> SqliteTaskStore::TasksOfPlan(const std::string& plan_id) {
  std::optional<int64_t> seq = SeqOf(plan_id, 'P');
  if (!seq) return PlanNotFound(plan_id);
  std::vector<StoredTask> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(absl::StrCat("SELECT ", kTaskColumns, kTaskFrom,
                                                  " WHERE t.plan_seq = ? ORDER BY t.sort_key")));
    st.Bind(1, *seq);
    LUOSHI_ASSIGN_OR_RETURN(out, CollectTasks(st));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<v1::ProgressReport>> SqliteTaskStore::ReportsOf(const std::string& task_id) {
  std::optional<int64_t> seq = SeqOf(task_id, 'T');
  if (!seq) return TaskNotFound(task_id);
  return RowsOfTask<v1::ProgressReport>(
      *db_, *seq,
      "SELECT seq, unit, reporter, period, percent, stage, narrative, problems, "
      "next_steps, evidence_links, claims_completion, reported_at FROM reports "
      "WHERE task_seq = ? ORDER BY seq DESC",
      [&](const Statement& st) {
        v1::ProgressReport r;
        r.set_id(Id('R', st.ColumnInt(0)));
        r.set_task_id(task_id);
        r.set_unit(st.ColumnText(1));
        r.set_reporter(st.ColumnText(2));
        r.set_period(st.ColumnText(3));
        if (!st.ColumnIsNull(4)) {
          r.set_percent(static_cast<int>(st.ColumnInt(4)));
        } else if (!st.ColumnText(5).empty()) {
          r.set_stage(st.ColumnText(5));
        }
        r.set_narrative(st.ColumnText(6));
        r.set_problems(st.ColumnText(7));
        r.set_next_steps(st.ColumnText(8));
        for (absl::string_view link : absl::StrSplit(st.ColumnText(9), '\n', absl::SkipEmpty())) {
          r.add_evidence_links(std::string(link));
        }
        r.set_claims_completion(st.ColumnInt(10) != 0);
        *r.mutable_reported_at() = ToTimestamp(FromMicros(st.ColumnInt(11)));
        return r;
      });
}

absl::StatusOr<std::vector<v1::Review>> SqliteTaskStore::ReviewsOf(const std::string& task_id) {
  std::optional<int64_t> seq = SeqOf(task_id, 'T');
  if (!seq) return TaskNotFound(task_id);
  return RowsOfTask<v1::Review>(*db_, *seq,
                                "SELECT seq, reviewer, accepted, comment, reviewed_at FROM "
                                "reviews WHERE task_seq = ? ORDER BY seq DESC",
                                [&](const Statement& st) {
                                  v1::Review r;
                                  r.set_id(Id('V', st.ColumnInt(0)));
                                  r.set_task_id(task_id);
                                  r.set_reviewer(st.ColumnText(1));
                                  r.set_accepted(st.ColumnInt(2) != 0);
                                  r.set_comment(st.ColumnText(3));
                                  *r.mutable_reviewed_at() = ToTimestamp(FromMicros(st.ColumnInt(4)));
                                  return r;
                                });
}

absl::StatusOr<std::vector<v1::JournalEntry>> SqliteTaskStore::JournalOf(const std::string& task_id) {
  std::optional<int64_t> seq = SeqOf(task_id, 'T');
  if (!seq) return TaskNotFound(task_id);
  return RowsOfTask<v1::JournalEntry>(*db_, *seq,
                                      "SELECT actor, at, action, field, old_value, new_value, token_id FROM "
                                      "journal WHERE task_seq = ? ORDER BY seq",
                                      [&](const Statement& st) {
                                        v1::JournalEntry e;
                                        e.set_task_id(task_id);
                                        e.set_actor(st.ColumnText(0));
                                        *e.mutable_at() = ToTimestamp(FromMicros(st.ColumnInt(1)));
                                        e.set_action(st.ColumnText(2));
                                        e.set_field(st.ColumnText(3));
                                        e.set_old_value(st.ColumnText(4));
                                        e.set_new_value(st.ColumnText(5));
                                        e.set_token_id(st.ColumnText(6));
                                        return e;
                                      });
}

absl::StatusOr<std::vector<std::string>> SqliteTaskStore::UnitNames() {
  std::vector<std::string> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare("SELECT name FROM units ORDER BY name"));
    while (true) {
      LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(st.ColumnText(0));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<LedgerCounts>> SqliteTaskStore::Ledger(const std::string& plan_id,
                                                                  v1::LedgerGrouping grouping,
                                                                  const std::string& today) {
  std::string key_column;
  std::string join;
  switch (grouping) {
    case v1::LEDGER_GROUPING_LEADER:
      key_column = "tl.leader";
      join = " JOIN task_leaders tl ON tl.task_seq = t.seq";
      break;
    case v1::LEDGER_GROUPING_SECTION:
      key_column = "t.section";
      break;
    default:
      key_column = "tu.unit";
      join = " JOIN task_units tu ON tu.task_seq = t.seq AND tu.role = 0";
      break;
  }
  std::optional<int64_t> plan_seq;
  if (!plan_id.empty()) {
    plan_seq = SeqOf(plan_id, 'P');
    if (!plan_seq) return PlanNotFound(plan_id);
  }
  const char kOverdue[] = "(t.status <> 4 AND t.deadline_date <> '' AND t.deadline_date < ?1)";
  const std::string sql =
      absl::StrCat("SELECT ", key_column, ", COUNT(*), SUM(t.status = 4), SUM(t.status IN (2, 3, 5)), ",
                   "SUM(t.status = 1), SUM(", kOverdue, "), MAX(t.last_report_at), ",
                   "GROUP_CONCAT(CASE WHEN ", kOverdue, " THEN t.seq END) FROM tasks t", join,
                   plan_seq ? " WHERE t.plan_seq = ?2" : " WHERE t.active = 1", " GROUP BY ", key_column);
  std::vector<LedgerCounts> out;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
    st.Bind(1, today);
    if (plan_seq) st.Bind(2, *plan_seq);
    while (true) {
      LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      LedgerCounts l;
      l.key = st.ColumnText(0);
      l.task_count = static_cast<int>(st.ColumnInt(1));
      l.done = static_cast<int>(st.ColumnInt(2));
      l.in_progress = static_cast<int>(st.ColumnInt(3));
      l.not_started = static_cast<int>(st.ColumnInt(4));
      l.overdue = static_cast<int>(st.ColumnInt(5));
      if (!st.ColumnIsNull(6)) l.last_report_at = FromMicros(st.ColumnInt(6));
      std::vector<int64_t> seqs;
      for (absl::string_view part : absl::StrSplit(st.ColumnText(7), ',', absl::SkipEmpty())) {
        int64_t v = 0;
        if (absl::SimpleAtoi(part, &v)) seqs.push_back(v);
      }
      std::sort(seqs.begin(), seqs.end());
      for (int64_t v : seqs) l.overdue_task_ids.push_back(Id('T', v));
      out.push_back(std::move(l));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<EventBatch> SqliteTaskStore::ReadEventsAfter(int64_t after, int limit) {
  EventBatch batch;
  LUOSHI_RETURN_IF_ERROR(db_->Read([&](Connection& c) -> absl::Status {
    batch.events.clear();
    if (limit > 0) {
      LUOSHI_ASSIGN_OR_RETURN(
          Statement st, c.Prepare("SELECT seq, event, region FROM task_events WHERE seq > ? ORDER BY seq LIMIT ?"));
      st.Bind(1, after).Bind(2, limit);
      while (true) {
        LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        LUOSHI_ASSIGN_OR_RETURN(StoredEvent e, EventFromRow(st.ColumnInt(0), st.ColumnBlob(1), st.ColumnText(2)));
        batch.events.push_back(std::move(e));
      }
    }
    LUOSHI_ASSIGN_OR_RETURN(
        Statement ends, c.Prepare("SELECT (SELECT coalesce(max(seq), 0) FROM task_events), pruned_through "
                                  "FROM task_event_horizon"));
    LUOSHI_ASSIGN_OR_RETURN(bool row, ends.Step());
    if (!row) return absl::InternalError("the task_event_horizon row is missing");
    batch.pruned_through = ends.ColumnInt(1);
    batch.newest = std::max(ends.ColumnInt(0), batch.pruned_through);
    return absl::OkStatus();
  }));
  return batch;
}

}  // namespace luoshi::tasks
