#include "services/tasks/rules.h"

#include <gtest/gtest.h>

namespace luoshi::tasks {
namespace {

using v1::LIGHT_GREEN;
using v1::LIGHT_RED;
using v1::LIGHT_YELLOW;

const RuleOptions kOptions;  // 30-day window, monthly, UTC+8

absl::Time At(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), kOptions.zone);
}

// A task assigned 2023-03-09, due 2023-12-31, reported this month (so the missing-report rule is
// quiet unless a test says otherwise).
LightInputs Task(int percent, const std::string& last_period) {
  LightInputs in;
  in.status = v1::TASK_STATUS_IN_PROGRESS;
  in.percent = percent;
  in.deadline_date = "2023-12-31";
  in.assigned_at = At(2023, 3, 9);
  in.last_report_period = last_period;
  return in;
}

TEST(PeriodTest, MonthAndQuarterCodes) {
  RuleOptions quarterly;
  quarterly.period_kind = PeriodKind::kQuarter;
  EXPECT_EQ(PeriodOf(At(2023, 5, 31, 23, 59), kOptions), "2023-05");
  EXPECT_EQ(PeriodOf(At(2023, 6, 1), kOptions), "2023-06");
  EXPECT_EQ(PeriodOf(At(2023, 5, 1), quarterly), "2023Q2");
  EXPECT_EQ(PreviousPeriod("2023-01", kOptions), "2022-12");
  EXPECT_EQ(PreviousPeriod("2023Q1", quarterly), "2022Q4");
  EXPECT_EQ(*PeriodStart("2023Q3", quarterly), At(2023, 7, 1));
  EXPECT_TRUE(ValidatePeriod("2023-05", kOptions).ok());
  EXPECT_EQ(ValidatePeriod("2023-13", kOptions).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidatePeriod("2023Q2", kOptions).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidatePeriod("2023Q2", quarterly).ok());
}

TEST(LightTest, DeadlineBoundary) {
  LightInputs in = Task(100, "2023-12");
  // Whole deadline day counts: the last second of Dec 31 is not overdue, midnight after is.
  EXPECT_EQ(DeriveLight(in, At(2023, 12, 31, 23, 59), kOptions), LIGHT_GREEN);
  EXPECT_EQ(DeriveLight(in, At(2024, 1, 1) - absl::Nanoseconds(1), kOptions), LIGHT_GREEN);
  EXPECT_EQ(DeriveLight(in, At(2024, 1, 1), kOptions), LIGHT_RED);
  EXPECT_EQ(DeriveLight(in, At(2024, 1, 1, 0, 1), kOptions), LIGHT_RED);
  EXPECT_FALSE(IsOverdue("2023-12-31", v1::TASK_STATUS_IN_PROGRESS, At(2023, 12, 31, 23, 59), kOptions));
  EXPECT_TRUE(IsOverdue("2023-12-31", v1::TASK_STATUS_IN_PROGRESS, At(2024, 1, 1), kOptions));
}

TEST(LightTest, DoneIsGreenEvenAfterDeadline) {
  LightInputs in = Task(100, "2023-06");
  in.status = v1::TASK_STATUS_DONE;
  EXPECT_EQ(DeriveLight(in, At(2024, 3, 1), kOptions), LIGHT_GREEN);
  EXPECT_FALSE(IsOverdue("2023-12-31", v1::TASK_STATUS_DONE, At(2024, 3, 1), kOptions));
}

TEST(LightTest, YellowWindowBoundary) {
  // Window opens 30 days before the deadline instant (2024-01-01 00:00): 2023-12-02 00:00.
  LightInputs lagging = Task(50, "2023-12");
  LightInputs lagging_nov = Task(50, "2023-11");
  EXPECT_EQ(DeriveLight(lagging_nov, At(2023, 12, 2) - absl::Nanoseconds(1), kOptions), LIGHT_GREEN);
  EXPECT_EQ(DeriveLight(lagging, At(2023, 12, 2), kOptions), LIGHT_YELLOW);
  EXPECT_EQ(DeriveLight(lagging, At(2023, 12, 2, 0, 1), kOptions), LIGHT_YELLOW);
  // Same moment, progress ahead of elapsed time (≈ 90% elapsed): green.
  EXPECT_EQ(DeriveLight(Task(95, "2023-12"), At(2023, 12, 2), kOptions), LIGHT_GREEN);
}

TEST(LightTest, YellowNeedsProgressToLagElapsedTime) {
  // Assigned 2023-03-09, deadline instant 2024-01-01 (298 days): on 2023-12-15, 281/298 = 94.3% of
  // the time has elapsed.
  const absl::Time now = At(2023, 12, 15);
  EXPECT_EQ(DeriveLight(Task(94, "2023-12"), now, kOptions), LIGHT_YELLOW);
  EXPECT_EQ(DeriveLight(Task(95, "2023-12"), now, kOptions), LIGHT_GREEN);
  LightInputs claimed = Task(100, "2023-12");
  claimed.status = v1::TASK_STATUS_COMPLETION_CLAIMED;
  EXPECT_EQ(DeriveLight(claimed, now, kOptions), LIGHT_GREEN);
  RuleOptions narrow = kOptions;
  narrow.yellow_window_days = 10;
  EXPECT_EQ(DeriveLight(Task(50, "2023-12"), now, narrow), LIGHT_GREEN);
}

