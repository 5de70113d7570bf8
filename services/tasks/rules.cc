#include "services/tasks/rules.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/period.h"
#include "services/tasks/errors.h"

namespace luoshi::tasks {
namespace {

// A reporting period of the configured kind in its canonical spelling ("2023-05", "2023Q2"), read with
// the one period grammar (services/common/period.h); nullopt for anything else.
std::optional<Period> ReportingPeriod(const std::string& code, PeriodKind kind) {
  absl::StatusOr<Period> p = ParsePeriod(code);
  if (!p.ok() || FormatPeriod(*p) != code) return std::nullopt;
  const bool fits = kind == PeriodKind::kMonth ? p->MonthCount() == 1
                                               : p->MonthCount() == 3 && (p->first_month - 1) % 3 == 0;
  if (!fits) return std::nullopt;
  return *p;
}

// The month, or the quarter, that holds `month` of `year`.
Period PeriodHolding(int year, int month, PeriodKind kind) {
  if (kind == PeriodKind::kMonth) return Period{year, month, month};
  const int first = (month - 1) / 3 * 3 + 1;
  return Period{year, first, first + 2};
}

}  // namespace

bool ParsePeriodKind(const std::string& text, PeriodKind* out) {
  if (text == "month") {
    *out = PeriodKind::kMonth;
    return true;
  }
  if (text == "quarter") {
    *out = PeriodKind::kQuarter;
    return true;
  }
  return false;
}

std::string PeriodOf(absl::Time t, const RuleOptions& options) {
  absl::CivilMonth month = absl::ToCivilMonth(t, options.zone);
  return FormatPeriod(PeriodHolding(static_cast<int>(month.year()), month.month(), options.period_kind));
}

std::string PreviousPeriod(const std::string& period, const RuleOptions& options) {
  std::optional<Period> p = ReportingPeriod(period, options.period_kind);
  if (!p) return "";
  int year = p->year;
  int month = p->first_month - 1;
  if (month == 0) {
    month = 12;
    --year;
  }
  return FormatPeriod(PeriodHolding(year, month, options.period_kind));
}

std::optional<absl::Time> PeriodStart(const std::string& period, const RuleOptions& options) {
  std::optional<Period> p = ReportingPeriod(period, options.period_kind);
  if (!p) return std::nullopt;
  return absl::FromCivil(absl::CivilMonth(p->year, p->first_month), options.zone);
}

absl::Status ValidatePeriod(const std::string& period, const RuleOptions& options) {
  if (ReportingPeriod(period, options.period_kind)) return absl::OkStatus();
  return InvalidPeriod(period, options.period_kind == PeriodKind::kMonth
                               ? "a month such as 2023-05"
                               : "a quarter such as 2023Q2");
}

std::optional<absl::CivilDay> ParseIsoDate(const std::string& text) {
  if (text.size() != 10) return std::nullopt;
  // The form every stored deadline has ("2023-12-31") is read directly: this runs for every task of
  // a listing. It accepts exactly what absl::ParseCivilTime accepts for such strings (month 1–12,
  // a day that exists in that month); anything else takes the general parser.
  auto digit = [&](int i) { return text[i] >= '0' && text[i] <= '9'; };
  if (digit(0) && digit(1) && digit(2) && digit(3) && text[4] == '-' && digit(5) && digit(6) &&
      text[7] == '-' && digit(8) && digit(9)) {
    auto number = [&](int from, int len) {
      int v = 0;
      for (int i = from; i < from + len; ++i) v = v * 10 + (text[i] - '0');
      return v;
    };
    const int year = number(0, 4), month = number(5, 2), day = number(8, 2);
    if (month < 1 || month > 12 || day < 1) return std::nullopt;
    const absl::CivilDay civil(year, month, day);
    if (civil.month() != month || civil.day() != day) return std::nullopt;  // 2023-02-30
    return civil;
  }
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) return std::nullopt;
  return day;
}

absl::Time DeadlineInstant(absl::CivilDay day, const RuleOptions& options) {
  return absl::FromCivil(day + 1, options.zone);
}

std::string TodayIso(absl::Time now, const RuleOptions& options) {
  return absl::FormatCivilTime(absl::ToCivilDay(now, options.zone));
}

bool IsOverdue(const std::string& deadline_date, v1::TaskStatus status, absl::Time now,
               const RuleOptions& options) {
  if (status == v1::TASK_STATUS_DONE) return false;
  std::optional<absl::CivilDay> day = ParseIsoDate(deadline_date);
  return day && now >= DeadlineInstant(*day, options);
}

LightClock LightClockAt(absl::Time now, const RuleOptions& options) {
  LightClock clock;
  clock.now = now;
  clock.previous_period = PreviousPeriod(PeriodOf(now, options), options);
  clock.previous_start = PeriodStart(clock.previous_period, options);
  return clock;
}

v1::Light DeriveLight(const LightInputs& in, absl::Time now, const RuleOptions& options) {
  return DeriveLight(in, LightClockAt(now, options), options);
}

