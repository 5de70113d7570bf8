// The real server on 127.0.0.1:0 with real stubs: identity from metadata, streaming delivery,
// export over the wire.
#include "services/tasks/grpc_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "services/common/flags.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/tasks/test_util.h"
#include "services/tasks/sqlite_store.h"

namespace luoshi::tasks {
namespace {

class TaskGrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = absl::StrCat(::testing::TempDir(), "/grpc_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    auto store = SqliteTaskStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto units = UnitDirectory::Load(testing::SourcePath("data/units.json"));
    ASSERT_TRUE(units.ok());
    units_ = *units;
    tracker_ = std::make_unique<TaskLogic>(store_.get(), &units_, &clock_, nullptr);
    service_ = std::make_unique<GrpcService>(tracker_.get(), tokens_.authenticator());
    host_ = std::make_unique<ServiceHost>("tasks-test", TaskServerLimits());
    host_->AddService(service_.get(), "luoshi.v1.TaskService");
    ASSERT_TRUE(host_->Start("127.0.0.1:0").ok());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::TaskService::NewStub(channel_);

    auto plan = testing::PlanFromSeed(testing::SourcePath(testing::kSeed004));
    ASSERT_TRUE(plan.ok());
    grpc::ClientContext ctx;
    Prepare(&ctx, Identity{"admin", "", Role::kAdmin});
    v1::ImportPlanResponse resp;
    ASSERT_TRUE(stub_->ImportPlan(&ctx, *plan, &resp).ok());
    plan_id_ = resp.plan().id();
  }

  void TearDown() override {
    tracker_->Shutdown();
    host_->Shutdown(absl::Seconds(2));
  }

