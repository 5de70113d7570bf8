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
#include "google/protobuf/util/time_util.h"
#include "google/protobuf/wire_format_lite.h"
#include "services/common/limits.h"
#include "services/common/status_macros.h"
#include "services/common/wire.h"
#include "services/tasks/access.h"
#include "services/tasks/csv.h"
#include "services/tasks/errors.h"

namespace luoshi::tasks {
namespace {

constexpr char kPageTokenPrefix[] = "after:";

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

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
  return e;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return absl::StrJoin(list, "、");
}

absl::StatusOr<int> PageSize(const v1::PageRequest& page) {
  if (page.page_size() < 0 || page.page_size() > kMaxPageSize) return BadPageSize(page.page_size());
  return page.page_size() == 0 ? kDefaultPageSize : page.page_size();
}

absl::StatusOr<int64_t> CursorFromToken(const std::string& token) {
  if (token.empty()) return -1;
  int64_t key = 0;
  if (!absl::StartsWith(token, kPageTokenPrefix) ||
      !absl::SimpleAtoi(token.substr(sizeof(kPageTokenPrefix) - 1), &key) || key < 0) {
    return BadPageToken(token);
  }
  return key;
}

std::string TokenFromCursor(int64_t sort_key) { return absl::StrCat(kPageTokenPrefix, sort_key); }

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

}  // namespace

TaskLogic::TaskLogic(TaskStore* store, const UnitDirectory* units, const Clock* clock,
                         IndicatorActuals* indicators, TrackerOptions options)
    : store_(store),
      units_(units),
      clock_(clock),
      indicators_(indicators),
      options_(options),
      broadcaster_(options.watch_queue_capacity) {}

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

void TaskLogic::Publish(const v1::Task& task, const std::string& action) {
  v1::TaskEvent event;
  *event.mutable_task() = task;
  event.set_action(action);
  *event.mutable_at() = ToTimestamp(clock_->Now());
  broadcaster_.Publish(event);
}

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

// ---- Plans ----------------------------------------------------------------------------------

absl::StatusOr<v1::TaskDefinition> TaskLogic::NormalizeDefinition(
    const v1::TaskDefinition& in) const {
  if (TrimName(in.number()).empty()) return MissingField("every task's number");
  if (TrimName(in.text()).empty()) {
    return MissingField(absl::StrCat("the text of task ", in.number()));
  }
  if (!in.deadline().date().empty() && !ParseIsoDate(in.deadline().date())) {
    return BadDate(absl::StrCat("deadline of task ", in.number()), in.deadline().date());
  }
  v1::TaskDefinition out = in;
  out.set_number(TrimName(in.number()));
  out.set_text(TrimName(in.text()));
  std::vector<std::string> responsible = units_->CanonicalList({in.responsible_units().begin(),
                                                                in.responsible_units().end()});
  std::vector<std::string> cooperating;
  for (const std::string& c : units_->CanonicalList(
           {in.cooperating_units().begin(), in.cooperating_units().end()})) {
    if (std::find(responsible.begin(), responsible.end(), c) == responsible.end()) {
      cooperating.push_back(c);
    }
  }
  std::vector<std::string> leaders;
  for (const std::string& l : in.lead_leaders()) leaders.push_back(TrimName(l));
  SetRepeated(out.mutable_responsible_units(), responsible);
  SetRepeated(out.mutable_cooperating_units(), cooperating);
  SetRepeated(out.mutable_lead_leaders(), Unique(std::move(leaders)));
  if (out.section_path().empty() && !in.provenance().section_path().empty()) {
    *out.mutable_section_path() = in.provenance().section_path();
  }
  return out;
}

absl::StatusOr<v1::ImportPlanResponse> TaskLogic::ImportPlan(
    const Identity& who, const v1::ImportPlanRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayImport(who));
  if (request.document_sha256().empty()) return MissingField("document_sha256");
  if (request.tasks().empty()) return MissingField("at least one task");
  std::string plan_key = request.plan_key();
  if (plan_key.empty()) {
    if (request.title().empty()) return MissingField("plan_key (or a title to derive it from)");
    plan_key = absl::StrCat(request.region(), "|", request.year(), "|", request.title());
  }
  // A concurrent import of another version of the same plan makes the store answer ABORTED; the
  // second attempt then builds on the version that won.
  absl::StatusOr<v1::ImportPlanResponse> result;
  for (int attempt = 0; attempt < 3; ++attempt) {
    result = ImportOnce(who, request, plan_key);
    if (result.ok() || result.status().code() != absl::StatusCode::kAborted) break;
  }
  return result;
}

