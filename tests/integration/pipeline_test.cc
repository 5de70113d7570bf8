// The path a report takes through the running system: ingestion extracts it, stores it, and its
// dispatcher delivers figures to the indicator service and tasks to the task service — exactly once,
// also when a downstream service was down during the ingest and comes back later — and what a user then
// reads: the year's targets judged against actuals, and the plan's ledger before and after a report.
//
// Every case runs twice with the same assertions (issue 23): once with each service on its own SQLite file,
// once with each service on its own PostgreSQL database of the test program's server
// (tests/common/postgres_server.h).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
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

void Prepare(grpc::ClientContext* ctx, int seconds = 30) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  ProgramTokens().Attach(AdminIdentity("pipeline-test"), ctx);
}

enum class Backend { kSqlite, kPostgres };

class PipelineTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = FreshTestDir("luoshi_pipeline_" + test);
    if (GetParam() == Backend::kPostgres) {
      absl::StatusOr<PostgresServer*> server = SharedPostgres();
      ASSERT_TRUE(server.ok()) << server.status();
      for (const char* service : {"indicators", "tasks", "ingestion"}) {
        // A database per service, as an operator would give them (or a schema each: both are supported).
        absl::StatusOr<std::string> uri = (*server)->CreateDatabase(absl::StrCat(service, "_", test));
        ASSERT_TRUE(uri.ok()) << uri.status();
        pg_uris_[service] = *uri;
      }
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The flag that puts `service`'s data where this run's backend keeps it; the same location on every
  // start of the test, so a restarted service finds what it stored.
  std::string StoreFlag(const std::string& service) const {
    if (GetParam() == Backend::kPostgres) return "--store=" + pg_uris_.at(service);
    return absl::StrCat("--db=", dir_, "/", service, ".db");
  }

  void StartIndicators(const std::string& listen = "") {
    std::vector<std::string> args = AuthFlags();
    args.push_back(StoreFlag("indicators"));
    if (!listen.empty()) args.push_back("--listen=" + listen);
    absl::Status s = indicators_.Start(BinaryPath("indicators/luoshi-indicators"), args);
    ASSERT_TRUE(s.ok()) << s;
  }
  void StartTasks(const std::string& listen = "") {
    std::vector<std::string> args = AuthFlags();
    args.push_back(StoreFlag("tasks"));
    if (!listen.empty()) args.push_back("--listen=" + listen);
    absl::Status s = tasks_.Start(BinaryPath("tasks/luoshi-tasks"), args);
    ASSERT_TRUE(s.ok()) << s;
  }
  void StartIngestion(const std::string& indicators_addr, const std::string& tasks_addr) {
    std::vector<std::string> args = AuthFlags();
    for (const std::string& a :
         {StoreFlag("ingestion"), "--indicators_addr=" + indicators_addr, "--tasks_addr=" + tasks_addr,
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
    return WaitForDeliveriesAt(ingestion_.address(), ids, limit, "pipeline-test");
  }

  int CountObservations() { return CountObservationsAt(indicators_.address(), "pipeline-test"); }

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

  v1::CompareTargetsResponse Compare(const std::string& region, int year) {
    auto stub = v1::IndicatorService::NewStub(MakeChannel(indicators_.address()));
    v1::CompareTargetsRequest req;
    req.set_region(region);
    req.set_year(year);
    v1::CompareTargetsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->CompareTargets(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // The year's targets of a region judged against its actuals, as one line per comparison a person would
  // read ("indicator period: verdict — explanation"), in the service's order.
  std::vector<std::string> CompareTargets(const std::string& region, int year) {
    std::vector<std::string> lines;
    const v1::CompareTargetsResponse judged = Compare(region, year);
    for (const v1::TargetComparison& c : judged.comparisons()) {
      lines.push_back(absl::StrCat(c.target().indicator_id(), " ", c.target().period(), ": ",
                                   v1::Verdict_Name(c.verdict()), " — ", c.explanation()));
    }
    return lines;
  }

  // The target of `indicator` among the region's targets of `year` (a test failure if there is none).
  v1::Observation FindTarget(const std::string& region, int year, const std::string& indicator) {
    const v1::CompareTargetsResponse judged = Compare(region, year);
    for (const v1::TargetComparison& c : judged.comparisons()) {
      if (c.target().indicator_id() == indicator) return c.target();
    }
    ADD_FAILURE() << "no " << indicator << " target of " << region << " in " << year;
    return v1::Observation();
  }

  void Record(const v1::Observation& observation) {
    auto stub = v1::IndicatorService::NewStub(MakeChannel(indicators_.address()));
    v1::RecordObservationsRequest req;
    *req.add_observations() = observation;
    v1::RecordObservationsResponse resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->RecordObservations(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // How many of `judged` (CompareTargets' lines) have each verdict.
  static std::map<std::string, int> CountVerdicts(const std::vector<std::string>& judged) {
    std::map<std::string, int> verdicts;
    for (const std::string& line : judged) {
      for (const char* v : {"VERDICT_MET", "VERDICT_NOT_MET", "VERDICT_PENDING", "VERDICT_NOT_MEASURABLE"}) {
        if (line.find(absl::StrCat(": ", v, " ")) != std::string::npos) ++verdicts[v];
      }
    }
    return verdicts;
  }

  v1::Ledger Ledger(const std::string& plan_id, v1::LedgerGrouping grouping) {
    auto stub = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
    v1::GetLedgerRequest req;
    req.set_plan_id(plan_id);
    req.set_grouping(grouping);
    v1::Ledger resp;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::Status s = stub->GetLedger(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::string dir_;
  std::map<std::string, std::string> pg_uris_;  // service → its database, on the PostgreSQL backend
  ServiceProcess indicators_, tasks_, ingestion_;
  int observations_ = 0, tasks_extracted_ = 0;
};

TEST_P(PipelineTest, SeedsArriveExactlyOnceEvenWhenTheTaskServiceWasDown) {
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

TEST_P(PipelineTest, RestartedServicesKeepTheirData) {
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

// What a user reads once the seeds are in: 大兴区's 2023 targets judged against its actuals, and the plan's
// ledger, which follows a progress report at once.
TEST_P(PipelineTest, TargetsAreJudgedAndTheLedgerFollowsAReport) {
  ASSERT_NO_FATAL_FAILURE(StartIndicators());
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  ASSERT_NO_FATAL_FAILURE(StartIngestion(indicators_.address(), tasks_.address()));
  std::vector<std::string> ids = IngestSeeds(/*expect_created=*/true);
  ASSERT_TRUE(WaitForDeliveries(ids, absl::Seconds(60))) << ingestion_.Log();

  // The seeds hold 2023's targets but not yet its actuals: all wait, except the qualitative ones.
  EXPECT_EQ(CountVerdicts(CompareTargets("大兴区", 2023)),
            (std::map<std::string, int>{{"VERDICT_NOT_MEASURABLE", 3}, {"VERDICT_PENDING", 87}}));
  // The year's GDP growth comes in above its target (≥4.5%): that target is now met, by 0.7 points.
  v1::Observation actual = FindTarget("大兴区", 2023, "gdp");
  ASSERT_EQ(actual.value().value().scale(), 1) << actual.DebugString();
  actual.clear_id();
  actual.clear_bound();
  actual.clear_provenance();
  actual.clear_recorded_at();
  actual.set_status(v1::OBSERVATION_STATUS_ACTUAL);
  actual.set_source_key("pipeline-test:gdp-2023-actual");
  actual.mutable_value()->mutable_value()->set_unscaled(actual.value().value().unscaled() + 7);
  ASSERT_NO_FATAL_FAILURE(Record(actual));
  const std::vector<std::string> judged = CompareTargets("大兴区", 2023);
  EXPECT_EQ(CountVerdicts(judged), (std::map<std::string, int>{
                                       {"VERDICT_MET", 1}, {"VERDICT_NOT_MEASURABLE", 3}, {"VERDICT_PENDING", 86}}));
  EXPECT_EQ(judged.front(), "gdp 2023: VERDICT_MET — target ≥4.5%, actual 5.2%: met by 0.7 pp");
  // Sent again (a retry), the actual is not stored twice.
  ASSERT_NO_FATAL_FAILURE(Record(actual));
  EXPECT_EQ(CountObservations(), observations_ + 1);

  v1::ListPlansResponse plans = Plans();
  ASSERT_EQ(plans.plans_size(), 1);
  const std::string plan = plans.plans(0).id();
  // By section every task counts once; by unit a task counts in each of its units' rows.
  v1::Ledger by_section = Ledger(plan, v1::LEDGER_GROUPING_SECTION);
  int in_sections = 0;
  for (const v1::LedgerRow& row : by_section.rows()) in_sections += row.task_count();
  EXPECT_EQ(in_sections, 121);
  v1::Ledger before = Ledger(plan, v1::LEDGER_GROUPING_UNIT);
  ASSERT_GT(before.rows_size(), 1);
  for (const v1::LedgerRow& row : before.rows()) {
    EXPECT_EQ(row.not_started(), row.task_count()) << row.key();
    EXPECT_FALSE(row.has_last_report_at()) << row.key();
  }

  // A report on the plan's first task of 区农业农村局 (the README's tour reports on it too).
  auto tasks = v1::TaskService::NewStub(MakeChannel(tasks_.address()));
  v1::ListTasksRequest list;
  list.mutable_filter()->set_plan_id(plan);
  list.mutable_filter()->set_unit("区农业农村局");
  list.mutable_page()->set_page_size(1);
  v1::ListTasksResponse listed;
  grpc::ClientContext lc;
  Prepare(&lc);
  ASSERT_TRUE(tasks->ListTasks(&lc, list, &listed).ok());
  ASSERT_EQ(listed.tasks_size(), 1);
  v1::ReportProgressRequest report;
  report.set_task_id(listed.tasks(0).id());
  report.set_percent(40);
  report.set_narrative("完成选址");
  v1::Task reported;
  grpc::ClientContext rc;
  Prepare(&rc);
  grpc::Status s = tasks->ReportProgress(&rc, report, &reported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(reported.status(), v1::TASK_STATUS_IN_PROGRESS);

  v1::Ledger after = Ledger(plan, v1::LEDGER_GROUPING_UNIT);
  ASSERT_EQ(after.rows_size(), before.rows_size());
  // The task moves to in progress in the row of each of its responsible units, and only there.
  const auto& units = reported.definition().responsible_units();
  int changed = 0;
  for (const v1::LedgerRow& row : after.rows()) {
    if (std::find(units.begin(), units.end(), row.key()) == units.end()) {
      EXPECT_EQ(row.in_progress(), 0) << row.key();
      continue;
    }
    ++changed;
    EXPECT_EQ(row.in_progress(), 1) << row.key();
    EXPECT_EQ(row.not_started(), row.task_count() - 1) << row.key();
    EXPECT_TRUE(row.has_last_report_at()) << row.key();
  }
  EXPECT_EQ(changed, units.size()) << "not every responsible unit has its ledger row";

  // Restarted on the same stores, the system answers the same.
  EXPECT_EQ(ingestion_.Stop(), 0) << ingestion_.Log();
  EXPECT_EQ(indicators_.Stop(), 0) << indicators_.Log();
  EXPECT_EQ(tasks_.Stop(), 0) << tasks_.Log();
  ASSERT_NO_FATAL_FAILURE(StartIndicators());
  ASSERT_NO_FATAL_FAILURE(StartTasks());
  EXPECT_EQ(CompareTargets("大兴区", 2023), judged);
  EXPECT_EQ(Ledger(plan, v1::LEDGER_GROUPING_UNIT).SerializeAsString(), after.SerializeAsString());
}

INSTANTIATE_TEST_SUITE_P(Backends, PipelineTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace luoshi::testing
