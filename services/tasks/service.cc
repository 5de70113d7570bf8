#include "services/tasks/service.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "services/common/enums.h"
#include "services/common/limits.h"
#include "services/common/log.h"
#include "services/common/paging.h"
#include "services/common/status_macros.h"
#include "services/common/time.h"
#include "services/common/wire.h"
#include "services/tasks/access.h"
#include "services/tasks/csv.h"
#include "services/tasks/errors.h"
#include "services/tasks/service_internal.h"

namespace luoshi::tasks {
namespace service_internal {

std::string Actor(const Identity& who) {
  if (!who.unit.empty()) return absl::StrCat(who.user, "@", who.unit);
  return absl::StrCat(who.user, " (", RoleName(who.role), ")");
}

v1::JournalEntry Entry(const Identity& who, absl::Time at, const std::string& action,
                       const std::string& field, const std::string& old_value,
                       const std::string& new_value) {
  v1::JournalEntry e;
  e.set_actor(Actor(who));
  *e.mutable_at() = ToTimestamp(at);
  e.set_action(action);
  e.set_field(field);
  e.set_old_value(old_value);
  e.set_new_value(new_value);
  e.set_token_id(who.token_id);
  return e;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return absl::StrJoin(list, "、");
}

// ListTasks pages within one filter (services/common/paging.h): the filter's bytes are part of the scope.
std::string TasksScope(const v1::ListTasksRequest& request) {
  return PageScope({"ListTasks", request.filter().SerializeAsString()});
}

// The sort key after which the requested page starts; -1 for the first page.
absl::StatusOr<int64_t> CursorFromToken(const v1::ListTasksRequest& request) {
  if (request.page().page_token().empty()) return -1;
  LUOSHI_ASSIGN_OR_RETURN(std::string cursor, DecodePageToken(request.page().page_token(), TasksScope(request)));
  int64_t key = 0;
  if (!absl::SimpleAtoi(cursor, &key) || key < 0) return InvalidPageToken();
  return key;
}

std::string TokenFromCursor(const v1::ListTasksRequest& request, int64_t sort_key) {
  return EncodePageToken(TasksScope(request), absl::StrCat(sort_key));
}

// TaskDefinition.indicator_id read from a serialized definition without parsing the rest.
std::string IndicatorIdOf(const std::string& definition_bytes) {
  using google::protobuf::internal::WireFormatLite;
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(definition_bytes.data()),
      static_cast<int>(definition_bytes.size()));
  const uint32_t wanted = WireFormatLite::MakeTag(v1::TaskDefinition::kIndicatorIdFieldNumber,
                                                  WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  std::string id;
  while (const uint32_t tag = in.ReadTag()) {
    if (tag == wanted) {
      uint32_t length = 0;
      if (!in.ReadVarint32(&length) || !in.ReadString(&id, static_cast<int>(length))) break;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return id;
}

std::string CompletionRate(int done, int count) {
  if (count == 0) return "0.0";
  const int64_t tenths = (static_cast<int64_t>(done) * 1000 + count / 2) / count;
  return absl::StrFormat("%d.%d", tenths / 10, tenths % 10);
}

// Dedupes while keeping order.
std::vector<std::string> Unique(std::vector<std::string> in) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (std::string& s : in) {
    if (!s.empty() && seen.insert(s).second) out.push_back(std::move(s));
  }
  return out;
}

void SetRepeated(google::protobuf::RepeatedPtrField<std::string>* field,
                 const std::vector<std::string>& values) {
  field->Clear();
  for (const std::string& v : values) *field->Add() = v;
}

}  // namespace service_internal

using service_internal::CursorFromToken;
using service_internal::IndicatorIdOf;
using service_internal::TokenFromCursor;

TaskLogic::TaskLogic(TaskStore* store, const UnitDirectory* units, const Clock* clock,
                         IndicatorActuals* indicators, TrackerOptions options)
    : store_(store),
      units_(units),
      clock_(clock),
      indicators_(indicators),
      options_(options),
      broadcaster_(options.watch_queue_capacity, options.max_watchers) {
  // Watchers are told of changes from now on: start after the newest stored event. When the store cannot
  // say, the first PumpEvents starts there instead.
  absl::StatusOr<EventBatch> ends = store_->ReadEventsAfter(0, 0);
  absl::MutexLock lock(&pump_mu_);
  if (ends.ok()) pumped_through_ = ends->newest;
}

v1::Task TaskLogic::ToProto(const StoredTask& t) const {
  StoredTask copy = t;
  v1::Task out;
  FillTask(std::move(copy), LightClockAt(clock_->Now(), options_.rules), &out);
  return out;
}

void TaskLogic::FillTask(StoredTask&& t, const LightClock& clock, v1::Task* out) const {
  FillTaskState(t, clock, t.definition.deadline().date(), t.definition.indicator_id(), out);
  // Swap when both live on the heap (no copy); a response on an arena takes a copy instead.
  out->mutable_definition()->Swap(&t.definition);
}

void TaskLogic::FillTaskState(StoredTask& t, const LightClock& clock,
                                const std::string& deadline_date, const std::string& indicator_id,
                                v1::Task* out) const {
  out->set_id(std::move(t.id));
  out->set_plan_id(std::move(t.plan_id));
  out->set_status(t.state.status);
  LightInputs in;
  in.status = t.state.status;
  in.percent = t.state.percent;
  in.deadline_date = deadline_date;
  in.assigned_at = t.assigned_at;
  in.last_report_period = std::move(t.state.last_report_period);
  out->set_light(DeriveLight(in, clock, options_.rules));
  out->set_percent_complete(t.state.percent);
  if (t.state.last_report_at) *out->mutable_last_report_at() = ToTimestamp(*t.state.last_report_at);
  if (indicators_ != nullptr && !indicator_id.empty()) {
    out->set_indicator_actual(indicators_->LatestActual(indicator_id, t.region));
  }
  *out->mutable_updated_at() = ToTimestamp(t.state.updated_at);
}

bool TaskLogic::Matches(const v1::Task& task, const v1::TaskFilter& f) const {
  const v1::TaskDefinition& d = task.definition();
  if (!f.plan_id().empty() && task.plan_id() != f.plan_id()) return false;
  if (!f.unit().empty()) {
    const std::string unit = units_->Canonical(f.unit());
    if (std::find(d.responsible_units().begin(), d.responsible_units().end(), unit) ==
        d.responsible_units().end()) {
      return false;
    }
  }
  if (!f.leader().empty()) {
    const std::string leader = TrimName(f.leader());
    if (std::find(d.lead_leaders().begin(), d.lead_leaders().end(), leader) ==
        d.lead_leaders().end()) {
      return false;
    }
  }
  if (f.status() != v1::TASK_STATUS_UNSPECIFIED && task.status() != f.status()) return false;
  if (f.light() != v1::LIGHT_UNSPECIFIED && task.light() != f.light()) return false;
  const std::string& due = d.deadline().date();
  if (!f.due_before().empty() && (due.empty() || due > f.due_before())) return false;
  if (!f.due_after().empty() && (due.empty() || due < f.due_after())) return false;
  if (!f.text().empty() && !absl::StrContains(d.text(), f.text())) return false;
  return true;
}

v1::TaskEvent TaskLogic::EventOf(StoredTask task, const std::string& action, absl::Time at) const {
  v1::TaskEvent event;
  const std::string deadline = task.definition.deadline().date();
  FillTaskState(task, LightClockAt(at, options_.rules), deadline, /*indicator_id=*/"", event.mutable_task());
  event.mutable_task()->mutable_definition()->Swap(&task.definition);
  event.set_action(action);
  *event.mutable_at() = ToTimestamp(at);
  return event;
}

v1::TaskEvent TaskLogic::EventAfter(const StoredTask& before, const TaskState& after, const std::string& action,
                                    absl::Time at) const {
  StoredTask task = before;
  task.state = after;
  return EventOf(std::move(task), action, at);
}

void TaskLogic::Decorate(StoredEvent& stored) const {
  v1::Task* task = stored.event.mutable_task();
  const std::string& indicator_id = task->definition().indicator_id();
  if (indicators_ != nullptr && !indicator_id.empty()) {
    task->set_indicator_actual(indicators_->LatestActual(indicator_id, stored.region));
  }
}

void TaskLogic::PumpEvents() {
  constexpr int kBatch = 256;
  absl::MutexLock lock(&pump_mu_);
  if (pumped_through_ < 0) {
    absl::StatusOr<EventBatch> ends = store_->ReadEventsAfter(0, 0);
    if (!ends.ok()) {
      LogWarning("cannot read the change events for WatchTasks", {{"error", ends.status().ToString()}});
      return;
    }
    pumped_through_ = ends->newest;
  }
  while (true) {
    absl::StatusOr<EventBatch> batch = store_->ReadEventsAfter(pumped_through_, kBatch);
    if (!batch.ok()) {
      // The events stay stored: the next write or notification publishes them.
      LogWarning("cannot read the change events for WatchTasks", {{"error", batch.status().ToString()}});
      return;
    }
    for (StoredEvent& e : batch->events) {
      pumped_through_ = e.event.sequence();
      Decorate(e);
      broadcaster_.Publish(e.event);
    }
    if (static_cast<int>(batch->events.size()) < kBatch) break;
  }
  MaybePruneEvents();
}

void TaskLogic::MaybePruneEvents() {
  const absl::Time now = clock_->Now();
  if (now - last_prune_ < absl::Hours(1)) return;
  last_prune_ = now;
  absl::StatusOr<int> pruned = store_->PruneEvents(now - options_.event_retention);
  if (!pruned.ok()) LogWarning("cannot prune old change events", {{"error", pruned.status().ToString()}});
}

absl::Status TaskLogic::FollowOtherReplicas() {
  LUOSHI_ASSIGN_OR_RETURN(follower_, store_->FollowOtherWriters([this] { PumpEvents(); }));
  // What other replicas committed before the listener started.
  PumpEvents();
  return absl::OkStatus();
}

void TaskLogic::Shutdown() {
  broadcaster_.Close();
  follower_.reset();
}

// ---- Reading tasks --------------------------------------------------------------------------

namespace {

// A status or light the service does not know would match nothing and look like "no such tasks".
absl::Status CheckFilterEnums(const v1::TaskFilter& f) {
  LUOSHI_RETURN_IF_ERROR(CheckEnumValue("filter.status", f.status(), v1::TaskStatus_descriptor()));
  return CheckEnumValue("filter.light", f.light(), v1::Light_descriptor());
}

}  // namespace

absl::StatusOr<TaskQuery> TaskLogic::QueryFromFilter(const v1::TaskFilter& f) const {
  LUOSHI_RETURN_IF_ERROR(CheckFilterEnums(f));
  TaskQuery q;
  if (!f.plan_id().empty()) {
    LUOSHI_RETURN_IF_ERROR(store_->GetPlan(f.plan_id()).status());
    q.plan_id = f.plan_id();
  }
  if (!f.unit().empty()) q.unit = units_->Canonical(f.unit());
  if (!f.leader().empty()) q.leader = TrimName(f.leader());
  if (f.status() != v1::TASK_STATUS_UNSPECIFIED) q.statuses.push_back(f.status());
  if (!f.due_before().empty() && !ParseIsoDate(f.due_before())) {
    return InvalidDate("due_before", f.due_before());
  }
  if (!f.due_after().empty() && !ParseIsoDate(f.due_after())) {
    return InvalidDate("due_after", f.due_after());
  }
  q.due_before = f.due_before();
  q.due_after = f.due_after();
  q.text = f.text();
  return q;
}

absl::StatusOr<v1::ListTasksResponse> TaskLogic::ListTasks(const Identity& who,
                                                             const v1::ListTasksRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  LUOSHI_ASSIGN_OR_RETURN(int page_size, PageSizeOf(request.page().page_size()));
  LUOSHI_ASSIGN_OR_RETURN(int64_t cursor, CursorFromToken(request));
  LUOSHI_ASSIGN_OR_RETURN(TaskQuery query, QueryFromFilter(request.filter()));
  const v1::Light light = request.filter().light();
  v1::ListTasksResponse response;

  const LightClock clock = LightClockAt(clock_->Now(), options_.rules);
  if (light == v1::LIGHT_UNSPECIFIED) {
    query.after_sort_key = cursor;
    query.limit = page_size + 1;
    LUOSHI_ASSIGN_OR_RETURN(TaskPage page, store_->QueryTaskPage(query));
    std::vector<StoredTask>& rows = page.tasks;
    const bool more = static_cast<int>(rows.size()) > page_size;
    if (more) rows.resize(page_size);
    if (more) response.set_next_page_token(TokenFromCursor(request, rows.back().sort_key));
    response.mutable_tasks()->Reserve(static_cast<int>(rows.size()));
    for (StoredTask& t : rows) FillTask(std::move(t), clock, response.add_tasks());
    response.set_total(page.total);
    return response;
  }

  // The light depends on the clock, so it is applied here: scan every match in order, keep the
  // page after the cursor and count the total.
  query.limit = 1000;
  int total = 0;
  bool more = false;
  int64_t last_key = -1;
  int64_t page_last_key = -1;
  while (true) {
    query.after_sort_key = last_key;
    LUOSHI_ASSIGN_OR_RETURN(std::vector<StoredTask> rows, store_->QueryTasks(query));
    for (StoredTask& t : rows) {
      last_key = t.sort_key;
      const int64_t sort_key = t.sort_key;
      v1::Task task;
      FillTask(std::move(t), clock, &task);
      if (task.light() != light) continue;
      ++total;
      if (sort_key <= cursor) continue;
      if (response.tasks_size() < page_size) {
        *response.add_tasks() = std::move(task);
        page_last_key = sort_key;
      } else {
        more = true;
      }
    }
    if (static_cast<int>(rows.size()) < query.limit) break;
  }
  if (more) response.set_next_page_token(TokenFromCursor(request, page_last_key));
  response.set_total(total);
  return response;
}

absl::StatusOr<std::string> TaskLogic::ListTasksBytes(const Identity& who,
                                                        const v1::ListTasksRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  if (request.filter().light() != v1::LIGHT_UNSPECIFIED) {
    // Filtering by light scans and judges every match: no gain from the stored bytes there.
    LUOSHI_ASSIGN_OR_RETURN(v1::ListTasksResponse response, ListTasks(who, request));
    return response.SerializeAsString();
  }
  LUOSHI_ASSIGN_OR_RETURN(int page_size, PageSizeOf(request.page().page_size()));
  LUOSHI_ASSIGN_OR_RETURN(int64_t cursor, CursorFromToken(request));
  LUOSHI_ASSIGN_OR_RETURN(TaskQuery query, QueryFromFilter(request.filter()));
  const LightClock clock = LightClockAt(clock_->Now(), options_.rules);
  query.after_sort_key = cursor;
  query.limit = page_size + 1;
  query.definition_bytes = true;
  LUOSHI_ASSIGN_OR_RETURN(TaskPage page, store_->QueryTaskPage(query));
  std::vector<StoredTask>& rows = page.tasks;
  const bool more = static_cast<int>(rows.size()) > page_size;
  if (more) rows.resize(page_size);

  // Each task: the message without its definition, then the stored definition as field 3 (a
  // parser accepts fields in any order), framed as field 1 of ListTasksResponse; then the page
  // token and total as a message of their own (concatenated messages merge).
  std::string out;
  std::string task_bytes;
  v1::Task shell;
  for (StoredTask& t : rows) {
    shell.Clear();
    const std::string indicator_id =
        indicators_ != nullptr ? IndicatorIdOf(t.definition_bytes) : std::string();
    FillTaskState(t, clock, t.deadline_date, indicator_id, &shell);
    task_bytes.clear();
    shell.AppendToString(&task_bytes);
    wire::AppendBytesField(v1::Task::kDefinitionFieldNumber, t.definition_bytes, &task_bytes);
    wire::AppendBytesField(v1::ListTasksResponse::kTasksFieldNumber, task_bytes, &out);
  }
  v1::ListTasksResponse tail;
  if (more) tail.set_next_page_token(TokenFromCursor(request, rows.back().sort_key));
  tail.set_total(page.total);
  tail.AppendToString(&out);
  return out;
}

absl::StatusOr<v1::TaskDetail> TaskLogic::GetTask(const Identity& who,
                                                    const v1::GetTaskRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  if (request.id().empty()) return MissingField("id");
  LUOSHI_ASSIGN_OR_RETURN(StoredTask task, store_->GetTask(request.id()));
  v1::TaskDetail detail;
  *detail.mutable_task() = ToProto(task);
  LUOSHI_ASSIGN_OR_RETURN(auto reports, store_->ReportsOf(task.id));
  for (auto& r : reports) *detail.add_reports() = std::move(r);
  LUOSHI_ASSIGN_OR_RETURN(auto reviews, store_->ReviewsOf(task.id));
  for (auto& r : reviews) *detail.add_reviews() = std::move(r);
  LUOSHI_ASSIGN_OR_RETURN(auto journal, store_->JournalOf(task.id));
  for (auto& e : journal) *detail.add_journal() = std::move(e);
  return detail;
}

absl::StatusOr<v1::ListUnitsResponse> TaskLogic::ListUnits(const Identity& who,
                                                             const v1::ListUnitsRequest&) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  LUOSHI_ASSIGN_OR_RETURN(std::vector<std::string> names, store_->UnitNames());
  std::set<std::string> all(names.begin(), names.end());
  for (const UnitEntry& e : units_->entries()) all.insert(e.name);
  v1::ListUnitsResponse response;
  for (const std::string& name : all) {
    v1::Unit* u = response.add_units();
    u->set_id(name);
    u->set_name(name);
    for (const std::string& a : units_->AliasesOf(name)) u->add_aliases(a);
    u->set_collective(units_->ScopeOf(name) != CollectiveScope::kNone);
  }
  return response;
}

// ---- Live board and export ------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Subscription>> TaskLogic::WatchTasks(
    const Identity& who, const v1::WatchTasksRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  const v1::TaskFilter& f = request.filter();
  LUOSHI_RETURN_IF_ERROR(CheckFilterEnums(f));
  if (!f.due_before().empty() && !ParseIsoDate(f.due_before())) {
    return InvalidDate("due_before", f.due_before());
  }
  if (!f.due_after().empty() && !ParseIsoDate(f.due_after())) {
    return InvalidDate("due_after", f.due_after());
  }
  const int64_t after = request.after_sequence();
  if (after < 0) return NegativeSequence(after);
  v1::TaskFilter filter = f;
  LUOSHI_ASSIGN_OR_RETURN(
      std::unique_ptr<Subscription> sub,
      broadcaster_.Subscribe([this, filter](const v1::Task& task) { return Matches(task, filter); }));
  if (after == 0) return sub;
  // Subscribed first, then the stored events read: whatever commits meanwhile is in one or the other (or
  // both, and Resume drops the live copy), so the stream has no gap and no duplicate.
  constexpr int kBatch = 256;
  const size_t limit = options_.watch_queue_capacity;
  std::vector<v1::TaskEvent> missed;
  int64_t through = after;
  int64_t newest = 0;
  bool read_any = false;
  while (true) {
    LUOSHI_ASSIGN_OR_RETURN(EventBatch batch, store_->ReadEventsAfter(through, kBatch));
    if (after < batch.pruned_through) return ChangesNoLongerKept(after, batch.pruned_through);
    newest = batch.newest;
    for (StoredEvent& e : batch.events) {
      through = e.event.sequence();
      read_any = true;
      if (!Matches(e.event.task(), filter)) continue;
      if (missed.size() >= limit) return TooManyMissedChanges(after, limit);
      Decorate(e);
      missed.push_back(std::move(e.event));
    }
    if (static_cast<int>(batch.events.size()) < kBatch) break;
  }
  // A token beyond the newest event (another database, a restore): live events only.
  if (!read_any) through = std::min(after, newest);
  sub->Resume(std::move(missed), through);
  return sub;
}

