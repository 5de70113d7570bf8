#include "services/tasks/sqlite_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/status_macros.h"
#include "services/tasks/errors.h"

namespace luoshi::tasks {
namespace {

using sql::Connection;
using sql::Statement;

// Version 1: the whole schema. Times are Unix microseconds; ids are "<letter><seq>".
const char kSchemaV1[] = R"sql(
CREATE TABLE plans (
  seq INTEGER PRIMARY KEY,
  plan_key TEXT NOT NULL,
  version INTEGER NOT NULL,
  title TEXT NOT NULL,
  year INTEGER NOT NULL,
  region TEXT NOT NULL,
  document_id TEXT NOT NULL,
  document_sha256 TEXT NOT NULL UNIQUE,
  task_count INTEGER NOT NULL,
  imported_at INTEGER NOT NULL,
  current INTEGER NOT NULL,
  UNIQUE (plan_key, version)
);
CREATE TABLE tasks (
  seq INTEGER PRIMARY KEY,
  plan_seq INTEGER NOT NULL REFERENCES plans(seq),
  active INTEGER NOT NULL,
  sort_key INTEGER NOT NULL,
  number TEXT NOT NULL,
  text TEXT NOT NULL,
  section TEXT NOT NULL,
  deadline_date TEXT NOT NULL,
  definition BLOB NOT NULL,
  status INTEGER NOT NULL,
  percent INTEGER NOT NULL,
  percent_before_claim INTEGER NOT NULL,
  stage TEXT NOT NULL,
  last_report_at INTEGER,
  last_report_period TEXT NOT NULL,
  assigned_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_by_plan ON tasks(plan_seq, sort_key);
CREATE INDEX tasks_by_active ON tasks(active, sort_key);
CREATE TABLE task_units (
  unit TEXT NOT NULL,
  task_seq INTEGER NOT NULL REFERENCES tasks(seq),
  role INTEGER NOT NULL,  -- 0 responsible (lead first by position), 1 cooperating
  position INTEGER NOT NULL,
  PRIMARY KEY (unit, task_seq, role)
) WITHOUT ROWID;
CREATE INDEX task_units_by_task ON task_units(task_seq);
CREATE TABLE task_leaders (
  leader TEXT NOT NULL,
  task_seq INTEGER NOT NULL REFERENCES tasks(seq),
  PRIMARY KEY (leader, task_seq)
) WITHOUT ROWID;
CREATE INDEX task_leaders_by_task ON task_leaders(task_seq);
CREATE TABLE units (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE leaders (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE reports (
  seq INTEGER PRIMARY KEY,
  task_seq INTEGER NOT NULL REFERENCES tasks(seq),
  unit TEXT NOT NULL,
  reporter TEXT NOT NULL,
  period TEXT NOT NULL,
  percent INTEGER,
  stage TEXT NOT NULL,
  narrative TEXT NOT NULL,
  problems TEXT NOT NULL,
  next_steps TEXT NOT NULL,
  evidence_links TEXT NOT NULL,
  claims_completion INTEGER NOT NULL,
  reported_at INTEGER NOT NULL
);
CREATE INDEX reports_by_task ON reports(task_seq, seq);
CREATE TABLE reviews (
  seq INTEGER PRIMARY KEY,
  task_seq INTEGER NOT NULL REFERENCES tasks(seq),
  reviewer TEXT NOT NULL,
  accepted INTEGER NOT NULL,
  comment TEXT NOT NULL,
  reviewed_at INTEGER NOT NULL
);
CREATE INDEX reviews_by_task ON reviews(task_seq, seq);
CREATE TABLE journal (
  seq INTEGER PRIMARY KEY,
  task_seq INTEGER NOT NULL REFERENCES tasks(seq),
  actor TEXT NOT NULL,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  field TEXT NOT NULL,
  old_value TEXT NOT NULL,
  new_value TEXT NOT NULL
);
CREATE INDEX journal_by_task ON journal(task_seq, seq);
)sql";

// Version 2: listings driven by a unit or a leader read that unit's (leader's) rows in listing order
// and filter them without touching the tasks table. task_units and task_leaders carry copies of
// their task's sort_key, active and status (kept equal by WriteTaskPeople, the plan-version switch
// in WritePlan and ApplyChange), so a page walks the index in order and stops at the page size,
// and a count never leaves the index. The tasks indexes also carry the status, so a status count
// over a plan or over all current tasks is index-only too.
const char kSchemaV2[] = R"sql(
ALTER TABLE task_units ADD COLUMN sort_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_units ADD COLUMN active INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_units ADD COLUMN status INTEGER NOT NULL DEFAULT 0;
UPDATE task_units SET (sort_key, active, status) =
  (SELECT t.sort_key, t.active, t.status FROM tasks t WHERE t.seq = task_units.task_seq);
CREATE INDEX task_units_listing ON task_units(unit, role, sort_key, active, status);
ALTER TABLE task_leaders ADD COLUMN sort_key INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_leaders ADD COLUMN active INTEGER NOT NULL DEFAULT 0;
ALTER TABLE task_leaders ADD COLUMN status INTEGER NOT NULL DEFAULT 0;
UPDATE task_leaders SET (sort_key, active, status) =
  (SELECT t.sort_key, t.active, t.status FROM tasks t WHERE t.seq = task_leaders.task_seq);
CREATE INDEX task_leaders_listing ON task_leaders(leader, sort_key, active, status);
DROP INDEX tasks_by_plan;
CREATE INDEX tasks_by_plan ON tasks(plan_seq, sort_key, status);
DROP INDEX tasks_by_active;
CREATE INDEX tasks_by_active ON tasks(active, sort_key, status);
)sql";

// Sort keys are plan_seq * kTasksPerPlanKeySpace + position, so a plan's tasks are one key range.
constexpr int64_t kTasksPerPlanKeySpace = 1000000;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(Micros(t));
}

std::string Id(char prefix, int64_t seq) { return absl::StrCat(std::string(1, prefix), seq); }

// "T42" → 42; nullopt for anything else.
std::optional<int64_t> SeqOf(const std::string& id, char prefix) {
  int64_t seq = 0;
  if (id.size() < 2 || id[0] != prefix || !absl::SimpleAtoi(id.substr(1), &seq) || seq <= 0) {
    return std::nullopt;
  }
  return seq;
}

const char kPlanColumns[] =
    "seq, plan_key, version, title, year, region, document_id, task_count, imported_at, current";

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

const char kTaskColumns[] =
    "t.seq, t.plan_seq, p.region, t.definition, t.status, t.percent, t.percent_before_claim, "
    "t.stage, t.last_report_at, t.last_report_period, t.updated_at, t.assigned_at, t.sort_key, "
    "t.deadline_date";
const char kTaskFrom[] = " FROM tasks t JOIN plans p ON p.seq = t.plan_seq";

// `definition_bytes`: keep the definition as stored (see TaskQuery::definition_bytes).
absl::StatusOr<StoredTask> TaskFromRow(const Statement& st, bool definition_bytes = false) {
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

absl::StatusOr<std::vector<StoredTask>> CollectTasks(Statement& st, bool definition_bytes = false,
                                                     size_t expected = 0) {
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
  return std::optional<StoredTask>(std::move(t));
}

absl::Status InsertJournal(Connection& c, int64_t task_seq, const v1::JournalEntry& e) {
  LUOSHI_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("INSERT INTO journal (task_seq, actor, at, action, field, old_value, new_value) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, task_seq)
      .Bind(2, e.actor())
      .Bind(3, google::protobuf::util::TimeUtil::TimestampToMicroseconds(e.at()))
      .Bind(4, e.action())
      .Bind(5, e.field())
      .Bind(6, e.old_value())
      .Bind(7, e.new_value());
  return st.Run();
}

absl::Status RegisterName(Connection& c, const char* table, const std::string& name) {
  LUOSHI_ASSIGN_OR_RETURN(Statement st,
                         c.Prepare(absl::StrCat("INSERT OR IGNORE INTO ", table, " (name) VALUES (?)")));
  st.Bind(1, name);
  return st.Run();
}

// Replaces the unit and leader rows of a task from its definition.
absl::Status WriteTaskPeople(Connection& c, int64_t task_seq, const v1::TaskDefinition& def) {
  for (const char* sql :
       {"DELETE FROM task_units WHERE task_seq = ?", "DELETE FROM task_leaders WHERE task_seq = ?"}) {
    LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
    st.Bind(1, task_seq);
    LUOSHI_RETURN_IF_ERROR(st.Run());
  }
  // The listing columns are copied from the task row as it is now (see kSchemaV2).
  auto add_unit = [&](const std::string& unit, int role, int position) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("INSERT OR IGNORE INTO task_units (unit, task_seq, role, position, sort_key, "
                                "active, status) SELECT ?, seq, ?, ?, sort_key, active, status FROM tasks "
                                "WHERE seq = ?"));
    st.Bind(1, unit).Bind(2, role).Bind(3, position).Bind(4, task_seq);
    LUOSHI_RETURN_IF_ERROR(st.Run());
    return RegisterName(c, "units", unit);
  };
  for (int i = 0; i < def.responsible_units_size(); ++i) {
    LUOSHI_RETURN_IF_ERROR(add_unit(def.responsible_units(i), 0, i));
  }
  for (int i = 0; i < def.cooperating_units_size(); ++i) {
    LUOSHI_RETURN_IF_ERROR(add_unit(def.cooperating_units(i), 1, i));
  }
  for (const std::string& leader : def.lead_leaders()) {
    LUOSHI_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("INSERT OR IGNORE INTO task_leaders (leader, task_seq, sort_key, active, "
                                "status) SELECT ?, seq, sort_key, active, status FROM tasks WHERE seq = ?"));
    st.Bind(1, leader).Bind(2, task_seq);
    LUOSHI_RETURN_IF_ERROR(st.Run());
    LUOSHI_RETURN_IF_ERROR(RegisterName(c, "leaders", leader));
  }
  return absl::OkStatus();
}

std::string SectionOf(const v1::TaskDefinition& def) {
  return def.section_path().empty() ? "" : def.section_path(0);
}

absl::StatusOr<int64_t> InsertNewTask(Connection& c, int64_t plan_seq, int64_t sort_key,
                                      const v1::TaskDefinition& def, absl::Time at) {
  LUOSHI_ASSIGN_OR_RETURN(Statement st,
                         c.Prepare("INSERT INTO tasks (plan_seq, active, sort_key, number, text, section, "
                                   "deadline_date, definition, status, percent, percent_before_claim, stage, "
                                   "last_report_at, last_report_period, assigned_at, updated_at) "
                                   "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, 0, 0, '', NULL, '', ?, ?)"));
  st.Bind(1, plan_seq)
      .Bind(2, sort_key)
      .Bind(3, def.number())
      .Bind(4, def.text())
      .Bind(5, SectionOf(def))
      .Bind(6, def.deadline().date())
      .BindBlob(7, def.SerializeAsString())
      .Bind(8, static_cast<int64_t>(v1::TASK_STATUS_NOT_STARTED))
      .Bind(9, Micros(at))
      .Bind(10, Micros(at));
  LUOSHI_RETURN_IF_ERROR(st.Run());
  return c.LastInsertRowId();
}

absl::Status MoveTask(Connection& c, int64_t task_seq, int64_t plan_seq, int64_t sort_key,
                      const v1::TaskDefinition& def, absl::Time at) {
  LUOSHI_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("UPDATE tasks SET plan_seq = ?, active = 1, sort_key = ?, number = ?, text = ?, "
                "section = ?, deadline_date = ?, definition = ?, updated_at = ? WHERE seq = ?"));
  st.Bind(1, plan_seq)
      .Bind(2, sort_key)
      .Bind(3, def.number())
      .Bind(4, def.text())
      .Bind(5, SectionOf(def))
      .Bind(6, def.deadline().date())
      .BindBlob(7, def.SerializeAsString())
      .Bind(8, Micros(at))
      .Bind(9, task_seq);
  LUOSHI_RETURN_IF_ERROR(st.Run());
  if (c.Changes() != 1) return TaskNotFound(Id('T', task_seq));
  return absl::OkStatus();
}

