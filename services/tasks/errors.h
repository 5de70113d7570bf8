// Named errors of the task service. Every message says what was wrong and, where it helps, what to do;
// the gRPC layer maps the absl::Status code in one place (services/common/status.h).
#ifndef LUOSHI_SERVICES_TASKS_ERRORS_H_
#define LUOSHI_SERVICES_TASKS_ERRORS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace luoshi::tasks {

absl::Status TaskNotFound(const std::string& task_id);
absl::Status PlanNotFound(const std::string& plan_id);
absl::Status NotResponsibleUnit(const std::string& unit, const std::string& task_id,
                                const std::string& responsible);
absl::Status RoleMayNot(const char* role, const std::string& action);
absl::Status OfficeWithoutUnit(const std::string& user);
absl::Status TaskAlreadyDone(const std::string& task_id);
absl::Status NoCompletionClaim(const std::string& task_id, const char* status);
absl::Status ReturnNeedsComment();
// The reviewer sent the task's latest report: a claim is never judged by the one who made it.
absl::Status ReviewerIsReporter(const std::string& task_id, const std::string& user);
absl::Status InvalidPercent(int percent);
absl::Status InvalidPeriod(const std::string& period, const std::string& expected);
absl::Status FuturePeriod(const std::string& period, const std::string& current);
absl::Status EmptyReport();
// request_id longer than kMaxRequestIdBytes or with a character outside printable ASCII.
absl::Status InvalidRequestId(const std::string& why);
// The caller's request_id was recorded before for another request (kind "report"/"review", a task).
absl::Status RequestIdReused(const std::string& request_id, const std::string& kind,
                             const std::string& task_id);
absl::Status InvalidDate(const std::string& field, const std::string& value);
absl::Status MissingField(const std::string& field);
absl::Status WatcherTooSlow(size_t capacity);
absl::Status ServerShuttingDown();
absl::Status TooManyWatchers(int limit);
// WatchTasksRequest.after_sequence below 0.
absl::Status NegativeSequence(int64_t after);
// The events after the resume token were pruned (up to `pruned_through`).
absl::Status ChangesNoLongerKept(int64_t after, int64_t pruned_through);
// More than `limit` changes matching the filter happened after the resume token.
absl::Status TooManyMissedChanges(int64_t after, size_t limit);

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_ERRORS_H_
