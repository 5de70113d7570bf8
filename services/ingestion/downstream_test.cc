// The ingestion service against real peers on loopback ports picked by the kernel: its gRPC server,
// the real extraction library, a real SQLite store, the dispatcher with the real gRPC delivery client,
// the real indicator service (in this process, with its own SQLite file), and a task service that
// answers what the test tells it to. The dispatcher is driven pass by pass with a fake clock, so
// "retried later" and "never retried" are observable without waiting for backoffs.
#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/indicators/grpc_service.h"
#include "services/indicators/service.h"
#include "services/indicators/sqlite_store.h"
#include "services/ingestion/delivery_client.h"
#include "services/ingestion/dispatcher.h"
#include "services/ingestion/service.h"
#include "services/ingestion/grpc_service.h"
#include "services/ingestion/library_extraction_engine.h"
#include "services/ingestion/sqlite_store.h"
#include "services/ingestion/test_util.h"

namespace luoshi::ingestion {
namespace {

using ::testing::Contains;
using ::testing::Each;
using testing::Seeds;  // luoshi::ingestion::testing
using testing::SourceDir;
using ::testing::HasSubstr;
using ::testing::Property;

// The bytes of the seed whose file name starts with `prefix`.
std::string ReadSeed(const std::string& prefix) {
  for (const auto& [name, bytes] : Seeds()) {
    if (name.rfind(prefix, 0) == 0) return bytes;
  }
  ADD_FAILURE() << "no seed " << prefix;
  return "";
}

// A district's short economic summary that names its region but no year anywhere.
constexpr char kYearlessReport[] =
    "大兴区经济运行情况\n"
    "一、主要指标\n"
    "全区地区生产总值增长5.2%。社会消费品零售总额增长3.1%。一般公共预算收入完成85.6亿元。\n";

// Who uploads in these tests: the supervising office, which may import plans.
const Identity kUploader{"督查室王敏", "区政府督查室", Role::kSupervisor};

// A task service stand-in: rejects every plan as invalid while `reject` is set, accepts otherwise.
class ScriptedTasks final : public v1::TaskService::Service {
 public:
  grpc::Status ImportPlan(grpc::ServerContext*, const v1::ImportPlanRequest* request,
                          v1::ImportPlanResponse*) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (reject_) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "task 3: the text is empty");
    accepted_ += request->tasks_size();
    return grpc::Status::OK;
  }
  void set_reject(bool reject) {
    absl::MutexLock lock(&mu_);
    reject_ = reject;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  int accepted_tasks() {
    absl::MutexLock lock(&mu_);
    return accepted_;
  }

 private:
  absl::Mutex mu_;
  bool reject_ ABSL_GUARDED_BY(mu_) = false;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int accepted_ ABSL_GUARDED_BY(mu_) = 0;
};

class DownstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = LoadCatalog(SourceDir() + "/data/catalog.json");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_index_ = std::make_unique<CatalogIndex>(*catalog);
    engine_ = std::make_unique<LibraryExtractionEngine>(*catalog);

    indicators_db_ = std::make_unique<testing::TempDatabase>("downstream_indicators");
    auto indicator_store = indicators::SqliteObservationStore::Open(indicators_db_->path());
    ASSERT_TRUE(indicator_store.ok()) << indicator_store.status();
    indicator_store_ = std::move(*indicator_store);
    indicator_service_ = std::make_unique<indicators::IndicatorLogic>(
        catalog_index_.get(), indicator_store_.get(), SystemClock::Get());
    indicator_grpc_ =
        std::make_unique<indicators::GrpcService>(indicator_service_.get(), tokens_.authenticator());
    StartIndicators("127.0.0.1:0");
    indicators_address_ = "127.0.0.1:" + std::to_string(indicators_host_->port());

    tasks_host_ = std::make_unique<ServiceHost>("tasks-peer", TaskServerLimits());
    tasks_host_->AddService(&tasks_, "luoshi.v1.TaskService");
    ASSERT_TRUE(tasks_host_->Start("127.0.0.1:0").ok());