  void Prepare(grpc::ClientContext* ctx, const Identity& who) const {
    tokens_.Attach(who, ctx);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  std::string TaskId(const std::string& number) {
    grpc::ClientContext ctx;
    Prepare(&ctx, Identity{"v", "", Role::kViewer});
    v1::ListTasksRequest req;
    req.mutable_page()->set_page_size(200);
    v1::ListTasksResponse resp;
    EXPECT_TRUE(stub_->ListTasks(&ctx, req, &resp).ok());
    for (const auto& t : resp.tasks()) {
      if (t.definition().number() == number) return t.id();
    }
    return "";
  }

  TestTokens tokens_;
  FakeClock clock_{absl::FromCivil(absl::CivilDay(2023, 4, 10), absl::FixedTimeZone(8 * 3600))};
  std::unique_ptr<SqliteTaskStore> store_;
  UnitDirectory units_;
  std::unique_ptr<TaskLogic> tracker_;
  std::unique_ptr<GrpcService> service_;
  std::unique_ptr<ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TaskService::Stub> stub_;
  std::string plan_id_;
};

TEST_F(TaskGrpcServiceTest, NoIdentityIsUnauthenticated) {
  grpc::ClientContext ctx;
  v1::ListTasksResponse resp;
  EXPECT_EQ(stub_->ListTasks(&ctx, {}, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TaskGrpcServiceTest, ClaimingAnIdentityInMetadataIsNotSigningIn) {
  // What every caller could once send to be anyone: no longer an identity at all.
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-luoshi-user", "admin");
  ctx.AddMetadata("x-luoshi-role", "admin");
  v1::ListTasksResponse resp;
  grpc::Status s = stub_->ListTasks(&ctx, {}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("no token"), std::string::npos) << s.error_message();
  // A token signed by a key the service does not hold is refused whatever it claims.
  grpc::ClientContext forged;
  TestTokens().Attach(AdminIdentity(), &forged);
  s = stub_->ListTasks(&forged, {}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("not one of this service's keys"), std::string::npos) << s.error_message();
}

TEST_F(TaskGrpcServiceTest, OfficeReportsOwnTaskButNotAnother) {
  const std::string own = TaskId("2");      // 区财政局
  const std::string other = TaskId("1");    // 区发展改革委
  v1::ReportProgressRequest req;
  req.set_percent(30);
  req.set_narrative("已完成一季度目标");
  v1::Task resp;
  {
    grpc::ClientContext ctx;
    Prepare(&ctx, Identity{"李四", "区财政局", Role::kOffice});
    req.set_task_id(own);
    grpc::Status s = stub_->ReportProgress(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.percent_complete(), 30);
  }
  {
    grpc::ClientContext ctx;
    Prepare(&ctx, Identity{"李四", "区财政局", Role::kOffice});
    req.set_task_id(other);
    grpc::Status s = stub_->ReportProgress(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_TRUE(absl::StrContains(s.error_message(), "区财政局")) << s.error_message();
  }
}

// A client that lost the reply sends the same request again with its request_id: from several
// connections at once, and once more afterwards with a fresh token; one report is recorded.
TEST_F(TaskGrpcServiceTest, RetriedReportWithRequestIdIsRecordedOnce) {
  const std::string own = TaskId("2");  // 区财政局
  const Identity office{"李四", "区财政局", Role::kOffice};
  v1::ReportProgressRequest req;
  req.set_task_id(own);
  req.set_percent(45);
  req.set_narrative("已完成招标");
  req.set_request_id("4f6c2a10-retry");
  constexpr int kClients = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", host_->port()),
                                               grpc::InsecureChannelCredentials(), grpc::ChannelArguments());
      auto stub = v1::TaskService::NewStub(channel);
      grpc::ClientContext ctx;
      Prepare(&ctx, office);
      v1::Task resp;
      if (stub->ReportProgress(&ctx, req, &resp).ok() && resp.percent_complete() == 45) ++ok;
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), kClients);
  v1::Task resp;
  {
    grpc::ClientContext ctx;
    Prepare(&ctx, office);
    grpc::Status s = stub_->ReportProgress(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  {
    grpc::ClientContext ctx;
    Prepare(&ctx, office);
    req.set_percent(50);
    grpc::Status s = stub_->ReportProgress(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_TRUE(absl::StrContains(s.error_message(), "4f6c2a10-retry")) << s.error_message();
  }
  grpc::ClientContext ctx;
  Prepare(&ctx, Identity{"v", "", Role::kViewer});
  v1::GetTaskRequest get;
  get.set_id(own);
  v1::TaskDetail detail;
  ASSERT_TRUE(stub_->GetTask(&ctx, get, &detail).ok());
  EXPECT_EQ(detail.reports_size(), 1);
  EXPECT_EQ(detail.task().percent_complete(), 45);
}

TEST_F(TaskGrpcServiceTest, WatcherSeesAnotherClientsReport) {
  const std::string task = TaskId("8");  // 大兴生物医药基地管委会
  grpc::ClientContext watch_ctx;
  tokens_.Attach(Identity{"board", "", Role::kViewer}, &watch_ctx);
  v1::WatchTasksRequest watch;
  watch.mutable_filter()->set_plan_id(plan_id_);
  auto reader = stub_->WatchTasks(&watch_ctx, watch);
  // The server sends headers once the subscription exists; after that no change can be missed.
  reader->WaitForInitialMetadata();

  auto other_channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_->port()),
                                           grpc::InsecureChannelCredentials());
  auto other = v1::TaskService::NewStub(other_channel);
  grpc::ClientContext ctx;
  Prepare(&ctx, Identity{"王五", "大兴生物医药基地管委会", Role::kOffice});
  v1::ReportProgressRequest req;
  req.set_task_id(task);
  req.set_percent(45);
  v1::Task resp;
  ASSERT_TRUE(other->ReportProgress(&ctx, req, &resp).ok());

  v1::TaskEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.task().id(), task);
  EXPECT_EQ(event.task().percent_complete(), 45);
  EXPECT_EQ(event.action(), "report");
  watch_ctx.TryCancel();
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(TaskGrpcServiceTest, ShutdownEndsOpenWatchers) {
  grpc::ClientContext watch_ctx;
  tokens_.Attach(Identity{"board", "", Role::kViewer}, &watch_ctx);
  auto reader = stub_->WatchTasks(&watch_ctx, {});
  reader->WaitForInitialMetadata();
  const absl::Time start = absl::Now();
  tracker_->Shutdown();
  v1::TaskEvent event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

// Open viewers hold no server threads: with the thread quota at its floor (4) and 200 streams open,
// a report is still served at once and reaches every one of them; a watcher beyond --max_watchers is
// refused with a reason.
TEST_F(TaskGrpcServiceTest, WritesAreServedWithTwoHundredStreamsOpen) {
  constexpr int kWatchers = 200;
  // A second server with the smallest thread quota and a limit on watchers, on the same tracker data.
  const int saved_threads = absl::GetFlag(FLAGS_max_threads);
  absl::SetFlag(&FLAGS_max_threads, 4);
  TrackerOptions options;
  options.max_watchers = kWatchers;
  TaskLogic tracker(store_.get(), &units_, &clock_, nullptr, options);
  GrpcService service(&tracker, tokens_.authenticator());
  ServiceHost host("tasks-watch-test", TaskServerLimits());
  host.AddService(&service, "luoshi.v1.TaskService");
  ASSERT_TRUE(host.Start("127.0.0.1:0").ok());
  absl::SetFlag(&FLAGS_max_threads, saved_threads);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host.port()), grpc::InsecureChannelCredentials());
  auto stub = v1::TaskService::NewStub(channel);

  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::TaskEvent>>> readers;
  for (int i = 0; i < kWatchers; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    tokens_.Attach(Identity{absl::StrCat("board", i), "", Role::kViewer}, contexts.back().get());
    readers.push_back(stub->WatchTasks(contexts.back().get(), {}));
    readers.back()->WaitForInitialMetadata();
  }
  {
    grpc::ClientContext ctx;
    tokens_.Attach(Identity{"board-extra", "", Role::kViewer}, &ctx);
    auto extra = stub->WatchTasks(&ctx, {});
    v1::TaskEvent event;
    EXPECT_FALSE(extra->Read(&event));
    grpc::Status refused = extra->Finish();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_TRUE(absl::StrContains(refused.error_message(), "WatchTasks streams")) << refused.error_message();
  }

  const std::string task = TaskId("8");  // 大兴生物医药基地管委会
  for (int percent : {20, 40}) {
    grpc::ClientContext ctx;
    tokens_.Attach(Identity{"王五", "大兴生物医药基地管委会", Role::kOffice}, &ctx);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ReportProgressRequest req;
    req.set_task_id(task);
    req.set_percent(percent);
    v1::Task resp;
    grpc::Status s = stub->ReportProgress(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  for (int i = 0; i < kWatchers; ++i) {
    for (int percent : {20, 40}) {
      v1::TaskEvent event;
      ASSERT_TRUE(readers[i]->Read(&event)) << "watcher " << i;
      EXPECT_EQ(event.task().id(), task);
      EXPECT_EQ(event.task().percent_complete(), percent) << "watcher " << i;
    }
  }
  // Half the viewers leave; the rest end with the service.
  for (int i = 0; i < kWatchers; i += 2) contexts[i]->TryCancel();
  tracker.Shutdown();
  for (int i = 0; i < kWatchers; ++i) {
    v1::TaskEvent event;
    EXPECT_FALSE(readers[i]->Read(&event));
    EXPECT_EQ(readers[i]->Finish().error_code(),
              i % 2 == 0 ? grpc::StatusCode::CANCELLED : grpc::StatusCode::UNAVAILABLE) << "watcher " << i;
  }
  host.Shutdown(absl::Seconds(2));
}

// GetLedger is served from the cached, already serialized ledger: over the wire it must be the same
// message the tracker builds, follow a report at once, and refuse what the tracker refuses.
TEST_F(TaskGrpcServiceTest, LedgerOverTheWireMatchesTheTrackerAndFollowsReports) {
  auto ledger_of = [&](const std::string& plan_id, grpc::Status* status) {
    grpc::ClientContext ctx;
    Prepare(&ctx, Identity{"v", "", Role::kViewer});
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_id);
    v1::Ledger ledger;
    *status = stub_->GetLedger(&ctx, req, &ledger);
    return ledger;
  };
  auto row_of = [](const v1::Ledger& ledger, const std::string& key) {
    for (const v1::LedgerRow& row : ledger.rows()) {
      if (row.key() == key) return row;
    }
    return v1::LedgerRow();
  };
  grpc::Status status;
  v1::Ledger wire = ledger_of(plan_id_, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::GetLedgerRequest direct_req;
  direct_req.set_plan_id(plan_id_);
  auto direct = tracker_->GetLedger(Identity{"v", "", Role::kViewer}, direct_req);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(wire.SerializeAsString(), direct->SerializeAsString());
  EXPECT_EQ(row_of(wire, "区住房城乡建设委").task_count(), 10);
  EXPECT_EQ(row_of(wire, "区财政局").in_progress(), 0);

  // Twice from the cache, then a report: the next ledger shows it.
  EXPECT_EQ(ledger_of(plan_id_, &status).SerializeAsString(), wire.SerializeAsString());
  {
    grpc::ClientContext ctx;
    Prepare(&ctx, Identity{"李四", "区财政局", Role::kOffice});
    v1::ReportProgressRequest req;
    req.set_task_id(TaskId("2"));
    req.set_percent(30);
    v1::Task resp;
    ASSERT_TRUE(stub_->ReportProgress(&ctx, req, &resp).ok());
  }
  EXPECT_EQ(row_of(ledger_of(plan_id_, &status), "区财政局").in_progress(), 1);

  ledger_of("P999", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext anonymous;
  v1::Ledger ledger;
  EXPECT_EQ(stub_->GetLedger(&anonymous, v1::GetLedgerRequest(), &ledger).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TaskGrpcServiceTest, ExportStreamsCsv) {
  grpc::ClientContext ctx;
  Prepare(&ctx, Identity{"v", "", Role::kViewer});
  v1::ExportTasksRequest req;
  req.mutable_ledger()->set_plan_id(plan_id_);
  auto reader = stub_->ExportTasks(&ctx, req);
  std::string csv;
  v1::TaskExportChunk chunk;
  while (reader->Read(&chunk)) csv += chunk.data();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(absl::StartsWith(csv, "\xEF\xBB\xBF"));
  EXPECT_TRUE(absl::StrContains(csv, "区住房城乡建设委,10,"));
}

// Issue 21: text an office typed that a spreadsheet would run (=HYPERLINK, @, +cmd) arrives in the
// export as text. The export is read back with Python's csv module, as a spreadsheet importer would.
TEST_F(TaskGrpcServiceTest, ExportedCellsThatStartLikeFormulasReadAsText) {
  auto plan = testing::PlanFromSeed(testing::SourcePath(testing::kSeed004));
  ASSERT_TRUE(plan.ok());
  plan->set_document_sha256(std::string(64, 'f'));
  plan->set_plan_key("大兴区|2023|公式测试方案");
  plan->set_title("公式测试方案");
  v1::TaskDefinition* first = plan->mutable_tasks(0);
  first->set_text("=HYPERLINK(\"http://example.invalid/\",\"点击查看\")");
  first->clear_lead_leaders();
  first->add_lead_leaders("@张三");
  first->clear_responsible_units();
  first->add_responsible_units("+区财政局");
  grpc::ClientContext import_ctx;
  Prepare(&import_ctx, Identity{"admin", "", Role::kAdmin});
  v1::ImportPlanResponse imported;
  ASSERT_TRUE(stub_->ImportPlan(&import_ctx, *plan, &imported).ok());

  grpc::ClientContext ctx;
  Prepare(&ctx, Identity{"v", "", Role::kViewer});
  v1::ExportTasksRequest req;
  req.mutable_tasks()->set_plan_id(imported.plan().id());
  auto reader = stub_->ExportTasks(&ctx, req);
  std::string csv;
  v1::TaskExportChunk chunk;
  while (reader->Read(&chunk)) csv += chunk.data();
  ASSERT_TRUE(reader->Finish().ok());
  const std::string path = absl::StrCat(::testing::TempDir(), "/formula_export.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << csv;
  }
  // The first task's row as the csv module reads it: its text, leader and unit cells, one per line.
  const std::string command = absl::StrCat(
      "/usr/bin/python3 -c \"import csv,sys\n"
      "rows = list(csv.reader(open(sys.argv[1], encoding='utf-8-sig', newline='')))\n"
      "row = rows[1]\n"
      "print(row[rows[0].index('任务内容')]); print(row[rows[0].index('牵头领导')]); "
      "print(row[rows[0].index('责任单位')])\" ",
      path);
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string printed;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) printed.append(buffer, n);
  ASSERT_EQ(pclose(pipe), 0) << "python3 could not read the export: " << printed;
  EXPECT_EQ(printed,
            "'=HYPERLINK(\"http://example.invalid/\",\"点击查看\")\n'@张三\n'+区财政局\n");
}

}  // namespace
}  // namespace luoshi::tasks
