// Two replicas of every service on one PostgreSQL database per service (issue 23), as a load balancer
// would spread calls over them: the real binaries, real gRPC clients, one database server
// (tests/common/postgres_server.h).
//
//   ingestion A ─┐                 ┌─ indicators A ─┐
//                ├─ ingestion db   │                ├─ indicators db
//   ingestion B ─┘   (one outbox)  └─ indicators B ─┘
//   (A delivers to indicators A and tasks A, B to indicators B and tasks B)
//                                  ┌─ tasks A ─┐
//                                  └─ tasks B ─┴─ tasks db
//
// What a user of such a deployment relies on: concurrent reports on one task through both task replicas all
// land, none overwriting another; documents sent to either ingestion replica reach the indicator and task
// services exactly once; and what one task replica wrote, the other one reads.
#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "tests/common/postgres_server.h"
#include "tests/common/process.h"
#include "tests/integration/system_calls.h"

namespace luoshi::testing {
namespace {

constexpr char kUser[] = "replicas-test";

void Prepare(grpc::ClientContext* ctx, int seconds = 30) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  ProgramTokens().Attach(AdminIdentity(kUser), ctx);
}

// The statuses after which a client that sent an idempotency key sends the same call again.
bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::ABORTED ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<PostgresServer*> server = SharedPostgres();
    ASSERT_TRUE(server.ok()) << server.status();
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::map<std::string, std::string> uris;
    for (const char* service : {"indicators", "tasks", "ingestion"}) {
      absl::StatusOr<std::string> uri = (*server)->CreateDatabase(absl::StrCat("replicas_", service, "_", test));
      ASSERT_TRUE(uri.ok()) << uri.status();
      uris[service] = *uri;
    }
    // The services start from this thread, which lives as long as the test (process.h).
    for (ServiceProcess& p : indicators_) {
      ASSERT_NO_FATAL_FAILURE(Start(&p, "indicators/luoshi-indicators", {"--store=" + uris["indicators"]}));
    }
    for (ServiceProcess& p : tasks_) {
      ASSERT_NO_FATAL_FAILURE(Start(&p, "tasks/luoshi-tasks", {"--store=" + uris["tasks"]}));
    }
    for (int i = 0; i < 2; ++i) {
      ASSERT_NO_FATAL_FAILURE(Start(&ingestion_[i], "ingestion/luoshi-ingestion",
                                    {"--store=" + uris["ingestion"], "--indicators_addr=" + indicators_[i].address(),
                                     "--tasks_addr=" + tasks_[i].address(), "--dispatch_interval_ms=50",
                                     "--retry_max_ms=500", "--delivery_deadline_ms=2000"}));
    }
  }

  static void Start(ServiceProcess* process, const std::string& binary, const std::vector<std::string>& flags) {
    std::vector<std::string> args = AuthFlags();
    args.insert(args.end(), flags.begin(), flags.end());
    absl::Status s = process->Start(BinaryPath(binary), args);
    ASSERT_TRUE(s.ok()) << binary << ": " << s << "\n" << process->Log();
  }

  std::unique_ptr<v1::TaskService::Stub> Tasks(int replica) {
    return v1::TaskService::NewStub(MakeChannel(tasks_[replica].address()));
  }

  // A plan of one task of 区农业农村局, imported through task replica `replica`; returns the task's id.
  std::string ImportOneTask(int replica) {
    return ImportOneTaskPlan(tasks_[replica].address(), "replicas", "完成两个副本上的进度报告", "区农业农村局", kUser)
        .task_id;
  }

  v1::Ledger GetLedger(int replica, const std::string& plan_id) {
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_id);
    v1::Ledger ledger;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = Tasks(replica)->GetLedger(&ctx, req, &ledger);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return ledger;
  }

  v1::TaskDetail GetTask(int replica, const std::string& id) {
    v1::GetTaskRequest req;
    req.set_id(id);
    v1::TaskDetail detail;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = Tasks(replica)->GetTask(&ctx, req, &detail);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return detail;
  }

  // Every observation the indicator replica serves, all vintages.
  int CountObservations(int replica) { return CountObservationsAt(indicators_[replica].address(), kUser); }

  // The task ids of every current task the task replica serves, paged through.
  std::vector<std::string> TaskIds(int replica) {
    v1::ListTasksRequest req;
    req.mutable_page()->set_page_size(1000);
    std::vector<std::string> ids;
    do {
      v1::ListTasksResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      grpc::Status s = Tasks(replica)->ListTasks(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const v1::Task& t : resp.tasks()) ids.push_back(t.id());
      req.mutable_page()->set_page_token(resp.next_page_token());
    } while (!req.page().page_token().empty());
    return ids;
  }

  // A report of `percent` on `task` through task replica `replica`; the time the call returned.
  absl::Time Report(int replica, const std::string& task, int percent) {
    v1::ReportProgressRequest req;
    req.set_task_id(task);
    req.set_percent(percent);
    v1::Task reported;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = Tasks(replica)->ReportProgress(&ctx, req, &reported);
    const absl::Time returned = absl::Now();
    EXPECT_TRUE(s.ok()) << "report of " << percent << "% through replica " << replica << ": " << s.error_message();
    return returned;
  }

  // A WatchTasks stream on one task replica, live once Open returns (its response headers arrived).
  struct Watch {
    std::unique_ptr<v1::TaskService::Stub> stub;
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> reader;

    // The next event; fails the test when the stream ends instead.
    v1::TaskEvent Next() {
      v1::TaskEvent event;
      EXPECT_TRUE(reader->Read(&event)) << "the stream ended: " << reader->Finish().error_message();
      return event;
    }
    // Disconnects, as a browser that lost its network would.
    void Close() {
      ctx.TryCancel();
      (void)reader->Finish();
    }
  };
  std::unique_ptr<Watch> OpenWatch(int replica, int64_t after_sequence = 0) {
    auto watch = std::make_unique<Watch>();
    watch->stub = Tasks(replica);
    Prepare(&watch->ctx, 60);
    v1::WatchTasksRequest req;
    req.set_after_sequence(after_sequence);
    watch->reader = watch->stub->WatchTasks(&watch->ctx, req);
    watch->reader->WaitForInitialMetadata();
    return watch;
  }

  std::array<ServiceProcess, 2> indicators_, tasks_, ingestion_;
};