absl::StatusOr<v1::ImportPlanResponse> TaskLogic::ImportOnce(const Identity& who,
                                                               const v1::ImportPlanRequest& request,
                                                               const std::string& plan_key) {
  v1::ImportPlanResponse response;
  LUOSHI_ASSIGN_OR_RETURN(std::optional<v1::Plan> existing,
                         store_->FindPlanByDocument(request.document_sha256()));
  if (existing) {
    *response.mutable_plan() = *existing;
    response.set_created(false);
    return response;
  }
  LUOSHI_ASSIGN_OR_RETURN(std::optional<v1::Plan> current, store_->CurrentPlan(plan_key));
  std::vector<StoredTask> previous;
  if (current) {
    LUOSHI_ASSIGN_OR_RETURN(previous, store_->TasksOfPlan(current->id()));
  }

  const absl::Time now = clock_->Now();
  PlanWrite write;
  write.plan.set_plan_key(plan_key);
  write.plan.set_title(request.title());
  write.plan.set_year(request.year());
  write.plan.set_region(request.region());
  write.plan.set_document_id(request.document_id());
  write.document_sha256 = request.document_sha256();
  write.replaces_plan_id = current ? current->id() : "";
  write.at = now;
  const std::string new_version = absl::StrCat("v", current ? current->version() + 1 : 1);

  std::set<std::string> carried;
  for (const v1::TaskDefinition& raw : request.tasks()) {
    LUOSHI_ASSIGN_OR_RETURN(v1::TaskDefinition def, NormalizeDefinition(raw));
    PlanTaskWrite tw;
    const StoredTask* same = nullptr;
    const StoredTask* same_number = nullptr;
    for (const StoredTask& old : previous) {
      if (old.definition.number() != def.number() || carried.count(old.id)) continue;
      if (old.definition.text() == def.text()) same = &old;
      same_number = &old;
      if (same) break;
    }
    if (same != nullptr) {
      carried.insert(same->id);
      tw.carried_task_id = same->id;
      const v1::TaskDefinition& o = same->definition;
      tw.journal.push_back(Entry(who, now, "import", "plan_version",
                                 absl::StrCat("v", current->version(), " (", current->id(), ")"),
                                 absl::StrCat(new_version, " (document ", request.document_id(),
                                              "); text unchanged, progress kept")));
      if (Joined(o.responsible_units()) != Joined(def.responsible_units())) {
        tw.journal.push_back(Entry(who, now, "reassign", "responsible_units",
                                   Joined(o.responsible_units()), Joined(def.responsible_units())));
      }
      if (Joined(o.lead_leaders()) != Joined(def.lead_leaders())) {
        tw.journal.push_back(Entry(who, now, "reassign", "lead_leaders", Joined(o.lead_leaders()),
                                   Joined(def.lead_leaders())));
      }
      if (o.deadline().date() != def.deadline().date() ||
          o.deadline().text() != def.deadline().text()) {
        tw.journal.push_back(Entry(who, now, "import", "deadline", o.deadline().text(),
                                   def.deadline().text()));
      }
    } else {
      tw.journal.push_back(Entry(who, now, "import", "task", "",
                                 absl::StrCat("assigned by plan ", new_version, " ",
                                              request.title().empty() ? plan_key : request.title(),
                                              " (document ", request.document_id(), ")")));
      if (same_number != nullptr) {
        tw.journal.push_back(Entry(who, now, "import", "text", same_number->definition.text(),
                                   def.text()));
        tw.journal.push_back(Entry(who, now, "import", "replaces", same_number->id,
                                   "text changed: progress starts afresh"));
      }
    }
    tw.definition = std::move(def);
    write.tasks.push_back(std::move(tw));
  }

  absl::StatusOr<v1::Plan> plan = store_->WritePlan(write);
  if (plan.status().code() == absl::StatusCode::kAlreadyExists) {
    LUOSHI_ASSIGN_OR_RETURN(existing, store_->FindPlanByDocument(request.document_sha256()));
    if (existing) {
      *response.mutable_plan() = *existing;
      response.set_created(false);
      return response;
    }
  }
  if (!plan.ok()) return plan.status();
  *response.mutable_plan() = *plan;
  response.set_created(true);
  NoteWrite(plan->id(), /*import=*/true);
  LUOSHI_ASSIGN_OR_RETURN(std::vector<StoredTask> written, store_->TasksOfPlan(plan->id()));
  for (const StoredTask& t : written) Publish(ToProto(t), "import");
  return response;
}

