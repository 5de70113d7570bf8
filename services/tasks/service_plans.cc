// TaskLogic's plans: ImportPlan (a new version carries unchanged tasks over) and ListPlans.
#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "services/tasks/access.h"
#include "services/tasks/errors.h"
#include "services/tasks/service.h"
#include "services/tasks/service_internal.h"

namespace luoshi::tasks {

using service_internal::Entry;
using service_internal::Joined;
using service_internal::SetRepeated;
using service_internal::Unique;

// ---- Plans ----------------------------------------------------------------------------------

absl::StatusOr<v1::TaskDefinition> TaskLogic::NormalizeDefinition(
    const v1::TaskDefinition& in) const {
  if (TrimName(in.number()).empty()) return MissingField("every task's number");
  if (TrimName(in.text()).empty()) {
    return MissingField(absl::StrCat("the text of task ", in.number()));
  }
  if (!in.deadline().date().empty() && !ParseIsoDate(in.deadline().date())) {
    return InvalidDate(absl::StrCat("deadline of task ", in.number()), in.deadline().date());
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
    const Identity& caller, const v1::ImportPlanRequest& request) {
  // The ingestion service delivers a plan on behalf of whoever uploaded it; the import is decided and
  // journalled as that person.
  LUOSHI_ASSIGN_OR_RETURN(const Identity who, ActingFor(caller, request));
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
    // The event stored with the import: the task as it will be after it (the store fills in the ids).
    StoredTask after;
    if (same != nullptr) {
      after = *same;
    } else {
      after.assigned_at = now;
    }
    after.region = request.region();
    after.definition = def;
    after.state.updated_at = now;
    tw.event = EventOf(std::move(after), "import", now);
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
  PumpEvents();
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

}  // namespace luoshi::tasks
