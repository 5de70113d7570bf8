// The rules that turn a task's facts into what a supervisor sees: reporting periods, status
// transitions and the traffic light. Pure functions of their inputs (time is passed in, never read),
// so every boundary is tested with exact instants. docs/tasks.md explains the choices in prose.
#ifndef LUOSHI_SERVICES_TASKS_RULES_H_
#define LUOSHI_SERVICES_TASKS_RULES_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "luoshi/v1/tasks.pb.h"

namespace luoshi::tasks {

enum class PeriodKind { kMonth, kQuarter };

// "month" or "quarter"; false for anything else.
bool ParsePeriodKind(const std::string& text, PeriodKind* out);

struct RuleOptions {
  // A task turns yellow when its deadline is at most this many days away and progress lags.
  int yellow_window_days = 30;
  PeriodKind period_kind = PeriodKind::kMonth;
  // Deadlines and periods are civil dates in this zone (China Standard Time by default).
  absl::TimeZone zone = absl::FixedTimeZone(8 * 60 * 60);
};

// Period codes: "2023-05" (month) or "2023Q2" (quarter). Codes of one kind sort chronologically as
// strings.
std::string PeriodOf(absl::Time t, const RuleOptions& options);
std::string PreviousPeriod(const std::string& period, const RuleOptions& options);
// First instant of the period; nullopt for a malformed code.
std::optional<absl::Time> PeriodStart(const std::string& period, const RuleOptions& options);
// INVALID_ARGUMENT naming the expected form when `period` is not a code of the configured kind.
absl::Status ValidatePeriod(const std::string& period, const RuleOptions& options);

// "2023-12-31" → the civil day; nullopt when not an ISO date.
std::optional<absl::CivilDay> ParseIsoDate(const std::string& text);
// A task due on day D is overdue from 00:00 of D+1 (the whole deadline day counts).
absl::Time DeadlineInstant(absl::CivilDay day, const RuleOptions& options);
std::string TodayIso(absl::Time now, const RuleOptions& options);

// Facts the light depends on.
struct LightInputs {
  v1::TaskStatus status = v1::TASK_STATUS_NOT_STARTED;
  int percent = 0;
  std::string deadline_date;  // ISO date or empty (ongoing / unknown)
  absl::Time assigned_at;     // when the task was first imported (交办)
  std::string last_report_period;  // empty: never reported
};

// GREEN / YELLOW / RED per docs/tasks.md:
//  - DONE is always green;
//  - RED when the deadline instant has passed, or when a task assigned before the previous period
//    began has no report for the previous or the current period (a pending completion claim is
//    exempt from the missing-report rule);
//  - YELLOW when now ≥ deadline − window and percent < the share of [assigned_at, deadline] elapsed;
//  - GREEN otherwise.
v1::Light DeriveLight(const LightInputs& in, absl::Time now, const RuleOptions& options);

// The parts of the light rule that depend only on `now`, computed once for many tasks (a page of a
// listing is judged at one instant, and the period arithmetic is not repeated per task).
struct LightClock {
  absl::Time now;
  std::string previous_period;                // the period before the one holding `now`
  std::optional<absl::Time> previous_start;   // its first instant
};
LightClock LightClockAt(absl::Time now, const RuleOptions& options);
// Same answer as DeriveLight(in, clock.now, options).
v1::Light DeriveLight(const LightInputs& in, const LightClock& clock, const RuleOptions& options);

// True when the task is past its deadline and not done.
bool IsOverdue(const std::string& deadline_date, v1::TaskStatus status, absl::Time now,
               const RuleOptions& options);

// Status after a progress report. FAILED_PRECONDITION when the task is already DONE.
struct ReportEffect {
  v1::TaskStatus status;
  int percent;
  int percent_before_claim;
};
struct ProgressState {
  v1::TaskStatus status = v1::TASK_STATUS_NOT_STARTED;
  int percent = 0;
  int percent_before_claim = 0;
};
absl::StatusOr<ReportEffect> ApplyReport(const std::string& task_id, const ProgressState& current,
                                         std::optional<int> percent, bool claims_completion);
// Status after a review: accept → DONE (percent 100); return → RETURNED with the percent last
// reported short of completion. FAILED_PRECONDITION unless a completion claim is pending.
absl::StatusOr<ReportEffect> ApplyReview(const std::string& task_id, const ProgressState& current,
                                         bool accept);

const char* StatusName(v1::TaskStatus status);  // "IN_PROGRESS"
const char* StatusLabel(v1::TaskStatus status);  // "推进中"
const char* LightName(v1::Light light);          // "RED"
const char* LightLabel(v1::Light light);         // "红"

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_RULES_H_