absl::StatusOr<v1::ListPlansResponse> TaskLogic::ListPlans(const Identity& who,
                                                             const v1::ListPlansRequest&) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  LUOSHI_ASSIGN_OR_RETURN(std::vector<v1::Plan> plans, store_->ListPlans());
  v1::ListPlansResponse response;
  for (v1::Plan& p : plans) *response.add_plans() = std::move(p);
  return response;
}

// ---- Reading tasks --------------------------------------------------------------------------

absl::StatusOr<TaskQuery> TaskLogic::QueryFromFilter(const v1::TaskFilter& f) const {
  TaskQuery q;
  if (!f.plan_id().empty()) {
    LUOSHI_RETURN_IF_ERROR(store_->GetPlan(f.plan_id()).status());
    q.plan_id = f.plan_id();
  }
  if (!f.unit().empty()) q.unit = units_->Canonical(f.unit());
  if (!f.leader().empty()) q.leader = TrimName(f.leader());
  if (f.status() != v1::TASK_STATUS_UNSPECIFIED) q.statuses.push_back(f.status());
  if (!f.due_before().empty() && !ParseIsoDate(f.due_before())) {
    return BadDate("due_before", f.due_before());
  }
  if (!f.due_after().empty() && !ParseIsoDate(f.due_after())) {
    return BadDate("due_after", f.due_after());
  }
  q.due_before = f.due_before();
  q.due_after = f.due_after();
  q.text = f.text();
  return q;
}

absl::StatusOr<v1::ListTasksResponse> TaskLogic::ListTasks(const Identity& who,
                                                             const v1::ListTasksRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  LUOSHI_ASSIGN_OR_RETURN(int page_size, PageSize(request.page()));
  LUOSHI_ASSIGN_OR_RETURN(int64_t cursor, CursorFromToken(request.page().page_token()));
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
    if (more) response.set_next_page_token(TokenFromCursor(rows.back().sort_key));
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
  if (more) response.set_next_page_token(TokenFromCursor(page_last_key));
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
  LUOSHI_ASSIGN_OR_RETURN(int page_size, PageSize(request.page()));
  LUOSHI_ASSIGN_OR_RETURN(int64_t cursor, CursorFromToken(request.page().page_token()));
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
  if (more) tail.set_next_page_token(TokenFromCursor(rows.back().sort_key));
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

// ---- Progress and review --------------------------------------------------------------------

absl::StatusOr<v1::Task> TaskLogic::ReportProgress(const Identity& who,
                                                     const v1::ReportProgressRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayReportAtAll(who));
  if (request.task_id().empty()) return MissingField("task_id");
  const absl::Time now = clock_->Now();
  const std::string current_period = PeriodOf(now, options_.rules);
  const std::string period = request.period().empty() ? current_period : request.period();
  LUOSHI_RETURN_IF_ERROR(ValidatePeriod(period, options_.rules));
  if (period > current_period) return FuturePeriod(period, current_period);
  std::optional<int> percent;
  if (request.progress_case() == v1::ReportProgressRequest::kPercent) {
    percent = request.percent();
    if (*percent < 0 || *percent > 100) return BadPercent(*percent);
  }
  if (!percent && request.stage().empty() && request.narrative().empty() &&
      !request.claims_completion()) {
    return EmptyReport();
  }

  TaskMutator mutator = [&](const StoredTask& t) -> absl::StatusOr<TaskChange> {
    LUOSHI_RETURN_IF_ERROR(CheckMayReportOn(who, t.id, t.definition, *units_));
    ProgressState before{t.state.status, t.state.percent, t.state.percent_before_claim};
    LUOSHI_ASSIGN_OR_RETURN(ReportEffect effect,
                           ApplyReport(t.id, before, percent, request.claims_completion()));
    TaskChange change;
    change.state = t.state;
    change.state.status = effect.status;
    change.state.percent = effect.percent;
    change.state.percent_before_claim = effect.percent_before_claim;
    if (!request.stage().empty()) change.state.stage = request.stage();
    change.state.last_report_at = now;
    change.state.last_report_period = std::max(t.state.last_report_period, period);
    change.state.updated_at = now;

    v1::ProgressReport report;
    report.set_unit(who.role == Role::kOffice ? units_->Canonical(who.unit) : who.unit);
    report.set_reporter(who.user);
    report.set_period(period);
    if (percent) report.set_percent(*percent);
    if (!percent && !request.stage().empty()) report.set_stage(request.stage());
    report.set_narrative(request.narrative());
    report.set_problems(request.problems());
    report.set_next_steps(request.next_steps());
    *report.mutable_evidence_links() = request.evidence_links();
    report.set_claims_completion(request.claims_completion());
    *report.mutable_reported_at() = ToTimestamp(now);
    change.report = std::move(report);

    change.journal.push_back(Entry(who, now, "report", "period", t.state.last_report_period, period));
    if (effect.status != t.state.status) {
      change.journal.push_back(Entry(who, now, "report", "status", StatusName(t.state.status),
                                     StatusName(effect.status)));
    }
    if (effect.percent != t.state.percent) {
      change.journal.push_back(Entry(who, now, "report", "percent",
                                     absl::StrCat(t.state.percent), absl::StrCat(effect.percent)));
    }
    if (change.state.stage != t.state.stage) {
      change.journal.push_back(Entry(who, now, "report", "stage", t.state.stage, change.state.stage));
    }
    return change;
  };
  LUOSHI_ASSIGN_OR_RETURN(StoredTask written, store_->MutateTask(request.task_id(), mutator));
  NoteWrite(written.plan_id, /*import=*/false);
  v1::Task task = ToProto(written);
  Publish(task, request.claims_completion() ? "claim" : "report");
  return task;
}

