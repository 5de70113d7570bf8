#include "services/tasks/errors.h"

#include "absl/strings/str_cat.h"
#include "services/common/utf8.h"

namespace luoshi::tasks {

absl::Status TaskNotFound(const std::string& task_id) {
  return absl::NotFoundError(
      absl::StrCat("task ", QuoteInput(task_id), " does not exist; `luoshi tasks list` shows the task ids"));
}

absl::Status PlanNotFound(const std::string& plan_id) {
  return absl::NotFoundError(
      absl::StrCat("plan ", QuoteInput(plan_id), " does not exist; ListPlans shows the imported plans"));
}

absl::Status NotResponsibleUnit(const std::string& unit, const std::string& task_id,
                                const std::string& responsible) {
  return absl::PermissionDeniedError(
      absl::StrCat("unit ", unit, " is not responsible for task ", task_id, " (responsible: ",
                   responsible, "); an office may only report on its own unit's tasks"));
}

absl::Status RoleMayNot(const char* role, const std::string& action) {
  return absl::PermissionDeniedError(absl::StrCat("role ", role, " may not ", action));
}

absl::Status OfficeWithoutUnit(const std::string& user) {
  return absl::PermissionDeniedError(
      absl::StrCat("office account ", user.empty() ? "(unnamed)" : user,
                   " carries no unit, so it cannot be responsible for any task"));
}

absl::Status TaskAlreadyDone(const std::string& task_id) {
  return absl::FailedPreconditionError(absl::StrCat(
      "task ", task_id, " is already 办结 (done after review); it takes no further reports or reviews"));
}

absl::Status NoCompletionClaim(const std::string& task_id, const char* status) {
  return absl::FailedPreconditionError(
      absl::StrCat("task ", task_id, " has no completion claim to review (status ", status,
                   "); the responsible unit must first report with claims_completion"));
}

absl::Status ReturnNeedsComment() {
  return absl::InvalidArgumentError(
      "returning a completion claim needs a comment telling the office what is missing");
}

absl::Status ReviewerIsReporter(const std::string& task_id, const std::string& user) {
  return absl::PermissionDeniedError(
      absl::StrCat(user, " sent the latest report on task ", task_id,
                   " and so may not review it; another supervisor (or admin) must review it"));
}

absl::Status InvalidPercent(int percent) {
  return absl::InvalidArgumentError(
      absl::StrCat("percent must be between 0 and 100, got ", percent));
}

absl::Status InvalidPeriod(const std::string& period, const std::string& expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("reporting period ", QuoteInput(period), " is not valid; expected ", expected));
}

absl::Status FuturePeriod(const std::string& period, const std::string& current) {
  return absl::InvalidArgumentError(absl::StrCat("reporting period ", period,
                                                 " lies in the future (current period ", current, ")"));
}

absl::Status EmptyReport() {
  return absl::InvalidArgumentError(
      "a progress report needs a percent, a stage, a narrative or a completion claim");
}

absl::Status InvalidRequestId(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "request_id ", why, "; use at most 128 printable ASCII characters (no spaces), e.g. a UUID"));
}

absl::Status RequestIdReused(const std::string& request_id, const std::string& kind,
                             const std::string& task_id) {
  return absl::AlreadyExistsError(absl::StrCat(
      "request_id ", request_id, " was already used for a different request (a ", kind, " on task ",
      task_id, "); a retry must repeat the request unchanged, a new request needs a new request_id"));
}

absl::Status InvalidDate(const std::string& field, const std::string& value) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " ", QuoteInput(value), " is not an ISO date such as 2023-12-31"));
}

absl::Status MissingField(const std::string& field) {
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

absl::Status WatcherTooSlow(size_t capacity) {
  return absl::ResourceExhaustedError(
      absl::StrCat("this watcher fell more than ", capacity,
                   " events behind and was disconnected; reconnect and reload the board"));
}

absl::Status TooManyWatchers(int limit) {
  return absl::ResourceExhaustedError(
      absl::StrCat("the task service already serves ", limit,
                   " open WatchTasks streams, its limit (--max_watchers); close one or try again later"));
}

absl::Status NegativeSequence(int64_t after) {
  return absl::InvalidArgumentError(absl::StrCat(
      "after_sequence ", after, " is negative; send the sequence of the last event received, or 0 for none"));
}

absl::Status ChangesNoLongerKept(int64_t after, int64_t pruned_through) {
  return absl::OutOfRangeError(absl::StrCat(
      "the changes after sequence ", after, " are no longer kept (deleted through ", pruned_through,
      "); reload the board, then watch again without after_sequence"));
}

absl::Status TooManyMissedChanges(int64_t after, size_t limit) {
  return absl::OutOfRangeError(absl::StrCat("more than ", limit, " changes were made after sequence ", after,
                                            "; reload the board, then watch again without after_sequence"));
}

absl::Status ServerShuttingDown() {
  return absl::UnavailableError("the task service is shutting down; reconnect shortly");
}

}  // namespace luoshi::tasks