// A board connected to replica A is told of a report made through replica B at once: B's commit notifies
// every replica (LISTEN/NOTIFY), and A sends the stored event to its watchers.
TEST_F(ReplicasTest, WatcherOnOneReplicaSeesAReportMadeOnTheOther) {
  const std::string task = ImportOneTask(0);
  ASSERT_FALSE(task.empty());
  std::unique_ptr<Watch> watch = OpenWatch(0);
  for (int percent : {10, 20, 30}) {
    const absl::Time returned = Report(1, task, percent);
    const v1::TaskEvent event = watch->Next();
    const absl::Duration latency = absl::Now() - returned;
    EXPECT_EQ(event.task().id(), task);
    EXPECT_EQ(event.action(), "report");
    EXPECT_EQ(event.task().percent_complete(), percent);
    EXPECT_GT(event.sequence(), 0);
    EXPECT_LT(latency, absl::Milliseconds(100)) << "replica A told its watcher of B's report after " << latency;
  }
  watch->Close();
}

// A board that lost its stream reconnects, to the other replica, with the sequence of the last event it
// saw: it receives exactly the changes made meanwhile through either replica, in order, then live ones.
TEST_F(ReplicasTest, WatcherResumingAfterADisconnectMissesNothingAndSeesNothingTwice) {
  const std::string task = ImportOneTask(0);
  ASSERT_FALSE(task.empty());
  std::unique_ptr<Watch> watch = OpenWatch(0);
  Report(0, task, 10);
  Report(1, task, 20);
  int64_t last = 0;
  for (int percent : {10, 20}) {
    const v1::TaskEvent event = watch->Next();
    EXPECT_EQ(event.task().percent_complete(), percent);
    EXPECT_GT(event.sequence(), last);
    last = event.sequence();
  }
  watch->Close();

  const std::vector<int> missed = {30, 40, 50, 60};
  for (size_t i = 0; i < missed.size(); ++i) Report(static_cast<int>(i % 2), task, missed[i]);

  std::unique_ptr<Watch> resumed = OpenWatch(1, last);
  // After the missed ones, live changes through both replicas, each once.
  Report(0, task, 70);
  Report(1, task, 80);
  std::vector<int> seen;
  for (size_t i = 0; i < missed.size() + 2; ++i) {
    const v1::TaskEvent event = resumed->Next();
    EXPECT_EQ(event.task().id(), task);
    EXPECT_GT(event.sequence(), last) << "out of order or repeated";
    last = event.sequence();
    seen.push_back(event.task().percent_complete());
  }
  EXPECT_EQ(seen, (std::vector<int>{30, 40, 50, 60, 70, 80}));
  // Nothing more: the next event is the next change.
  Report(0, task, 90);
  EXPECT_EQ(resumed->Next().task().percent_complete(), 90);
  resumed->Close();
}

