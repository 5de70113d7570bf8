// SqliteTaskStore's writes: plan imports and grouped task mutations (state, reports, reviews, journal).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/status_macros.h"
#include "services/tasks/errors.h"
#include "services/tasks/sqlite_store.h"
#include "services/tasks/sqlite_store_internal.h"

namespace luoshi::tasks {
namespace {

using sql::Connection;
using sql::Statement;
using sqlite_store_internal::Id;
using sqlite_store_internal::kTasksPerPlanKeySpace;
using sqlite_store_internal::LoadTask;
using sqlite_store_internal::Micros;
using sqlite_store_internal::QueryOnePlan;
using sqlite_store_internal::SeqOf;

absl::Status InsertJournal(Connection& c, int64_t task_seq, const v1::JournalEntry& e) {
  LUOSHI_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("INSERT INTO journal (task_seq, actor, at, action, field, old_value, new_value, token_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, task_seq)
      .Bind(2, e.actor())
      .Bind(3, google::protobuf::util::TimeUtil::TimestampToMicroseconds(e.at()))
      .Bind(4, e.action())
      .Bind(5, e.field())
      .Bind(6, e.old_value())
      .Bind(7, e.new_value())
      .Bind(8, e.token_id());
  return st.Run();
}

// Appends a change event (kSchemaV5) in the transaction of its change.
absl::Status InsertEvent(Connection& c, const v1::TaskEvent& event, const std::string& region) {
  LUOSHI_ASSIGN_OR_RETURN(
      Statement st, c.Prepare("INSERT INTO task_events (task_id, action, at, region, event) VALUES (?, ?, ?, ?, ?)"));
  st.Bind(1, event.task().id())
      .Bind(2, event.action())
      .Bind(3, google::protobuf::util::TimeUtil::TimestampToMicroseconds(event.at()))
      .Bind(4, region)
      .BindBlob(5, event.SerializeAsString());
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

absl::Status ApplyChange(Connection& c, int64_t seq, const StoredTask& current, TaskChange& change) {
  const std::string& task_id = current.id;
  const v1::TaskStatus old_status = current.state.status;
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
  if (change.event) LUOSHI_RETURN_IF_ERROR(InsertEvent(c, *change.event, current.region));
  return absl::OkStatus();
}

// A key recorded before: what it was recorded for.
struct RecordedRequest {
  std::string kind;
  int64_t task_seq = 0;
  std::string fingerprint;
};

absl::StatusOr<std::optional<RecordedRequest>> FindRequest(Connection& c, const RequestKey& key) {
  LUOSHI_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("SELECT kind, task_seq, fingerprint FROM requests WHERE caller = ? AND request_id = ?"));
  st.Bind(1, key.caller).Bind(2, key.request_id);
  LUOSHI_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::nullopt;
  return RecordedRequest{st.ColumnText(0), st.ColumnInt(1), st.ColumnBlob(2)};
}

absl::Status InsertRequest(Connection& c, const RequestKey& key, int64_t task_seq, const TaskChange& change,
                           absl::Time at) {
  LUOSHI_ASSIGN_OR_RETURN(Statement st,
                         c.Prepare("INSERT INTO requests (caller, request_id, kind, task_seq, fingerprint, "
                                   "report_seq, review_seq, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, key.caller).Bind(2, key.request_id).Bind(3, key.kind).Bind(4, task_seq).BindBlob(5, key.fingerprint);
  std::optional<int64_t> report = change.report ? SeqOf(change.report->id(), 'R') : std::nullopt;
  std::optional<int64_t> review = change.review ? SeqOf(change.review->id(), 'V') : std::nullopt;
  if (report) {
    st.Bind(6, *report);
  } else {
    st.BindNull(6);
  }
  if (review) {
    st.Bind(7, *review);
  } else {
    st.BindNull(7);
  }
  st.Bind(8, Micros(at));
  return st.Run();
}

}  // namespace

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
      if (tw.event) {
        v1::TaskEvent event = *tw.event;
        event.mutable_task()->set_id(Id('T', task_seq));
        event.mutable_task()->set_plan_id(Id('P', plan_seq));
        LUOSHI_RETURN_IF_ERROR(InsertEvent(c, event, write.plan.region()));
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

absl::StatusOr<StoredTask> SqliteTaskStore::MutateTask(const std::string& task_id, const TaskMutator& mutator,
                                                       const std::optional<RequestKey>& key) {
  PendingMutation mine{&task_id, &mutator, &key};
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
    std::vector<Mutation> batch;
    batch.reserve(group.size());
    for (PendingMutation* p : group) batch.push_back({*p->task_id, *p->mutator, *p->key});
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

std::vector<absl::StatusOr<StoredTask>> SqliteTaskStore::MutateTasks(const std::vector<Mutation>& mutations) {
  std::vector<absl::StatusOr<StoredTask>> results(mutations.size(), absl::InternalError("not attempted"));
  absl::Status s = db_->Write([&](Connection& c) -> absl::Status {
    for (size_t i = 0; i < mutations.size(); ++i) {
      // Not a structured binding: C++17 does not let the lambda below capture one (clang refuses it).
      const std::string& task_id = mutations[i].task_id;
      const TaskMutator& mutator = mutations[i].mutator;
      const std::optional<RequestKey>& key = mutations[i].key;
      results[i] = [&]() -> absl::StatusOr<StoredTask> {
        std::optional<int64_t> seq = SeqOf(task_id, 'T');
        if (!seq) return TaskNotFound(task_id);
        std::optional<RecordedRequest> recorded;
        if (key) {
          // Looked up in the write transaction that would record it: no other writer can come between.
          LUOSHI_ASSIGN_OR_RETURN(recorded, FindRequest(c, *key));
          if (recorded && (recorded->kind != key->kind || recorded->task_seq != *seq ||
                           recorded->fingerprint != key->fingerprint)) {
            return RequestIdReused(key->request_id, recorded->kind, Id('T', recorded->task_seq));
          }
        }
        LUOSHI_ASSIGN_OR_RETURN(std::optional<StoredTask> current, LoadTask(c, *seq));
        if (!current) return TaskNotFound(task_id);
        if (recorded) {
          current->replayed = true;
          return std::move(*current);
        }
        LUOSHI_ASSIGN_OR_RETURN(TaskChange change, mutator(*current));
        LUOSHI_RETURN_IF_ERROR(c.Exec("SAVEPOINT task_change"));
        absl::Status applied = ApplyChange(c, *seq, *current, change);
        if (applied.ok() && key) applied = InsertRequest(c, *key, *seq, change, change.state.updated_at);
        if (!applied.ok()) {
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

absl::StatusOr<int> SqliteTaskStore::PruneEvents(absl::Time before) {
  int deleted = 0;
  LUOSHI_RETURN_IF_ERROR(db_->Write([&](Connection& c) -> absl::Status {
    LUOSHI_ASSIGN_OR_RETURN(Statement last, c.Prepare("SELECT max(seq) FROM task_events WHERE at < ?"));
    last.Bind(1, Micros(before));
    LUOSHI_ASSIGN_OR_RETURN(bool row, last.Step());
    if (!row || last.ColumnIsNull(0)) return absl::OkStatus();
    const int64_t through = last.ColumnInt(0);
    LUOSHI_ASSIGN_OR_RETURN(Statement del, c.Prepare("DELETE FROM task_events WHERE seq <= ?"));
    del.Bind(1, through);
    LUOSHI_RETURN_IF_ERROR(del.Run());
    deleted = c.Changes();
    LUOSHI_ASSIGN_OR_RETURN(Statement horizon,
                            c.Prepare("UPDATE task_event_horizon SET pruned_through = max(pruned_through, ?)"));
    horizon.Bind(1, through);
    return horizon.Run();
  }));
  return deleted;
}

}  // namespace luoshi::tasks