    client_ = std::make_unique<GrpcDeliveryClient>(
        MakeChannel(indicators_address_), MakeChannel("127.0.0.1:" + std::to_string(tasks_host_->port())),
        absl::Seconds(2), tokens_.For(ServiceIdentity()));
    ingestion_db_ = std::make_unique<testing::TempDatabase>("downstream_ingestion");
    auto store = SqliteDocumentStore::Open(ingestion_db_->path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    handler_ = std::make_unique<IngestionLogic>(store_.get(), engine_.get(), &clock_, IngestionOptions{});
    dispatcher_ = std::make_unique<Dispatcher>(store_.get(), client_.get(), &clock_, DispatcherOptions{},
                                               [] { return 1.0; });
    server_ = std::make_unique<GrpcService>(handler_.get(), tokens_.authenticator());
    ingestion_host_ = std::make_unique<ServiceHost>("ingestion", IngestionServerLimits());
    ingestion_host_->AddService(server_.get(), "luoshi.v1.IngestionService");
    ASSERT_TRUE(ingestion_host_->Start("127.0.0.1:0").ok());
    ingestion_ =
        v1::IngestionService::NewStub(MakeChannel("127.0.0.1:" + std::to_string(ingestion_host_->port())));
  }

  void TearDown() override {
    if (ingestion_host_) ingestion_host_->Shutdown(absl::ZeroDuration());
    if (indicators_host_) indicators_host_->Shutdown(absl::ZeroDuration());
    if (tasks_host_) tasks_host_->Shutdown(absl::ZeroDuration());
  }

  void StartIndicators(const std::string& address) {
    indicators_host_ = std::make_unique<ServiceHost>("indicators", IndicatorServerLimits());
    indicators_host_->AddService(indicator_grpc_.get(), "luoshi.v1.IndicatorService");
    absl::Status s = indicators_host_->Start(address);
    ASSERT_TRUE(s.ok()) << s;
  }