absl::StatusOr<v1::Task> TaskLogic::ReviewTask(const Identity& who,
                                                 const v1::ReviewTaskRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayReview(who));
  if (request.task_id().empty()) return MissingField("task_id");
  if (!request.accept() && TrimName(request.comment()).empty()) return ReturnNeedsComment();
  const absl::Time now = clock_->Now();
  TaskMutator mutator = [&](const StoredTask& t) -> absl::StatusOr<TaskChange> {
    ProgressState before{t.state.status, t.state.percent, t.state.percent_before_claim};
    LUOSHI_ASSIGN_OR_RETURN(ReportEffect effect, ApplyReview(t.id, before, request.accept()));
    TaskChange change;
    change.state = t.state;
    change.state.status = effect.status;
    change.state.percent = effect.percent;
    change.state.percent_before_claim = effect.percent_before_claim;
    change.state.updated_at = now;
    v1::Review review;
    review.set_reviewer(who.user);
    review.set_accepted(request.accept());
    review.set_comment(request.comment());
    *review.mutable_reviewed_at() = ToTimestamp(now);
    change.review = std::move(review);
    change.journal.push_back(Entry(who, now, "review", "status", StatusName(t.state.status),
                                   StatusName(effect.status)));
    if (effect.percent != t.state.percent) {
      change.journal.push_back(Entry(who, now, "review", "percent", absl::StrCat(t.state.percent),
                                     absl::StrCat(effect.percent)));
    }
    if (!request.comment().empty()) {
      change.journal.push_back(Entry(who, now, "review", "comment", "", request.comment()));
    }
    return change;
  };
  LUOSHI_ASSIGN_OR_RETURN(StoredTask written, store_->MutateTask(request.task_id(), mutator));
  NoteWrite(written.plan_id, /*import=*/false);
  v1::Task task = ToProto(written);
  Publish(task, request.accept() ? "accept" : "return");
  return task;
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
  // Read the generation before the store: a write committed meanwhile makes this entry stale.
  const LedgerGeneration generation = CurrentGeneration(request.plan_id(), today);
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

// ---- Live board and export ------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<Subscription>> TaskLogic::WatchTasks(
    const Identity& who, const v1::WatchTasksRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayRead(who));
  const v1::TaskFilter& f = request.filter();
  if (!f.due_before().empty() && !ParseIsoDate(f.due_before())) {
    return BadDate("due_before", f.due_before());
  }
  if (!f.due_after().empty() && !ParseIsoDate(f.due_after())) {
    return BadDate("due_after", f.due_after());
  }
  v1::TaskFilter filter = f;
  return broadcaster_.Subscribe(
      [this, filter](const v1::Task& task) { return Matches(task, filter); });
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
