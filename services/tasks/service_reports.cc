// TaskLogic's writes on a task: ReportProgress (offices) and ReviewTask (the supervisor).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "openssl/sha.h"
#include "services/common/limits.h"
#include "services/common/status_macros.h"
#include "services/common/time.h"
#include "services/tasks/access.h"
#include "services/tasks/errors.h"
#include "services/tasks/service.h"
#include "services/tasks/service_internal.h"

namespace luoshi::tasks {

using service_internal::Entry;

namespace {

// The idempotency key of a report or review (store.h RequestKey): nullopt without a request_id;
// INVALID_ARGUMENT for an id too long or with a character outside printable ASCII. The fingerprint
// is SHA-256 of the request without its id, serialized deterministically, so a retry of the same
// request matches and anything else sent under the same id does not.
template <typename Request>
absl::StatusOr<std::optional<RequestKey>> KeyOf(const Identity& who, const char* kind,
                                               const Request& request) {
  const std::string& id = request.request_id();
  if (id.empty()) return std::nullopt;
  if (id.size() > kMaxRequestIdBytes) {
    return InvalidRequestId(absl::StrCat("has ", id.size(), " characters"));
  }
  for (char ch : id) {
    if (ch < 0x21 || ch > 0x7e) {
      return InvalidRequestId(absl::StrCat("has a character outside printable ASCII (byte ",
                                           static_cast<int>(static_cast<unsigned char>(ch)), ")"));
    }
  }
  Request bare = request;
  bare.clear_request_id();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    bare.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  RequestKey key;
  // Who: role, user and unit (not the token id, so a retry after signing in again still matches).
  key.caller = absl::StrCat(RoleName(who.role), ":", who.user, "@", who.unit);
  key.request_id = id;
  key.kind = kind;
  key.fingerprint.assign(reinterpret_cast<const char*>(digest), sizeof(digest));
  return key;
}

}  // namespace

// ---- Progress and review --------------------------------------------------------------------

absl::StatusOr<v1::Task> TaskLogic::ReportProgress(const Identity& who,
                                                     const v1::ReportProgressRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayReportAtAll(who));
  if (request.task_id().empty()) return MissingField("task_id");
  LUOSHI_ASSIGN_OR_RETURN(std::optional<RequestKey> key, KeyOf(who, "report", request));
  const absl::Time now = clock_->Now();
  const std::string current_period = PeriodOf(now, options_.rules);
  const std::string period = request.period().empty() ? current_period : request.period();
  LUOSHI_RETURN_IF_ERROR(ValidatePeriod(period, options_.rules));
  if (period > current_period) return FuturePeriod(period, current_period);
  std::optional<int> percent;
  if (request.progress_case() == v1::ReportProgressRequest::kPercent) {
    percent = request.percent();
    if (*percent < 0 || *percent > 100) return InvalidPercent(*percent);
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
    change.event = EventAfter(t, change.state, request.claims_completion() ? "claim" : "report", now);
    return change;
  };
  LUOSHI_ASSIGN_OR_RETURN(StoredTask written, store_->MutateTask(request.task_id(), mutator, key));
  // A replayed request id wrote nothing: no cache to drop, no event to publish.
  if (written.replayed) return ToProto(written);
  NoteWrite(written.plan_id, /*import=*/false);
  PumpEvents();
  return ToProto(written);
}

absl::StatusOr<v1::Task> TaskLogic::ReviewTask(const Identity& who,
                                                 const v1::ReviewTaskRequest& request) {
  LUOSHI_RETURN_IF_ERROR(CheckMayReview(who));
  if (request.task_id().empty()) return MissingField("task_id");
  LUOSHI_ASSIGN_OR_RETURN(std::optional<RequestKey> key, KeyOf(who, "review", request));
  if (!request.accept() && TrimName(request.comment()).empty()) return ReturnNeedsComment();
  const absl::Time now = clock_->Now();
  TaskMutator mutator = [&](const StoredTask& t) -> absl::StatusOr<TaskChange> {
    if (!t.state.last_reporter.empty() && t.state.last_reporter == who.user) {
      return ReviewerIsReporter(t.id, who.user);
    }
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
    change.event = EventAfter(t, change.state, request.accept() ? "accept" : "return", now);
    return change;
  };
  LUOSHI_ASSIGN_OR_RETURN(StoredTask written, store_->MutateTask(request.task_id(), mutator, key));
  if (written.replayed) return ToProto(written);
  NoteWrite(written.plan_id, /*import=*/false);
  PumpEvents();
  return ToProto(written);
}

}  // namespace luoshi::tasks
