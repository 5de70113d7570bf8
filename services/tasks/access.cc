#include "services/tasks/access.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status_macros.h"
#include "services/tasks/errors.h"

namespace luoshi::tasks {

absl::Status CheckMayRead(const Identity&) { return absl::OkStatus(); }

absl::StatusOr<Identity> ActingFor(const Identity& caller, const v1::ImportPlanRequest& request) {
  if (!request.has_on_behalf_of()) return caller;
  if (caller.role != Role::kService) {
    return absl::PermissionDeniedError(absl::StrCat(
        "role ", RoleName(caller.role),
        " may not import on behalf of someone else (on_behalf_of); only a Luoshi service may"));
  }
  return IdentityFromPrincipal(request.on_behalf_of());
}

absl::Status CheckMayImport(const Identity& who) {
  if (who.role == Role::kAdmin || who.role == Role::kSupervisor) return absl::OkStatus();
  return RoleMayNot(RoleName(who.role), "import plans; only a supervisor or an administrator may");
}

absl::Status CheckMayReportAtAll(const Identity& who) {
  switch (who.role) {
    case Role::kAdmin:
      return absl::OkStatus();
    case Role::kOffice:
      if (who.unit.empty()) return OfficeWithoutUnit(who.user);
      return absl::OkStatus();
    case Role::kSupervisor:
      return RoleMayNot("supervisor",
                        "report progress for an office; the responsible office reports and the "
                        "supervisor reviews");
    case Role::kViewer:
    case Role::kService:
      break;
  }
  return RoleMayNot(RoleName(who.role), "report progress (read-only access)");
}

absl::Status CheckMayReportOn(const Identity& who, const std::string& task_id,
                              const v1::TaskDefinition& definition, const UnitDirectory& units) {
  LUOSHI_RETURN_IF_ERROR(CheckMayReportAtAll(who));
  if (who.role == Role::kAdmin) return absl::OkStatus();
  const std::string office = units.Canonical(who.unit);
  for (const std::string& responsible : definition.responsible_units()) {
    if (units.Covers(responsible, office)) return absl::OkStatus();
  }
  return NotResponsibleUnit(office, task_id, absl::StrJoin(definition.responsible_units(), "、"));
}

absl::Status CheckMayReview(const Identity& who) {
  if (who.role == Role::kAdmin || who.role == Role::kSupervisor) return absl::OkStatus();
  return RoleMayNot(RoleName(who.role),
                    "review tasks; only the supervising office (supervisor) or an administrator "
                    "accepts or returns a completion claim");
}

}  // namespace luoshi::tasks
