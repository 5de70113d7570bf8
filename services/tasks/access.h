// Who may do what with tasks (the authorization matrix of docs/tasks.md):
//
//   action            admin  supervisor  office                       viewer  service
//   read (all reads)   yes     yes        yes                          yes     yes
//   import a plan      yes     yes        no                           no      for the uploader (*)
//   report progress    yes     no         only its unit's tasks        no      no
//   review a task      yes     yes        no                           no      no
//
// (*) the ingestion service imports a plan on behalf of the person who uploaded it (on_behalf_of): the
// import is then allowed exactly when that person may import. The whole matrix of the three services is
// docs/authorization.md.
//
// "Its unit's tasks": the office's unit (alias-normalized) is one of the task's responsible units
// (lead or co-responsible), or a responsible collective covers it (各部门、各单位 covers every office;
// 相关属地 / 各镇街 cover town and street offices). Cooperating units (配合单位) do not report.
// Identity comes from services/common/identity.h; absent identity is rejected there
// (UNAUTHENTICATED) before these checks run. Denials are PERMISSION_DENIED naming the role or unit.
#ifndef LUOSHI_SERVICES_TASKS_ACCESS_H_
#define LUOSHI_SERVICES_TASKS_ACCESS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "luoshi/v1/tasks.pb.h"
#include "services/common/identity.h"
#include "services/tasks/unit_directory.h"

namespace luoshi::tasks {

absl::Status CheckMayRead(const Identity& who);
// Who an import is made as: the caller, or the person it names in on_behalf_of when the caller is a
// Luoshi service (role service); PERMISSION_DENIED when anyone else names someone.
absl::StatusOr<Identity> ActingFor(const Identity& caller, const v1::ImportPlanRequest& request);
absl::Status CheckMayImport(const Identity& who);
// Role part of reporting (before the task is known).
absl::Status CheckMayReportAtAll(const Identity& who);
// Unit part: `task_id` and `definition` (canonical unit names) of the task reported on.
absl::Status CheckMayReportOn(const Identity& who, const std::string& task_id,
                              const v1::TaskDefinition& definition, const UnitDirectory& units);
absl::Status CheckMayReview(const Identity& who);

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_ACCESS_H_
