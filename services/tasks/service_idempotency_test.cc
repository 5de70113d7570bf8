// TaskLogicTest: request_id on progress reports and reviews — a retry records nothing new, a reused id
// with another request is refused, concurrent retries write once.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "services/tasks/service.h"
#include "services/tasks/service_test_fixture.h"

namespace luoshi::tasks {
namespace {

using ::luoshi::tasks::testing::kAdmin;
using ::luoshi::tasks::testing::kSupervisor;
using ::luoshi::tasks::testing::kViewer;
using ::luoshi::tasks::testing::Office;
using ::luoshi::tasks::testing::TaskLogicTest;

class TaskIdempotencyTest : public TaskLogicTest {
 protected:
  void SetUp() override {
    TaskLogicTest::SetUp();
    plan_ = ImportSeed();
    task_ = TaskId(plan_.id(), "2");  // 区财政局
  }

  static v1::ReportProgressRequest KeyedReport(const std::string& task, const std::string& id,
                                               int percent, bool claim = false) {
    v1::ReportProgressRequest req;
    req.set_task_id(task);
    req.set_percent(percent);
    req.set_narrative("按计划推进");
    req.set_claims_completion(claim);
    req.set_request_id(id);
    return req;
  }

  v1::TaskDetail Detail() {
    v1::GetTaskRequest get;
    get.set_id(task_);
    auto detail = tracker_->GetTask(kViewer, get);
    EXPECT_TRUE(detail.ok()) << detail.status();
    return *detail;
  }

  v1::Plan plan_;
  std::string task_;
  const Identity office_ = Office("区财政局");
};

TEST_F(TaskIdempotencyTest, RetriedReportRecordsNothingNew) {
  auto first = tracker_->ReportProgress(office_, KeyedReport(task_, "b3f1-0001", 30));
  ASSERT_TRUE(first.ok()) << first.status();
  const v1::TaskDetail before = Detail();
  ASSERT_EQ(before.reports_size(), 1);

  clock_.Advance(absl::Minutes(5));
  auto retry = tracker_->ReportProgress(office_, KeyedReport(task_, "b3f1-0001", 30));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->percent_complete(), 30);
  EXPECT_EQ(retry->status(), v1::TASK_STATUS_IN_PROGRESS);
  const v1::TaskDetail after = Detail();
  EXPECT_EQ(after.reports_size(), 1);
  EXPECT_EQ(after.journal_size(), before.journal_size());
  EXPECT_EQ(after.task().last_report_at().seconds(), before.task().last_report_at().seconds());

  // Without a request_id every call is a report of its own, as before.
  ASSERT_TRUE(Report(office_, task_, 40).ok());
  ASSERT_TRUE(Report(office_, task_, 40).ok());
  EXPECT_EQ(Detail().reports_size(), 3);
}

TEST_F(TaskIdempotencyTest, RetryAnswersTheTaskAsItIsNow) {
  ASSERT_TRUE(tracker_->ReportProgress(office_, KeyedReport(task_, "claim-1", 100, true)).ok());
  ASSERT_TRUE(Review(kSupervisor, task_, true).ok());
  // The reply to the claim was lost; the retry neither fails on the DONE task nor reports again.
  auto retry = tracker_->ReportProgress(office_, KeyedReport(task_, "claim-1", 100, true));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->status(), v1::TASK_STATUS_DONE);
  EXPECT_EQ(Detail().reports_size(), 1);
}

TEST_F(TaskIdempotencyTest, ReusedIdWithAnotherRequestIsAlreadyExists) {
  ASSERT_TRUE(tracker_->ReportProgress(office_, KeyedReport(task_, "r-7", 30)).ok());
  auto changed = tracker_->ReportProgress(office_, KeyedReport(task_, "r-7", 35));
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StrContains(changed.status().message(), "r-7")) << changed.status();
  EXPECT_TRUE(absl::StrContains(changed.status().message(), task_)) << changed.status();
  const std::string other = TaskId(plan_.id(), "3");
  EXPECT_EQ(tracker_->ReportProgress(office_, KeyedReport(other, "r-7", 30)).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Detail().reports_size(), 1);
  EXPECT_EQ(Detail().task().percent_complete(), 30);
}

TEST_F(TaskIdempotencyTest, MalformedIdsAreInvalidArgument) {
  for (const std::string& bad : {std::string(129, 'a'), std::string("has space"), std::string("tab\t"),
                                 std::string("报告-1"), std::string("nul\0x", 5)}) {
    auto r = tracker_->ReportProgress(office_, KeyedReport(task_, bad, 10));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(absl::StrContains(r.status().message(), "request_id")) << r.status();
  }
  EXPECT_TRUE(tracker_->ReportProgress(office_, KeyedReport(task_, std::string(128, '~'), 10)).ok());
  EXPECT_EQ(Detail().reports_size(), 1);
}

TEST_F(TaskIdempotencyTest, RetriedReviewRecordsOneReview) {
  ASSERT_TRUE(Report(office_, task_, 100, /*claim=*/true).ok());
  v1::ReviewTaskRequest review;
  review.set_task_id(task_);
  review.set_accept(false);
  review.set_comment("请补充佐证材料");
  review.set_request_id("v-1");
  auto first = tracker_->ReviewTask(kSupervisor, review);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status(), v1::TASK_STATUS_RETURNED);
  // Without the key this would be FAILED_PRECONDITION (no claim pending any more).
  auto retry = tracker_->ReviewTask(kSupervisor, review);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->status(), v1::TASK_STATUS_RETURNED);
  EXPECT_EQ(Detail().reviews_size(), 1);

  review.set_accept(true);
  EXPECT_EQ(tracker_->ReviewTask(kSupervisor, review).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Detail().reviews_size(), 1);
}

TEST_F(TaskIdempotencyTest, ReportAndReviewShareOneNamespacePerCaller) {
  // An administrator may both report and review: a review cannot reuse the id of its report.
  ASSERT_TRUE(tracker_->ReportProgress(kAdmin, KeyedReport(task_, "a-1", 100, true)).ok());
  v1::ReviewTaskRequest review;
  review.set_task_id(task_);
  review.set_accept(true);
  review.set_request_id("a-1");
  auto refused = tracker_->ReviewTask(kAdmin, review);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "report")) << refused.status();
  // Another caller's id space is its own: the supervisor may use "a-1".
  auto accepted = tracker_->ReviewTask(kSupervisor, review);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->status(), v1::TASK_STATUS_DONE);
}

TEST_F(TaskIdempotencyTest, ConcurrentRetriesGiveExactlyOneReport) {
  constexpr int kThreads = 12;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      if (tracker_->ReportProgress(office_, KeyedReport(task_, "same-key", 60)).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  const v1::TaskDetail detail = Detail();
  EXPECT_EQ(detail.reports_size(), 1);
  EXPECT_EQ(detail.task().percent_complete(), 60);
}

}  // namespace
}  // namespace luoshi::tasks