// 16 reports on one task at once, half through each task replica, each with its own request id: every one
// is recorded, and each saw the state the one before it left (the percent journal is one unbroken chain).
TEST_F(ReplicasTest, ConcurrentReportsThroughBothTaskReplicasAreAllKept) {
  const std::string task = ImportOneTask(0);
  ASSERT_FALSE(task.empty());
  constexpr int kReports = 16;
  std::vector<grpc::Status> outcomes(kReports);
  std::vector<int> attempts(kReports, 0);
  std::vector<std::thread> clients;
  // Released together once every client has its channel, so the calls really meet on the task's row.
  absl::Barrier* start = new absl::Barrier(kReports);
  for (int i = 0; i < kReports; ++i) {
    clients.emplace_back([&, i] {
      auto stub = Tasks(i % 2);
      if (start->Block()) delete start;
      v1::ReportProgressRequest req;
      req.set_task_id(task);
      req.set_percent(i + 1);  // all different, so every report changes the percent
      req.set_narrative(absl::StrCat("第", i, "次报告"));
      req.set_request_id(absl::StrCat("replicas-report-", i));
      // A retryable answer is retried with the same request id: recorded once whatever happened.
      do {
        ++attempts[i];
        v1::Task out;
        grpc::ClientContext ctx;
        Prepare(&ctx);
        outcomes[i] = stub->ReportProgress(&ctx, req, &out);
      } while (Retryable(outcomes[i].error_code()) && attempts[i] < 10);
    });
  }
  for (std::thread& t : clients) t.join();
  for (int i = 0; i < kReports; ++i) {
    EXPECT_TRUE(outcomes[i].ok()) << "report " << i << " after " << attempts[i] << " attempts: "
                                  << outcomes[i].error_code() << " " << outcomes[i].error_message();
  }

  for (int replica : {0, 1}) {
    SCOPED_TRACE(absl::StrCat("read from task replica ", replica));
    v1::TaskDetail detail = GetTask(replica, task);
    ASSERT_EQ(detail.reports_size(), kReports);
    std::vector<std::string> narratives;
    for (const v1::ProgressReport& r : detail.reports()) narratives.push_back(r.narrative());
    std::sort(narratives.begin(), narratives.end());
    EXPECT_EQ(std::unique(narratives.begin(), narratives.end()), narratives.end()) << "a report is there twice";
    // Oldest first: 0 → p1 → p2 … each change starts where the previous one ended; the last is the task's.
    std::string percent = "0";
    int changes = 0, periods = 0;
    for (const v1::JournalEntry& e : detail.journal()) {
      if (e.action() == "report" && e.field() == "period") ++periods;
      if (e.action() != "report" || e.field() != "percent") continue;
      ++changes;
      EXPECT_EQ(e.old_value(), percent) << "a report did not see the one committed before it";
      percent = e.new_value();
    }
    EXPECT_EQ(periods, kReports);
    EXPECT_EQ(changes, kReports);
    EXPECT_EQ(absl::StrCat(detail.task().percent_complete()), percent);
    EXPECT_EQ(detail.reports(0).percent(), detail.task().percent_complete()) << "the newest report is the task's";
  }
}