v1::Light DeriveLight(const LightInputs& in, const LightClock& clock, const RuleOptions& options) {
  const absl::Time now = clock.now;
  if (in.status == v1::TASK_STATUS_DONE) return v1::LIGHT_GREEN;
  std::optional<absl::CivilDay> day = ParseIsoDate(in.deadline_date);
  if (day && now >= DeadlineInstant(*day, options)) return v1::LIGHT_RED;  // overdue

  if (in.status != v1::TASK_STATUS_COMPLETION_CLAIMED) {
    const bool expected_to_report = clock.previous_start && in.assigned_at < *clock.previous_start;
    const bool reported =
        !in.last_report_period.empty() && in.last_report_period >= clock.previous_period;
    if (expected_to_report && !reported) return v1::LIGHT_RED;
  }

  if (!day) return v1::LIGHT_GREEN;
  const absl::Time deadline = DeadlineInstant(*day, options);
  if (now < deadline - absl::Hours(24) * options.yellow_window_days) return v1::LIGHT_GREEN;
  const int effective_percent =
      in.status == v1::TASK_STATUS_COMPLETION_CLAIMED ? 100 : in.percent;
  const absl::Duration span = deadline - in.assigned_at;
  if (span <= absl::ZeroDuration()) return v1::LIGHT_YELLOW;
  const double elapsed_share = absl::FDivDuration(now - in.assigned_at, span) * 100.0;
  return effective_percent < elapsed_share ? v1::LIGHT_YELLOW : v1::LIGHT_GREEN;
}

absl::StatusOr<ReportEffect> ApplyReport(const std::string& task_id, const ProgressState& current,
                                         std::optional<int> percent, bool claims_completion) {
  if (current.status == v1::TASK_STATUS_DONE) return TaskAlreadyDone(task_id);
  if (percent && (*percent < 0 || *percent > 100)) return InvalidPercent(*percent);
  // While a claim is pending, `percent` shows 100 and `percent_before_claim` what was reported
  // short of completion; a return falls back to the latter.
  const int last_reported = current.status == v1::TASK_STATUS_COMPLETION_CLAIMED
                                ? current.percent_before_claim
                                : current.percent;
  ReportEffect e;
  if (claims_completion) {
    e.status = v1::TASK_STATUS_COMPLETION_CLAIMED;
    e.percent = 100;
    e.percent_before_claim = last_reported;
    return e;
  }
  const int reported = percent.value_or(last_reported);
  e.status = v1::TASK_STATUS_IN_PROGRESS;
  e.percent = reported;
  e.percent_before_claim = reported;
  return e;
}

absl::StatusOr<ReportEffect> ApplyReview(const std::string& task_id, const ProgressState& current,
                                         bool accept) {
  if (current.status == v1::TASK_STATUS_DONE) return TaskAlreadyDone(task_id);
  if (current.status != v1::TASK_STATUS_COMPLETION_CLAIMED) {
    return NoCompletionClaim(task_id, StatusName(current.status));
  }
  ReportEffect e;
  if (accept) {
    e.status = v1::TASK_STATUS_DONE;
    e.percent = 100;
    e.percent_before_claim = current.percent_before_claim;
  } else {
    e.status = v1::TASK_STATUS_RETURNED;
    e.percent = current.percent_before_claim;
    e.percent_before_claim = current.percent_before_claim;
  }
  return e;
}

const char* StatusName(v1::TaskStatus status) {
  switch (status) {
    case v1::TASK_STATUS_NOT_STARTED: return "NOT_STARTED";
    case v1::TASK_STATUS_IN_PROGRESS: return "IN_PROGRESS";
    case v1::TASK_STATUS_COMPLETION_CLAIMED: return "COMPLETION_CLAIMED";
    case v1::TASK_STATUS_DONE: return "DONE";
    case v1::TASK_STATUS_RETURNED: return "RETURNED";
    default: return "UNSPECIFIED";
  }
}

const char* StatusLabel(v1::TaskStatus status) {
  switch (status) {
    case v1::TASK_STATUS_NOT_STARTED: return "未启动";
    case v1::TASK_STATUS_IN_PROGRESS: return "推进中";
    case v1::TASK_STATUS_COMPLETION_CLAIMED: return "申请办结";
    case v1::TASK_STATUS_DONE: return "已办结";
    case v1::TASK_STATUS_RETURNED: return "已退回";
    default: return "未知";
  }
}

const char* LightName(v1::Light light) {
  switch (light) {
    case v1::LIGHT_GREEN: return "GREEN";
    case v1::LIGHT_YELLOW: return "YELLOW";
    case v1::LIGHT_RED: return "RED";
    default: return "UNSPECIFIED";
  }
}

const char* LightLabel(v1::Light light) {
  switch (light) {
    case v1::LIGHT_GREEN: return "绿";
    case v1::LIGHT_YELLOW: return "黄";
    case v1::LIGHT_RED: return "红";
    default: return "-";
  }
}

}  // namespace luoshi::tasks
