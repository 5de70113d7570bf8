// A call's deadline reaches the database (issue 23): the task service on PostgreSQL, a real client whose
// call times out while the task's row is locked by someone else. What the office would otherwise see: a
// report it was told had timed out lands minutes later when the lock goes, and the server keeps a
// connection busy for a caller that has long gone.
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/postgres.h"
#include "services/common/server.h"
#include "tests/common/postgres_server.h"
#include "tests/common/process.h"
#include "tests/integration/system_calls.h"

namespace luoshi::testing {
namespace {

void Prepare(grpc::ClientContext* ctx, absl::Duration timeout) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  ProgramTokens().Attach(AdminIdentity("deadline-test"), ctx);
}

TEST(CallDeadlineTest, AReportThatTimedOutWaitingForALockedTaskNeverLands) {
  absl::StatusOr<PostgresServer*> server = SharedPostgres();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::string> uri = (*server)->CreateDatabase("call_deadline_tasks");
  ASSERT_TRUE(uri.ok()) << uri.status();
  ServiceProcess tasks;
  std::vector<std::string> args = AuthFlags();
  args.push_back("--store=" + *uri);
  ASSERT_TRUE(tasks.Start(BinaryPath("tasks/luoshi-tasks"), args).ok()) << tasks.Log();
  auto stub = v1::TaskService::NewStub(MakeChannel(tasks.address()));

  const std::string task_id =
      ImportOneTaskPlan(tasks.address(), "deadline", "在期限内报告进度", "区农业农村局", "deadline-test").task_id;
  ASSERT_FALSE(task_id.empty());

  // Someone else (a long maintenance transaction) holds the task's row.
  auto pool = pg::PgPool::Open(*uri);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto holder = (*pool)->Acquire();
  ASSERT_TRUE(holder.ok()) << holder.status();
  ASSERT_TRUE((*holder)->Exec("BEGIN").ok());
  ASSERT_TRUE((*holder)->Execute("SELECT seq FROM tasks FOR UPDATE").ok());

  v1::ReportProgressRequest report;
  report.set_task_id(task_id);
  report.set_percent(40);
  report.set_narrative("锁住时提交的报告");
  v1::Task answer;
  grpc::ClientContext ctx;
  Prepare(&ctx, absl::Milliseconds(1500));
  grpc::Status s = stub->ReportProgress(&ctx, report, &answer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();

  // Within a few seconds the server has given up too: no statement of the service waits for the lock.
  int waiting = -1;
  for (absl::Time until = absl::Now() + absl::Seconds(5); absl::Now() < until; absl::SleepFor(absl::Milliseconds(100))) {
    auto r = (*pool)->Acquire();
    ASSERT_TRUE(r.ok()) << r.status();
    auto n = (*r)->Execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'luoshi' AND wait_event_type = 'Lock'");
    ASSERT_TRUE(n.ok()) << n.status();
    waiting = static_cast<int>(n->row(0).Int64(0).value_or(-1));
    if (waiting == 0) break;
  }
  EXPECT_EQ(waiting, 0) << "the timed-out report still waits for the lock in the database";

  // The lock goes; the report the office was told had timed out is not recorded afterwards.
  ASSERT_TRUE((*holder)->Exec("COMMIT").ok());
  absl::SleepFor(absl::Milliseconds(500));
  v1::GetTaskRequest get;
  get.set_id(task_id);
  v1::TaskDetail detail;
  grpc::ClientContext gctx;
  Prepare(&gctx, absl::Seconds(30));
  ASSERT_TRUE(stub->GetTask(&gctx, get, &detail).ok());
  EXPECT_EQ(detail.task().percent_complete(), 0);
  EXPECT_EQ(detail.reports_size(), 0);
  // And the service serves the next report at once.
  grpc::ClientContext again;
  Prepare(&again, absl::Seconds(30));
  s = stub->ReportProgress(&again, report, &answer);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(answer.percent_complete(), 40);
  EXPECT_EQ(tasks.Stop(), 0) << tasks.Log();
}

}  // namespace
}  // namespace luoshi::testing