// The seeds sent to both ingestion replicas (each document to both, at once): each is stored once, and its
// figures and tasks, delivered by two dispatchers claiming from one outbox, arrive exactly once.
TEST_F(ReplicasTest, DocumentsThroughBothIngestionReplicasArriveExactlyOnce) {
  const std::vector<std::string> seeds = SeedPaths();
  ASSERT_EQ(seeds.size(), 5u);
  struct Sent {
    grpc::Status status;
    v1::IngestDocumentResponse response;
  };
  std::vector<std::array<Sent, 2>> sent(seeds.size());
  std::vector<std::thread> clients;
  for (size_t d = 0; d < seeds.size(); ++d) {
    for (int replica : {0, 1}) {
      clients.emplace_back([&, d, replica] {
        v1::IngestDocumentRequest req;
        req.set_content(ReadTestFile(seeds[d]));
        req.set_filename(std::filesystem::path(seeds[d]).filename().string());
        grpc::ClientContext ctx;
        Prepare(&ctx, 60);
        auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_[replica].address()));
        sent[d][replica].status = stub->IngestDocument(&ctx, req, &sent[d][replica].response);
      });
    }
  }
  for (std::thread& t : clients) t.join();

  std::vector<std::string> ids;
  int observations = 0, tasks = 0;
  for (size_t d = 0; d < seeds.size(); ++d) {
    SCOPED_TRACE(seeds[d]);
    ASSERT_TRUE(sent[d][0].status.ok()) << sent[d][0].status.error_message();
    ASSERT_TRUE(sent[d][1].status.ok()) << sent[d][1].status.error_message();
    const v1::Document& doc = sent[d][0].response.document();
    EXPECT_EQ(sent[d][1].response.document().id(), doc.id()) << "one document, whichever replica stored it";
    EXPECT_EQ(sent[d][0].response.created() + sent[d][1].response.created(), 1) << "stored exactly once";
    ids.push_back(doc.id());
    observations += doc.observation_count();
    tasks += doc.task_count();
  }
  EXPECT_GT(observations, 50);
  EXPECT_EQ(tasks, 121);

  ASSERT_TRUE(WaitForDeliveriesAt(ingestion_[0].address(), ids, absl::Seconds(60), kUser))
      << ingestion_[0].Log() << ingestion_[1].Log();
  for (int replica : {0, 1}) {
    SCOPED_TRACE(absl::StrCat("read from replica ", replica));
    EXPECT_EQ(CountObservations(replica), observations);
    std::vector<std::string> task_ids = TaskIds(replica);
    EXPECT_EQ(task_ids.size(), static_cast<size_t>(tasks));
    std::sort(task_ids.begin(), task_ids.end());
    EXPECT_EQ(std::unique(task_ids.begin(), task_ids.end()), task_ids.end());
    v1::ListPlansResponse plans;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    ASSERT_TRUE(Tasks(replica)->ListPlans(&ctx, v1::ListPlansRequest(), &plans).ok());
    ASSERT_EQ(plans.plans_size(), 1) << "the division plan imported once";
    EXPECT_EQ(plans.plans(0).task_count(), tasks);
  }
  // Both replicas' views of the outbox agree: every delivery done, none failed.
  auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_[1].address()));
  for (const std::string& id : ids) {
    v1::GetDocumentRequest req;
    req.set_document_id(id);
    v1::Document doc;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    ASSERT_TRUE(stub->GetDocument(&ctx, req, &doc).ok());
    for (const v1::Delivery& d : doc.deliveries()) {
      EXPECT_TRUE(d.state() == v1::DELIVERY_STATE_DELIVERED || d.state() == v1::DELIVERY_STATE_NOT_NEEDED)
          << id << " " << d.ShortDebugString();
    }
  }
}

// A report made through task replica B is what replica A answers next, in the task, the listing and the
// ledger, also when A had the ledger cached from before the report (boards poll the ledger of any replica).
TEST_F(ReplicasTest, ReportOnOneTaskReplicaIsReadOnTheOther) {
  const std::string task = ImportOneTask(0);
  ASSERT_FALSE(task.empty());
  const std::string plan = GetTask(0, task).task().plan_id();
  for (const std::string& which : {plan, std::string()}) {  // the plan's ledger, and all current plans'
    v1::Ledger before = GetLedger(0, which);
    ASSERT_EQ(before.rows_size(), 1);
    EXPECT_EQ(before.rows(0).not_started(), 1);
  }

  v1::ReportProgressRequest req;
  req.set_task_id(task);
  req.set_percent(30);
  req.set_narrative("在副本B上报告");
  v1::Task reported;
  grpc::ClientContext ctx;
  Prepare(&ctx);
  grpc::Status s = Tasks(1)->ReportProgress(&ctx, req, &reported);
  ASSERT_TRUE(s.ok()) << s.error_message();

  v1::TaskDetail detail = GetTask(0, task);
  EXPECT_EQ(detail.task().percent_complete(), 30);
  EXPECT_EQ(detail.task().status(), v1::TASK_STATUS_IN_PROGRESS);
  ASSERT_EQ(detail.reports_size(), 1);
  EXPECT_EQ(detail.reports(0).narrative(), "在副本B上报告");
  v1::ListTasksRequest list;
  list.mutable_filter()->set_plan_id(plan);
  v1::ListTasksResponse listed;
  grpc::ClientContext lc;
  Prepare(&lc);
  ASSERT_TRUE(Tasks(0)->ListTasks(&lc, list, &listed).ok());
  ASSERT_EQ(listed.tasks_size(), 1);
  EXPECT_EQ(listed.tasks(0).percent_complete(), 30);
  for (const std::string& which : {plan, std::string()}) {
    SCOPED_TRACE(which.empty() ? "all current plans" : which);
    v1::Ledger after = GetLedger(0, which);
    ASSERT_EQ(after.rows_size(), 1);
    EXPECT_EQ(after.rows(0).in_progress(), 1) << "replica A's ledger missed replica B's report";
    EXPECT_EQ(after.rows(0).not_started(), 0);
    EXPECT_TRUE(after.rows(0).has_last_report_at());
  }
}

}  // namespace
}  // namespace luoshi::testing