TEST(LightTest, MissingReportForPreviousPeriodIsRed) {
  // In May, a task assigned in March must have a report for April (or May).
  EXPECT_EQ(DeriveLight(Task(30, "2023-04"), At(2023, 5, 10), kOptions), LIGHT_GREEN);
  EXPECT_EQ(DeriveLight(Task(30, "2023-05"), At(2023, 5, 10), kOptions), LIGHT_GREEN);
  EXPECT_EQ(DeriveLight(Task(30, "2023-03"), At(2023, 5, 10), kOptions), LIGHT_RED);
  EXPECT_EQ(DeriveLight(Task(0, ""), At(2023, 5, 10), kOptions), LIGHT_RED);
  // In April the previous period (March) began before the assignment on 2023-03-09: not yet due.
  EXPECT_EQ(DeriveLight(Task(0, ""), At(2023, 4, 30, 23, 59), kOptions), LIGHT_GREEN);
  // A pending completion claim is waiting for the supervisor, not for a report.
  LightInputs claimed = Task(100, "2023-03");
  claimed.status = v1::TASK_STATUS_COMPLETION_CLAIMED;
  EXPECT_EQ(DeriveLight(claimed, At(2023, 5, 10), kOptions), LIGHT_GREEN);
}

TEST(LightTest, OngoingTaskIsNeverOverdue) {
  LightInputs in = Task(10, "2025-01");
  in.deadline_date = "";
  EXPECT_EQ(DeriveLight(in, At(2025, 1, 15), kOptions), LIGHT_GREEN);
}

TEST(DateTest, IsoDatesAsTheGeneralParserReadsThem) {
  EXPECT_EQ(*ParseIsoDate("2023-12-31"), absl::CivilDay(2023, 12, 31));
  EXPECT_EQ(*ParseIsoDate("2024-02-29"), absl::CivilDay(2024, 2, 29));
  for (const char* bad : {"2023-02-29", "2023-04-31", "2023-13-01", "2023-00-10", "2023-01-00",
                          "2023-1-5", "2023/01/05", "", "长期坚持", "2023-01-05x"}) {
    EXPECT_FALSE(ParseIsoDate(bad).has_value()) << bad;
    absl::CivilDay day;
    // The fast path never accepts what absl refuses (it may refuse odd spellings absl takes).
    if (!absl::ParseCivilTime(bad, &day)) EXPECT_FALSE(ParseIsoDate(bad)) << bad;
  }
  // Every day of a leap and a common year round-trips.
  for (absl::CivilDay d(2023, 1, 1); d < absl::CivilDay(2025, 1, 1); ++d) {
    ASSERT_EQ(ParseIsoDate(absl::FormatCivilTime(d)), d);
  }
}

TEST(StatusTest, EveryTransition) {
  ProgressState fresh;
  auto report = ApplyReport("T1", fresh, 40, false);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->status, v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(report->percent, 40);

  // Stage-only report keeps the percent.
  ProgressState in_progress{v1::TASK_STATUS_IN_PROGRESS, 40, 40};
  EXPECT_EQ(ApplyReport("T1", in_progress, std::nullopt, false)->percent, 40);

  auto claim = ApplyReport("T1", in_progress, std::nullopt, true);
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->status, v1::TASK_STATUS_COMPLETION_CLAIMED);
  EXPECT_EQ(claim->percent, 100);
  EXPECT_EQ(claim->percent_before_claim, 40);

  ProgressState claimed{v1::TASK_STATUS_COMPLETION_CLAIMED, 100, 40};
  auto returned = ApplyReview("T1", claimed, false);
  ASSERT_TRUE(returned.ok());
  EXPECT_EQ(returned->status, v1::TASK_STATUS_RETURNED);
  EXPECT_EQ(returned->percent, 40);

  ProgressState ret{v1::TASK_STATUS_RETURNED, 40, 40};
  EXPECT_EQ(ApplyReport("T1", ret, 80, false)->status, v1::TASK_STATUS_IN_PROGRESS);
  EXPECT_EQ(ApplyReport("T1", ret, std::nullopt, true)->status, v1::TASK_STATUS_COMPLETION_CLAIMED);

  auto accepted = ApplyReview("T1", claimed, true);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->status, v1::TASK_STATUS_DONE);
  EXPECT_EQ(accepted->percent, 100);

  ProgressState done{v1::TASK_STATUS_DONE, 100, 40};
  EXPECT_EQ(ApplyReport("T1", done, 100, false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyReview("T1", done, true).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyReview("T1", in_progress, true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyReview("T1", fresh, false).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ApplyReport("T1", fresh, 101, false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace luoshi::tasks