  v1::IngestDocumentResponse Ingest(const std::string& bytes, const std::string& filename) {
    v1::IngestDocumentRequest request;
    request.set_content(bytes);
    request.set_filename(filename);
    v1::IngestDocumentResponse response;
    grpc::ClientContext context;
    tokens_.Attach(kUploader, &context);
    grpc::Status s = ingestion_->IngestDocument(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  v1::IngestDocumentResponse Reprocess(const std::string& id, int year_hint = 0) {
    v1::ReprocessDocumentRequest request;
    request.set_document_id(id);
    request.set_year_hint(year_hint);
    v1::IngestDocumentResponse response;
    grpc::ClientContext context;
    tokens_.Attach(kUploader, &context);
    grpc::Status s = ingestion_->ReprocessDocument(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  v1::Delivery DeliveryOf(const std::string& id, const std::string& target) {
    v1::GetDocumentRequest request;
    request.set_document_id(id);
    v1::Document document;
    grpc::ClientContext context;
    tokens_.Attach(kUploader, &context);
    grpc::Status s = ingestion_->GetDocument(&context, request, &document);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const v1::Delivery& d : document.deliveries()) {
      if (d.target() == target) return d;
    }
    ADD_FAILURE() << "no delivery to " << target;
    return {};
  }

  // What the real indicator service holds for the document (every vintage).
  std::vector<v1::Observation> StoredObservations(const std::string& document_id) {
    auto stub = v1::IndicatorService::NewStub(MakeChannel(indicators_address_));
    v1::QueryObservationsRequest request;
    request.set_document_id(document_id);
    request.set_all_vintages(true);
    request.mutable_page()->set_page_size(1000);
    v1::QueryObservationsResponse response;
    grpc::ClientContext context;
    tokens_.Attach(kUploader, &context);
    grpc::Status s = stub->QueryObservations(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {response.observations().begin(), response.observations().end()};
  }

  DispatchStats Pass() {
    auto stats = dispatcher_->RunOnce();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : DispatchStats{};
  }

  TestTokens tokens_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<CatalogIndex> catalog_index_;
  std::unique_ptr<LibraryExtractionEngine> engine_;
  std::unique_ptr<testing::TempDatabase> indicators_db_;  // outlives the store
  std::unique_ptr<indicators::SqliteObservationStore> indicator_store_;
  std::unique_ptr<indicators::IndicatorLogic> indicator_service_;
  std::unique_ptr<indicators::GrpcService> indicator_grpc_;
  std::unique_ptr<ServiceHost> indicators_host_;
  std::string indicators_address_;
  ScriptedTasks tasks_;
  std::unique_ptr<ServiceHost> tasks_host_;
  std::unique_ptr<GrpcDeliveryClient> client_;
  std::unique_ptr<testing::TempDatabase> ingestion_db_;
  std::unique_ptr<SqliteDocumentStore> store_;
  std::unique_ptr<IngestionLogic> handler_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<GrpcService> server_;
  std::unique_ptr<ServiceHost> ingestion_host_;
  std::unique_ptr<v1::IngestionService::Stub> ingestion_;
};

TEST_F(DownstreamTest, RejectedPlanShowsAsFailedIsNotRetriedAndReprocessQueuesItAgain) {
  tasks_.set_reject(true);
  v1::IngestDocumentResponse ingested = Ingest(ReadSeed("004_"), "004.txt");
  const std::string id = ingested.document().id();
  ASSERT_GT(ingested.extraction().tasks_size(), 100);

  DispatchStats stats = Pass();
  EXPECT_EQ(stats.failed, 1);
  v1::Delivery tasks = DeliveryOf(id, "tasks");
  EXPECT_EQ(tasks.state(), v1::DELIVERY_STATE_FAILED);
  EXPECT_EQ(tasks.attempts(), 1);
  EXPECT_FALSE(tasks.has_next_attempt_at());
  EXPECT_THAT(tasks.last_error(), HasSubstr("INVALID_ARGUMENT: task 3: the text is empty"));
  EXPECT_THAT(tasks.last_error(), HasSubstr("not retried"));

  // Hours of passes later the peer has been asked once.
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::Hours(1));
    Pass();
  }
  EXPECT_EQ(tasks_.calls(), 1);
  EXPECT_EQ(DeliveryOf(id, "tasks").state(), v1::DELIVERY_STATE_FAILED);

  // The cause is fixed downstream; a reprocess queues the plan again and it goes through.
  tasks_.set_reject(false);
  v1::IngestDocumentResponse reprocessed = Reprocess(id);
  ASSERT_EQ(reprocessed.document().deliveries_size(), 2);
  EXPECT_EQ(reprocessed.document().deliveries(1).state(), v1::DELIVERY_STATE_PENDING);
  Pass();
  EXPECT_EQ(tasks_.calls(), 2);
  EXPECT_EQ(tasks_.accepted_tasks(), ingested.extraction().tasks_size());
  v1::Delivery delivered = DeliveryOf(id, "tasks");
  EXPECT_EQ(delivered.state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(delivered.last_error(), "");
}

TEST_F(DownstreamTest, PeerThatIsDownStaysPendingAndGetsEverythingOnceItIsBack) {
  indicators_host_->Shutdown(absl::ZeroDuration());
  v1::IngestDocumentResponse ingested = Ingest(ReadSeed("000_"), "000.txt");
  const std::string id = ingested.document().id();
  const int figures = ingested.extraction().observations_size();
  ASSERT_GT(figures, 10);

  EXPECT_EQ(Pass().retried, 1);
  v1::Delivery waiting = DeliveryOf(id, "indicators");
  EXPECT_EQ(waiting.state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(waiting.attempts(), 1);
  EXPECT_TRUE(waiting.has_next_attempt_at());
  EXPECT_THAT(waiting.last_error(), HasSubstr("retrying"));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Pass().retried, 1);
  EXPECT_EQ(DeliveryOf(id, "indicators").state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(DeliveryOf(id, "indicators").attempts(), 2);

  StartIndicators(indicators_address_);  // back on the same address
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Pass().delivered, 1);
  v1::Delivery delivered = DeliveryOf(id, "indicators");
  EXPECT_EQ(delivered.state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(delivered.attempts(), 3);
  EXPECT_EQ(delivered.left_out(), 0);
  EXPECT_EQ(static_cast<int>(StoredObservations(id).size()), figures);
}

TEST_F(DownstreamTest, FiguresWithoutAYearAreLeftOutSaidSoAndComeInWithAYearHint) {
  v1::IngestDocumentResponse ingested = Ingest(kYearlessReport, "summary.txt");
  const std::string id = ingested.document().id();
  const v1::Extraction& extraction = ingested.extraction();
  ASSERT_EQ(extraction.observations_size(), 3);
  EXPECT_THAT(extraction.observations(), Each(Property(&v1::Observation::period, "")));
  EXPECT_THAT(extraction.warnings(), Contains(HasSubstr("does not give its year")));

  // Nothing the indicator service could store: no call, nothing failed, and the reply says why.
  v1::Delivery indicators = ingested.document().deliveries(0);
  ASSERT_EQ(indicators.target(), "indicators");
  EXPECT_EQ(indicators.state(), v1::DELIVERY_STATE_NOT_NEEDED);
  EXPECT_EQ(indicators.left_out(), 3);
  EXPECT_THAT(indicators.left_out_reason(), HasSubstr("3 figures have no period"));
  EXPECT_THAT(indicators.left_out_reason(), HasSubstr("luoshi reprocess " + id + " --year"));
  DispatchStats stats = Pass();
  EXPECT_EQ(stats.failed, 0);
  EXPECT_EQ(stats.retried, 0);
  EXPECT_TRUE(StoredObservations(id).empty());

  // The user gives the year: the figures get their period and arrive.
  v1::IngestDocumentResponse reprocessed = Reprocess(id, 2023);
  EXPECT_THAT(reprocessed.extraction().observations(), Each(Property(&v1::Observation::period, "2023")));
  EXPECT_EQ(reprocessed.document().metadata().year(), 2023);
  EXPECT_EQ(reprocessed.document().deliveries(0).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(reprocessed.document().deliveries(0).left_out(), 0);
  EXPECT_EQ(Pass().delivered, 1);
  EXPECT_EQ(DeliveryOf(id, "indicators").state(), v1::DELIVERY_STATE_DELIVERED);
  std::vector<v1::Observation> stored = StoredObservations(id);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_THAT(stored, Each(Property(&v1::Observation::period, "2023")));

  // The hint is kept: a later reprocess without one still files the figures under 2023.
  v1::IngestDocumentResponse again = Reprocess(id);
  EXPECT_THAT(again.extraction().observations(), Each(Property(&v1::Observation::period, "2023")));
  EXPECT_EQ(again.document().deliveries(0).left_out(), 0);
}

TEST_F(DownstreamTest, FiguresWhoseSentenceNamesTheYearAreDeliveredTheOthersCounted) {
  v1::IngestDocumentResponse ingested =
      Ingest("大兴区经济运行简报\n全区地区生产总值增长5.2%。\n2022年全区社会消费品零售总额增长3.1%。\n",
             "brief.txt");
  const std::string id = ingested.document().id();
  ASSERT_EQ(ingested.extraction().observations_size(), 2);
  EXPECT_EQ(ingested.extraction().observations(0).period(), "");
  EXPECT_EQ(ingested.extraction().observations(1).period(), "2022");
  const v1::Delivery& indicators = ingested.document().deliveries(0);
  EXPECT_EQ(indicators.state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(indicators.left_out(), 1);
  EXPECT_THAT(indicators.left_out_reason(), HasSubstr("1 figure has no period"));
  EXPECT_EQ(Pass().delivered, 1);
  std::vector<v1::Observation> stored = StoredObservations(id);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].period(), "2022");
  EXPECT_EQ(DeliveryOf(id, "indicators").left_out(), 1);  // still said after delivery

  // A year hint fills in only what the document does not say.
  v1::IngestDocumentResponse reprocessed = Reprocess(id, 2023);
  ASSERT_EQ(reprocessed.extraction().observations_size(), 2);
  EXPECT_EQ(reprocessed.extraction().observations(0).period(), "2023");
  EXPECT_EQ(reprocessed.extraction().observations(1).period(), "2022");
  EXPECT_EQ(reprocessed.document().deliveries(0).left_out(), 0);
  EXPECT_EQ(Pass().delivered, 1);
  EXPECT_EQ(StoredObservations(id).size(), 2u);
}

TEST_F(DownstreamTest, ReprocessRefusesAYearHintThatIsNoYear) {
  v1::IngestDocumentResponse ingested = Ingest(kYearlessReport, "summary.txt");
  v1::ReprocessDocumentRequest request;
  request.set_document_id(ingested.document().id());
  request.set_year_hint(23);
  v1::IngestDocumentResponse response;
  grpc::ClientContext context;
  tokens_.Attach(kUploader, &context);
  grpc::Status s = ingestion_->ReprocessDocument(&context, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("year_hint 23 is not a year"));
}

}  // namespace
}  // namespace luoshi::ingestion
