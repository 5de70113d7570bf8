// SqliteTaskStore: the schema (numbered migrations) and Open; reads, writes, rows: sqlite_store_*.cc.
#include "services/tasks/sqlite_store.h"

#include "services/common/status_macros.h"

namespace luoshi::tasks {
namespace {

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

// Version 3: every journal entry names the token (jti) the change was made with, beside its actor.
const char kSchemaV3[] = R"sql(
ALTER TABLE journal ADD COLUMN token_id TEXT NOT NULL DEFAULT '';
)sql";

// Version 4: idempotency keys. A report or review sent with a request_id records the id here, in the
// transaction that writes the report or review, unique per caller: a retry finds it and writes
// nothing. `fingerprint` is a digest of the request without its id (a reused id with a different
// request is refused); report_seq / review_seq name what the first call wrote.
const char kSchemaV4[] = R"sql(
CREATE TABLE requests (
  seq INTEGER PRIMARY KEY,
  caller TEXT NOT NULL,
  request_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  task_seq INTEGER NOT NULL REFERENCES tasks(seq),
  fingerprint BLOB NOT NULL,
  report_seq INTEGER REFERENCES reports(seq),
  review_seq INTEGER REFERENCES reviews(seq),
  at INTEGER NOT NULL,
  UNIQUE (caller, request_id)
);
)sql";

// Version 5: change events for WatchTasks' resume token (TaskStore::ReadEventsAfter). Every write appends
// its events in its own transaction; AUTOINCREMENT so that a sequence is never handed out twice, even after
// the newest events were pruned. task_event_horizon remembers how far PruneEvents deleted.
const char kSchemaV5[] = R"sql(
CREATE TABLE task_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL,
  action TEXT NOT NULL,
  at INTEGER NOT NULL,
  region TEXT NOT NULL,
  event BLOB NOT NULL
);
CREATE TABLE task_event_horizon (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pruned_through INTEGER NOT NULL
);
INSERT INTO task_event_horizon (id, pruned_through) VALUES (1, 0);
)sql";

}  // namespace

const std::vector<sql::Migration>& SqliteTaskStore::Migrations() {
  static const auto* migrations = new std::vector<sql::Migration>{
      {1, kSchemaV1}, {2, kSchemaV2}, {3, kSchemaV3}, {4, kSchemaV4}, {5, kSchemaV5}};
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

}  // namespace luoshi::tasks
