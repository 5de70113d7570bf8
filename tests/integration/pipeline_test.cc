// The path a report takes through the running system: ingestion extracts it, stores it, and its
// dispatcher delivers figures to the indicator service and tasks to the task service — exactly once,
// also when a downstream service was down during the ingest and comes back later.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/ingestion.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/identity.h"
#include "services/common/server.h"
#include "tests/common/process.h"

namespace luoshi::testing {
namespace {

void Prepare(grpc::ClientContext* ctx, int seconds = 30) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  ProgramTokens().Attach(AdminIdentity("pipeline-test"), ctx);
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir(std::string("luoshi_pipeline_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void StartIndicators(const std::string& listen = "") {
    std::vector<std::string> args = AuthFlags();
    args.push_back("--db=" + dir_ + "/indicators.db");
    if (!listen.empty()) args.push_back("--listen=" + listen);
    absl::Status s = indicators_.Start(BinaryPath("indicators/luoshi-indicators"), args);
    ASSERT_TRUE(s.ok()) << s;
  }
  void StartTasks(const std::string& listen = "") {
    std::vector<std::string> args = AuthFlags();
    args.push_back("--db=" + dir_ + "/tasks.db");
    if (!listen.empty()) args.push_back("--listen=" + listen);
    absl::Status s = tasks_.Start(BinaryPath("tasks/luoshi-tasks"), args);
    ASSERT_TRUE(s.ok()) << s;
  }
  void StartIngestion(const std::string& indicators_addr, const std::string& tasks_addr) {
    std::vector<std::string> args = AuthFlags();
    for (const std::string& a :
         {"--db=" + dir_ + "/ingestion.db", "--indicators_addr=" + indicators_addr, "--tasks_addr=" + tasks_addr,
          std::string("--dispatch_interval_ms=50"), std::string("--retry_max_ms=500"),
          std::string("--delivery_deadline_ms=2000")}) {
      args.push_back(a);
    }
    absl::Status s = ingestion_.Start(BinaryPath("ingestion/luoshi-ingestion"), args);
    ASSERT_TRUE(s.ok()) << s;
  }

  // Ingests every seed; returns the documents' ids and adds up what the extractor found.
  std::vector<std::string> IngestSeeds(bool expect_created) {
    auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    std::vector<std::string> ids;
    observations_ = 0;
    tasks_extracted_ = 0;
    for (const auto& path : SeedPaths()) {
      v1::IngestDocumentRequest req;
      req.set_content(ReadTestFile(path));
      req.set_filename(std::filesystem::path(path).filename().string());
      v1::IngestDocumentResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      grpc::Status s = stub->IngestDocument(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << path << ": " << s.error_message();
      EXPECT_EQ(resp.created(), expect_created) << path;
      ids.push_back(resp.document().id());
      observations_ += resp.document().observation_count();
      tasks_extracted_ += resp.document().task_count();
    }
    return ids;
  }

  // Waits (bounded) until every document's deliveries are done; returns false on time-out.
  bool WaitForDeliveries(const std::vector<std::string>& ids, absl::Duration limit) {
    auto stub = v1::IngestionService::NewStub(MakeChannel(ingestion_.address()));
    absl::Time deadline = absl::Now() + limit;
    while (absl::Now() < deadline) {
      bool all_done = true;
      for (const auto& id : ids) {
        v1::GetDocumentRequest req;
        req.set_document_id(id);
        v1::Document doc;
        grpc::ClientContext ctx;
        Prepare(&ctx);
        if (!stub->GetDocument(&ctx, req, &doc).ok()) return false;
        for (const auto& d : doc.deliveries()) {
          if (d.state() == v1::DELIVERY_STATE_PENDING) all_done = false;
        }
      }
      if (all_done) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  int CountObservations() {
    auto stub = v1::IndicatorService::NewStub(MakeChannel(indicators_.address()));
    v1::QueryObservationsRequest req;
    req.set_all_vintages(true);
    req.mutable_page()->set_page_size(1000);
    int n = 0;
    do {
      v1::QueryObservationsResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      grpc::Status s = stub->QueryObservations(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return -1;
      n += resp.observations_size();
      req.mutable_page()->set_page_token(resp.next_page_token());
    } while (!req.page().page_token().empty());
    return n;
  }

  // Waits (bounded) until the indicator service holds `expected` observations; returns the last count.
  int WaitForObservationCount(int expected, absl::Duration limit) {
    absl::Time deadline = absl::Now() + limit;
    int n = CountObservations();
    while (n != expected && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
      n = CountObservations();
    }
    return n;
  }

  v1::ListPlansResponse Plans() {
    auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
    v1::ListPlansResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->ListPlans(&ctx, v1::ListPlansRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  int CountTasks(const std::string& plan_id) {
    auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
    v1::ListTasksRequest req;
    req.mutable_filter()->set_plan_id(plan_id);
    req.mutable_page()->set_page_size(1000);
    int n = 0;
    do {
      v1::ListTasksResponse resp;
      grpc::ClientContext ctx;
      Prepare(&ctx);
      grpc::Status s = stub->ListTasks(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) return -1;
      n += resp.tasks_size();
      req.mutable_page()->set_page_token(resp.next_page_token());
    } while (!req.page().page_token().empty());
    return n;
  }

  std::string dir_;
  ServiceProcess indicators_, tasks_, ingestion_;
  int observations_ = 0, tasks_extracted_ = 0;
};

TEST_F(PipelineTest, SeedsArriveExactlyOnceEvenWhenTheTaskServiceWasDown) {
  ASSERT_NO_FATAL_FAILURE(StartIndicators());
  // Learn a free port for the task service, then take it down: ingestion will find nobody there.
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  const std::string tasks_addr = tasks_.address();
  ASSERT_EQ(tasks_.Stop(), 0);
  ASSERT_NO_FATAL_FAILURE(StartIngestion(indicators_.address(), tasks_addr));

  std::vector<std::string> ids = IngestSeeds(/*expect_created=*/true);
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_GT(observations_, 50);
  EXPECT_EQ(tasks_extracted_, 121);
  // The same bytes again: the same documents, nothing new.
  EXPECT_EQ(IngestSeeds(/*expect_created=*/false), ids);
  // Indicators are delivered; tasks wait for their service.
  EXPECT_EQ(WaitForObservationCount(observations_, absl::Seconds(30)), observations_);
  EXPECT_FALSE(WaitForDeliveries(ids, absl::Seconds(1)));

  ASSERT_NO_FATAL_FAILURE(StartTasks(tasks_addr));
  ASSERT_TRUE(WaitForDeliveries(ids, absl::Seconds(60))) << ingestion_.Log();
  v1::ListPlansResponse plans = Plans();
  ASSERT_EQ(plans.plans_size(), 1);
  EXPECT_EQ(plans.plans(0).task_count(), 121);
  EXPECT_EQ(CountTasks(plans.plans(0).id()), 121);
  EXPECT_EQ(CountObservations(), observations_);
}

TEST_F(PipelineTest, RestartedServicesKeepTheirData) {
  ASSERT_NO_FATAL_FAILURE(StartIndicators());
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  ASSERT_NO_FATAL_FAILURE(StartIngestion(indicators_.address(), tasks_.address()));
  std::vector<std::string> ids = IngestSeeds(true);
  ASSERT_TRUE(WaitForDeliveries(ids, absl::Seconds(60))) << ingestion_.Log();
  const int observations = CountObservations();
  const std::string indicators_addr = indicators_.address(), tasks_addr = tasks_.address();

  // SIGTERM everything, then bring it all back on the same databases.
  EXPECT_EQ(ingestion_.Stop(), 0) << ingestion_.Log();
  EXPECT_EQ(indicators_.Stop(), 0) << indicators_.Log();
  EXPECT_EQ(tasks_.Stop(), 0) << tasks_.Log();
  ASSERT_NO_FATAL_FAILURE(StartIndicators(indicators_addr));
  ASSERT_NO_FATAL_FAILURE(StartTasks(tasks_addr));
  ASSERT_NO_FATAL_FAILURE(StartIngestion(indicators_addr, tasks_addr));

  EXPECT_EQ(IngestSeeds(false), ids);
  EXPECT_EQ(CountObservations(), observations);
  v1::ListPlansResponse plans = Plans();
  ASSERT_EQ(plans.plans_size(), 1);
  EXPECT_EQ(CountTasks(plans.plans(0).id()), 121);
}

}  // namespace
}  // namespace luoshi::testing
