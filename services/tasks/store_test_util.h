// Builders shared by the task store suites: store_test.cc (the TaskStore contract, every backend) and
// sqlite_store_test.cc (SQLite files of older schemas). Test-only.
#ifndef LUOSHI_SERVICES_TASKS_STORE_TEST_UTIL_H_
#define LUOSHI_SERVICES_TASKS_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/common/sqlite.h"
#include "services/common/time.h"
#include "services/tasks/sqlite_store.h"
#include "services/tasks/store.h"

namespace luoshi::tasks::testing {

// A plan "key" (方案, 大兴区) from document `sha` with one task (甲局, 张三, due 2023-12-31); `replaces`
// is the id of the current version it replaces, empty for a first version.
inline PlanWrite Plan(const std::string& sha, const std::string& replaces) {
  PlanWrite w;
  w.plan.set_plan_key("key");
  w.plan.set_title("方案");
  w.plan.set_region("大兴区");
  w.document_sha256 = sha;
  w.replaces_plan_id = replaces;
  w.at = absl::FromUnixSeconds(1700000000);
  PlanTaskWrite t;
  t.definition.set_number("1");
  t.definition.set_text("任务");
  t.definition.add_responsible_units("甲局");
  t.definition.add_lead_leaders("张三");
  t.definition.mutable_deadline()->set_date("2023-12-31");
  w.tasks.push_back(t);
  return w;
}

// In the SQLite store at `path`, listings driven by a unit or a leader read copies of each task's sort
// key, current-version flag and status kept in task_units / task_leaders. Counts every row whose copy
// differs from its task.
inline int StaleListingCopies(const std::string& path) {
  auto db = sql::Database::Open(path, SqliteTaskStore::Migrations());
  EXPECT_TRUE(db.ok()) << db.status();
  int stale = -1;
  EXPECT_TRUE(
      (*db)
          ->Read([&](sql::Connection& c) -> absl::Status {
            auto st = c.Prepare(
                "SELECT (SELECT COUNT(*) FROM task_units x JOIN tasks t ON t.seq = x.task_seq "
                "        WHERE x.sort_key <> t.sort_key OR x.active <> t.active OR x.status <> t.status) + "
                "       (SELECT COUNT(*) FROM task_leaders x JOIN tasks t ON t.seq = x.task_seq "
                "        WHERE x.sort_key <> t.sort_key OR x.active <> t.active OR x.status <> t.status)");
            if (!st.ok()) return st.status();
            auto row = st->Step();
            if (!row.ok()) return row.status();
            stale = static_cast<int>(st->ColumnInt(0));
            return absl::OkStatus();
          })
          .ok());
  return stale;
}

// A change of the status only.
inline absl::StatusOr<TaskChange> SetStatus(const StoredTask& t, v1::TaskStatus status) {
  TaskChange c;
  c.state = t.state;
  c.state.status = status;
  return c;
}

// A report as the service writes it: state, one report row and one journal row.
inline absl::StatusOr<TaskChange> AddReport(const StoredTask& t, int percent) {
  TaskChange c;
  c.state = t.state;
  c.state.status = v1::TASK_STATUS_IN_PROGRESS;
  c.state.percent = percent;
  c.state.updated_at = absl::FromUnixSeconds(1700000100);
  v1::ProgressReport r;
  r.set_unit("甲局");
  r.set_reporter("经办人");
  r.set_period("2023-11");
  r.set_percent(percent);
  c.report = r;
  v1::JournalEntry e;
  e.set_actor("经办人@甲局");
  e.set_action("report");
  e.set_field("percent");
  e.set_old_value(std::to_string(t.state.percent));
  e.set_new_value(std::to_string(percent));
  c.journal.push_back(e);
  return c;
}

// The event a writer stores with a change: `action` at `at`.
inline v1::TaskEvent EventAt(const std::string& action, absl::Time at) {
  v1::TaskEvent e;
  e.set_action(action);
  *e.mutable_at() = ToTimestamp(at);
  return e;
}

// A report (AddReport) that stores its event, as the service's mutators do.
inline TaskMutator ReportWithEvent(int percent) {
  return [percent](const StoredTask& t) -> absl::StatusOr<TaskChange> {
    absl::StatusOr<TaskChange> c = AddReport(t, percent);
    if (c.ok()) {
      c->event = EventAt("report", c->state.updated_at);
      c->event->mutable_task()->set_id(t.id);
      c->event->mutable_task()->set_percent_complete(percent);
    }
    return c;
  };
}

// The idempotency key of a report request `id` by `caller`.
inline RequestKey Key(const std::string& id, const std::string& fingerprint = "fp-1",
                      const std::string& caller = "office:经办人@甲局") {
  return RequestKey{caller, id, "report", fingerprint};
}

}  // namespace luoshi::tasks::testing

#endif  // LUOSHI_SERVICES_TASKS_STORE_TEST_UTIL_H_