absl::Status TaskLogic::ExportTasks(const Identity& who, const v1::ExportTasksRequest& request,
                                      const std::function<bool(const std::string&)>& sink) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  std::string buffer = kUtf8Bom;
  auto flush = [&](bool force) -> absl::Status {
    if (buffer.empty() || (!force && buffer.size() < kExportChunkBytes)) return absl::OkStatus();
    if (!sink(buffer)) return absl::CancelledError("the client stopped reading the export");
    buffer.clear();
    return absl::OkStatus();
  };
  const absl::TimeZone zone = options_.rules.zone;
  if (request.what_case() == v1::ExportTasksRequest::kLedger) {
    LUOSHI_ASSIGN_OR_RETURN(v1::Ledger ledger, GetLedger(who, request.ledger()));
    buffer += LedgerCsvHeader(ledger.grouping());
    for (const v1::LedgerRow& row : ledger.rows()) {
      buffer += LedgerCsvRow(row, zone);
      LUOSHI_RETURN_IF_ERROR(flush(false));
    }
    return flush(true);
  }
  buffer += TaskCsvHeader();
  v1::ListTasksRequest list;
  *list.mutable_filter() = request.tasks();
  list.mutable_page()->set_page_size(kMaxPageSize);
  while (true) {
    LUOSHI_ASSIGN_OR_RETURN(v1::ListTasksResponse page, ListTasks(who, list));
    for (const v1::Task& t : page.tasks()) {
      buffer += TaskCsvRow(t, zone);
      LUOSHI_RETURN_IF_ERROR(flush(false));
    }
    if (page.next_page_token().empty()) break;
    list.mutable_page()->set_page_token(page.next_page_token());
  }
  return flush(true);
}

}  // namespace luoshi::tasks