absl::Status ApplyChange(Connection& c, int64_t seq, const std::string& task_id, v1::TaskStatus old_status,
                         TaskChange& change) {
  const TaskState& s = change.state;
  if (s.status != old_status) {
    // The listing copies of the status (kSchemaV2); most reports leave the status as it was.
    for (const char* sql : {"UPDATE task_units SET status = ? WHERE task_seq = ?",
                            "UPDATE task_leaders SET status = ? WHERE task_seq = ?"}) {
      LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
      st.Bind(1, static_cast<int64_t>(s.status)).Bind(2, seq);
      LUOSHI_RETURN_IF_ERROR(st.Run());
    }
  }
  // The status column is only written when it changes: the indexes holding it are then left alone.
  LUOSHI_ASSIGN_OR_RETURN(
      Statement st, c.Prepare(s.status != old_status
                                  ? "UPDATE tasks SET percent = ?1, percent_before_claim = ?2, stage = ?3, "
                                    "last_report_at = ?4, last_report_period = ?5, updated_at = ?6, "
                                    "status = ?8 WHERE seq = ?7"
                                  : "UPDATE tasks SET percent = ?1, percent_before_claim = ?2, stage = ?3, "
                                    "last_report_at = ?4, last_report_period = ?5, updated_at = ?6 "
                                    "WHERE seq = ?7"));
  st.Bind(1, s.percent).Bind(2, s.percent_before_claim).Bind(3, s.stage);
  if (s.last_report_at) {
    st.Bind(4, Micros(*s.last_report_at));
  } else {
    st.BindNull(4);
  }
  st.Bind(5, s.last_report_period).Bind(6, Micros(s.updated_at)).Bind(7, seq);
  if (s.status != old_status) st.Bind(8, static_cast<int64_t>(s.status));
  LUOSHI_RETURN_IF_ERROR(st.Run());

  using google::protobuf::util::TimeUtil;
  if (change.report) {
    v1::ProgressReport& r = *change.report;
    LUOSHI_ASSIGN_OR_RETURN(Statement ins,
                           c.Prepare("INSERT INTO reports (task_seq, unit, reporter, period, percent, stage, "
                                     "narrative, problems, next_steps, evidence_links, claims_completion, "
                                     "reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ins.Bind(1, seq).Bind(2, r.unit()).Bind(3, r.reporter()).Bind(4, r.period());
    if (r.progress_case() == v1::ProgressReport::kPercent) {
      ins.Bind(5, r.percent());
    } else {
      ins.BindNull(5);
    }
    ins.Bind(6, r.stage())
        .Bind(7, r.narrative())
        .Bind(8, r.problems())
        .Bind(9, r.next_steps())
        .Bind(10, absl::StrJoin(r.evidence_links(), "\n"))
        .Bind(11, r.claims_completion() ? 1 : 0)
        .Bind(12, TimeUtil::TimestampToMicroseconds(r.reported_at()));
    LUOSHI_RETURN_IF_ERROR(ins.Run());
    r.set_id(Id('R', c.LastInsertRowId()));
    r.set_task_id(task_id);
  }
  if (change.review) {
    v1::Review& r = *change.review;
    LUOSHI_ASSIGN_OR_RETURN(Statement ins,
                           c.Prepare("INSERT INTO reviews (task_seq, reviewer, accepted, comment, "
                                     "reviewed_at) VALUES (?, ?, ?, ?, ?)"));
    ins.Bind(1, seq)
        .Bind(2, r.reviewer())
        .Bind(3, r.accepted() ? 1 : 0)
        .Bind(4, r.comment())
        .Bind(5, TimeUtil::TimestampToMicroseconds(r.reviewed_at()));
    LUOSHI_RETURN_IF_ERROR(ins.Run());
    r.set_id(Id('V', c.LastInsertRowId()));
    r.set_task_id(task_id);
  }
  for (v1::JournalEntry& e : change.journal) {
    e.set_task_id(task_id);
    LUOSHI_RETURN_IF_ERROR(InsertJournal(c, seq, e));
  }
  return absl::OkStatus();
}

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

const std::vector<sql::Migration>& SqliteTaskStore::Migrations() {
  static const auto* migrations = new std::vector<sql::Migration>{{1, kSchemaV1}, {2, kSchemaV2}};
  return *migrations;
}

sql::DatabaseOptions SqliteTaskStore::DefaultOptions() {
  sql::DatabaseOptions options;
  options.mmap_bytes = int64_t{1} << 30;
  return options;
}

absl::StatusOr<std::unique_ptr<SqliteTaskStore>> SqliteTaskStore::Open(const std::string& path,
                                                                       sql::DatabaseOptions options) {
  LUOSHI_ASSIGN_OR_RETURN(auto db, sql::Database::Open(path, Migrations(), options));
  return std::unique_ptr<SqliteTaskStore>(new SqliteTaskStore(std::move(db)));
}

absl::StatusOr<v1::Plan> SqliteTaskStore::WritePlan(const PlanWrite& write) {
  v1::Plan result;
  absl::Status s = db_->Write([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(auto existing, QueryOnePlan(c, "document_sha256 = ?", write.document_sha256));
    if (existing) {
      return absl::AlreadyExistsError(
          absl::StrCat("document ", write.document_sha256, " was already imported as plan ", existing->id()));
    }
    LUOSHI_ASSIGN_OR_RETURN(auto current,
                           QueryOnePlan(c, "plan_key = ? AND current = 1", write.plan.plan_key()));
    const std::string current_id = current ? current->id() : "";
    if (current_id != write.replaces_plan_id) {
      return absl::AbortedError(
          absl::StrCat("plan ", write.plan.plan_key(), " changed while importing; import again"));
    }
    const int version = current ? current->version() + 1 : 1;
    if (current) {
      const int64_t old_seq = *SeqOf(current_id, 'P');
      for (const char* sql :
           {"UPDATE plans SET current = 0 WHERE seq = ?", "UPDATE tasks SET active = 0 WHERE plan_seq = ?",
            "UPDATE task_units SET active = 0 WHERE task_seq IN "
            "(SELECT seq FROM tasks WHERE plan_seq = ?1)",
            "UPDATE task_leaders SET active = 0 WHERE task_seq IN "
            "(SELECT seq FROM tasks WHERE plan_seq = ?1)"}) {
        LUOSHI_ASSIGN_OR_RETURN(Statement st, c.Prepare(sql));
        st.Bind(1, old_seq);
        LUOSHI_RETURN_IF_ERROR(st.Run());
      }
    }
    LUOSHI_ASSIGN_OR_RETURN(
        Statement ins, c.Prepare("INSERT INTO plans (plan_key, version, title, year, region, document_id, "
                                 "document_sha256, task_count, imported_at, current) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"));
    ins.Bind(1, write.plan.plan_key())
        .Bind(2, version)
        .Bind(3, write.plan.title())
        .Bind(4, write.plan.year())
        .Bind(5, write.plan.region())
        .Bind(6, write.plan.document_id())
        .Bind(7, write.document_sha256)
        .Bind(8, static_cast<int>(write.tasks.size()))
        .Bind(9, Micros(write.at));
    LUOSHI_RETURN_IF_ERROR(ins.Run());
    const int64_t plan_seq = c.LastInsertRowId();
    for (size_t i = 0; i < write.tasks.size(); ++i) {
      const PlanTaskWrite& tw = write.tasks[i];
      const int64_t sort_key = plan_seq * kTasksPerPlanKeySpace + static_cast<int64_t>(i);
      int64_t task_seq = 0;
      if (tw.carried_task_id.empty()) {
        LUOSHI_ASSIGN_OR_RETURN(task_seq, InsertNewTask(c, plan_seq, sort_key, tw.definition, write.at));
      } else {
        std::optional<int64_t> seq = SeqOf(tw.carried_task_id, 'T');
        if (!seq) return TaskNotFound(tw.carried_task_id);
        task_seq = *seq;
        LUOSHI_RETURN_IF_ERROR(MoveTask(c, task_seq, plan_seq, sort_key, tw.definition, write.at));
      }
      LUOSHI_RETURN_IF_ERROR(WriteTaskPeople(c, task_seq, tw.definition));
      for (const v1::JournalEntry& e : tw.journal) {
        LUOSHI_RETURN_IF_ERROR(InsertJournal(c, task_seq, e));
      }
    }
    LUOSHI_ASSIGN_OR_RETURN(auto written, QueryOnePlan(c, "seq = ?", std::to_string(plan_seq)));
    if (!written) return absl::InternalError("the plan just written cannot be read back");
    result = *written;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return result;
}

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

absl::StatusOr<StoredTask> SqliteTaskStore::MutateTask(const std::string& task_id,
                                                       const TaskMutator& mutator) {
  PendingMutation mine{&task_id, &mutator};
  struct Wait {
    const bool* done;
    const bool* committing;
  } wait{&mine.done, &committing_};
  auto can_proceed = +[](Wait* w) { return *w->done || !*w->committing; };
  absl::MutexLock lock(&group_mu_);
  queued_.push_back(&mine);
  while (!mine.done) {
    if (committing_) {
      // Another caller is committing; wait until it finishes (it may have taken our mutation).
      group_mu_.Await(absl::Condition(can_proceed, &wait));
      continue;
    }
    committing_ = true;
    std::vector<PendingMutation*> group;
    group.swap(queued_);
    group_mu_.Unlock();
    std::vector<std::pair<std::string, TaskMutator>> batch;
    batch.reserve(group.size());
    for (PendingMutation* p : group) batch.emplace_back(*p->task_id, *p->mutator);
    std::vector<absl::StatusOr<StoredTask>> results = MutateTasks(batch);
    group_mu_.Lock();
    for (size_t i = 0; i < group.size(); ++i) {
      group[i]->result = std::move(results[i]);
      group[i]->done = true;
    }
    committing_ = false;
  }
  return std::move(mine.result);
}

std::vector<absl::StatusOr<StoredTask>> SqliteTaskStore::MutateTasks(
    const std::vector<std::pair<std::string, TaskMutator>>& mutations) {
  std::vector<absl::StatusOr<StoredTask>> results(mutations.size(), absl::InternalError("not attempted"));
  absl::Status s = db_->Write([&](Connection& c) -> absl::Status {
    for (size_t i = 0; i < mutations.size(); ++i) {
      // Not a structured binding: C++17 does not let the lambda below capture one (clang refuses it).
      const std::string& task_id = mutations[i].first;
      const TaskMutator& mutator = mutations[i].second;
      results[i] = [&]() -> absl::StatusOr<StoredTask> {
        std::optional<int64_t> seq = SeqOf(task_id, 'T');
        if (!seq) return TaskNotFound(task_id);
        LUOSHI_ASSIGN_OR_RETURN(std::optional<StoredTask> current, LoadTask(c, *seq));
        if (!current) return TaskNotFound(task_id);
        LUOSHI_ASSIGN_OR_RETURN(TaskChange change, mutator(*current));
        LUOSHI_RETURN_IF_ERROR(c.Exec("SAVEPOINT task_change"));
        if (absl::Status applied = ApplyChange(c, *seq, task_id, current->state.status, change);
            !applied.ok()) {
          (void)c.Exec("ROLLBACK TO task_change");
          (void)c.Exec("RELEASE task_change");
          return applied;
        }
        LUOSHI_RETURN_IF_ERROR(c.Exec("RELEASE task_change"));
        current->state = change.state;
        return std::move(*current);
      }();
    }
    return absl::OkStatus();
  });
  if (!s.ok()) {
    for (auto& r : results) r = s;
  }
  return results;
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
                                      "SELECT actor, at, action, field, old_value, new_value FROM "
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

}  // namespace luoshi::tasks
