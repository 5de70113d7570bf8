// The PostgreSQL document store with more than one replica on one database (tests/common/postgres_server.h:
// a throwaway server per test program, or LUOSHI_TEST_PG_URL's; one database per test). Each replica is a
// PostgresDocumentStore with its own connection pool and its own Dispatcher with a real gRPC delivery
// client; both deliver to one peer on a loopback port that stands in for the indicator and task services
// and counts what it receives. The DocumentStore contract itself runs on PostgreSQL in store_test.cc.
#include "services/ingestion/postgres_store.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "luoshi/v1/indicators.grpc.pb.h"
#include "luoshi/v1/tasks.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/ingestion/delivery_client.h"
#include "services/ingestion/dispatcher.h"
#include "services/ingestion/service.h"
#include "services/ingestion/test_util.h"
#include "tests/common/postgres_server.h"

namespace luoshi::ingestion {
namespace {

using ::testing::Each;
using ::testing::Pair;
using ::testing::SizeIs;
using testing::FakeDocument;
using testing::FakeExtractionEngine;

// What the peer received: how often each observation (by source key) and each plan (by document hash)
// arrived. Both services share the counts.
class Received {
 public:
  void Observations(const v1::RecordObservationsRequest& request) {
    absl::MutexLock lock(&mu_);
    for (const v1::Observation& o : request.observations()) ++observations_[o.source_key()];
  }
  void Plan(const v1::ImportPlanRequest& request) {
    absl::MutexLock lock(&mu_);
    ++plans_[request.document_sha256()];
  }
  std::map<std::string, int> observations() const {
    absl::MutexLock lock(&mu_);
    return observations_;
  }
  std::map<std::string, int> plans() const {
    absl::MutexLock lock(&mu_);
    return plans_;
  }
  // Waits until `observations` distinct figures and `plans` distinct plans arrived, at most `timeout`.
  bool WaitFor(size_t observations, size_t plans, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return observations_.size() >= observations && plans_.size() >= plans;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, int> observations_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> plans_ ABSL_GUARDED_BY(mu_);
};

class CountingIndicators final : public v1::IndicatorService::Service {
 public:
  explicit CountingIndicators(Received* received) : received_(received) {}
  grpc::Status RecordObservations(grpc::ServerContext*, const v1::RecordObservationsRequest* request,
                                  v1::RecordObservationsResponse*) override {
    received_->Observations(*request);
    return grpc::Status::OK;
  }

 private:
  Received* received_;
};

class CountingTasks final : public v1::TaskService::Service {
 public:
  explicit CountingTasks(Received* received) : received_(received) {}
  grpc::Status ImportPlan(grpc::ServerContext*, const v1::ImportPlanRequest* request,
                          v1::ImportPlanResponse*) override {
    received_->Plan(*request);
    return grpc::Status::OK;
  }

 private:
  Received* received_;
};

// A delivery client that counts the calls it made (which replica did the work).
class CountingClient final : public DeliveryClient {
 public:
  explicit CountingClient(std::unique_ptr<DeliveryClient> inner) : inner_(std::move(inner)) {}
  absl::Status RecordObservations(const v1::RecordObservationsRequest& request) override {
    ++calls_;
    return inner_->RecordObservations(request);
  }
  absl::Status ImportPlan(const v1::ImportPlanRequest& request) override {
    ++calls_;
    return inner_->ImportPlan(request);
  }
  int calls() const { return calls_.load(); }

 private:
  std::unique_ptr<DeliveryClient> inner_;
  std::atomic<int> calls_{0};
};

// One replica of the ingestion service: its own store (pool) on the shared database, handler and
// dispatcher with its own gRPC client.
struct Replica {
  std::unique_ptr<PostgresDocumentStore> store;
  std::unique_ptr<IngestionLogic> handler;
  std::unique_ptr<CountingClient> client;
  std::unique_ptr<Dispatcher> dispatcher;
};

class IngestionPostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = luoshi::testing::SharedPostgres();
    ASSERT_TRUE(server.ok()) << server.status();
    auto uri = (*server)->CreateDatabase(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(uri.ok()) << uri.status();
    uri_ = *uri;

    peer_ = std::make_unique<ServiceHost>("peer", IndicatorServerLimits());
    peer_->AddService(&indicators_, "luoshi.v1.IndicatorService");
    peer_->AddService(&tasks_, "luoshi.v1.TaskService");
    ASSERT_TRUE(peer_->Start("127.0.0.1:0").ok());
  }

  void TearDown() override {
    for (Replica& r : replicas_) {
      if (r.dispatcher) r.dispatcher->Stop();
    }
    if (peer_) peer_->Shutdown(absl::ZeroDuration());
  }

  // Starts another replica on the database (not its dispatcher's threads).
  Replica& AddReplica(const Clock* clock, DispatcherOptions options) {
    Replica& r = replicas_.emplace_back();
    auto store = PostgresDocumentStore::Open(uri_);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return r;
    r.store = *std::move(store);
    r.handler = std::make_unique<IngestionLogic>(r.store.get(), &engine_, clock, IngestionOptions{});
    const std::string peer = absl::StrCat("127.0.0.1:", peer_->port());
    r.client = std::make_unique<CountingClient>(std::make_unique<GrpcDeliveryClient>(
        MakeChannel(peer), MakeChannel(peer), absl::Seconds(10), tokens_.For(ServiceIdentity())));
    r.dispatcher = std::make_unique<Dispatcher>(r.store.get(), r.client.get(), clock, options, [] { return 1.0; });
    return r;
  }

  // Ingests a fake document with 3 figures and a plan of 2 tasks through `replica`.
  void Ingest(Replica& replica, const std::string& title) {
    v1::IngestDocumentRequest request;
    request.set_content(FakeDocument(title, 3, 2));
    auto r = replica.handler->IngestDocument(AdminIdentity(), request);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->created());
  }

  std::string uri_;
  FakeExtractionEngine engine_;
  TestTokens tokens_;
  Received received_;
  CountingIndicators indicators_{&received_};
  CountingTasks tasks_{&received_};
  std::unique_ptr<ServiceHost> peer_;
  std::deque<Replica> replicas_;  // stable addresses
};

// Two replicas' dispatchers working one outbox at the same time: every figure and every plan reaches the
// peer exactly once, and both replicas took part.
TEST_F(IngestionPostgresStoreTest, TwoDispatchersOnOneOutboxDeliverEachEntryExactlyOnce) {
  DispatcherOptions options;
  options.poll_interval = absl::Milliseconds(20);
  Replica& a = AddReplica(SystemClock::Get(), options);
  Replica& b = AddReplica(SystemClock::Get(), options);
  ASSERT_TRUE(a.store && b.store);
  constexpr int kDocuments = 60;
  for (int i = 0; i < kDocuments; ++i) {
    ASSERT_NO_FATAL_FAILURE(Ingest(i % 2 == 0 ? a : b, absl::StrCat("两个副本 ", i)));
  }

  a.dispatcher->Start();
  b.dispatcher->Start();
  EXPECT_TRUE(received_.WaitFor(3 * kDocuments, kDocuments, absl::Seconds(60)));
  a.dispatcher->Stop();
  b.dispatcher->Stop();

  EXPECT_THAT(received_.observations(), SizeIs(3 * kDocuments));
  EXPECT_THAT(received_.observations(), Each(Pair(::testing::_, 1)));
  EXPECT_THAT(received_.plans(), SizeIs(kDocuments));
  EXPECT_THAT(received_.plans(), Each(Pair(::testing::_, 1)));
  EXPECT_GT(a.client->calls(), 0);
  EXPECT_GT(b.client->calls(), 0);
  // Every call delivered something new: no entry was sent by both.
  EXPECT_EQ(a.client->calls() + b.client->calls(), 2 * kDocuments);

  auto backlog = a.store->Backlog();
  ASSERT_TRUE(backlog.ok()) << backlog.status();
  EXPECT_EQ(backlog->pending, 0);
  DocumentQuery all;
  all.limit = kDocuments;
  auto documents = b.store->ListDocuments(all);
  ASSERT_TRUE(documents.ok()) << documents.status();
  ASSERT_THAT(*documents, SizeIs(kDocuments));
  for (const DocumentRecord& d : *documents) {
    auto deliveries = a.store->ListDeliveries(d.id);
    ASSERT_TRUE(deliveries.ok()) << deliveries.status();
    for (const OutboxEntry& e : *deliveries) {
      EXPECT_EQ(e.state, OutboxState::kDelivered) << d.id << " " << e.target;
      EXPECT_EQ(e.attempts, 1) << d.id << " " << e.target;
      EXPECT_FALSE(e.leased_until.has_value()) << d.id << " " << e.target;
    }
  }
}

// A replica claims entries and dies before delivering them (it never records an outcome). The other
// replica's dispatcher leaves them alone while the lease runs, delivers everything else, and delivers them,
// once each, after the lease.
TEST_F(IngestionPostgresStoreTest, EntriesOfACrashedClaimerAreDeliveredByAnotherAfterTheLease) {
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  FakeClock clock(t0);
  DispatcherOptions options;
  options.lease = absl::Minutes(5);
  Replica& survivor = AddReplica(&clock, options);
  Replica& crashed = AddReplica(&clock, options);
  ASSERT_TRUE(survivor.store && crashed.store);
  constexpr int kDocuments = 6;
  for (int i = 0; i < kDocuments; ++i) ASSERT_NO_FATAL_FAILURE(Ingest(survivor, absl::StrCat("崩溃 ", i)));

  auto taken = crashed.store->ClaimDeliveries(kIndicatorsTarget, t0, absl::Minutes(2), 4);
  ASSERT_TRUE(taken.ok()) << taken.status();
  ASSERT_THAT(*taken, SizeIs(4));
  crashed.dispatcher.reset();
  crashed.handler.reset();
  crashed.store.reset();  // its connections close; the leases stay in the database

  // While the lease runs: everything but the four claimed entries.
  auto first = survivor.dispatcher->RunOnce();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->delivered, 2 * kDocuments - 4);
  clock.Advance(absl::Minutes(2) - absl::Seconds(1));
  auto during = survivor.dispatcher->RunOnce();
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->delivered, 0);
  EXPECT_THAT(received_.observations(), SizeIs(3 * (kDocuments - 4)));
  EXPECT_EQ(*survivor.store->NextDueTime(), t0 + absl::Minutes(2));

  // The lease is over: the survivor delivers them.
  clock.Advance(absl::Seconds(1));
  auto after = survivor.dispatcher->RunOnce();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->delivered, 4);
  EXPECT_THAT(received_.observations(), SizeIs(3 * kDocuments));
  EXPECT_THAT(received_.observations(), Each(Pair(::testing::_, 1)));
  EXPECT_THAT(received_.plans(), SizeIs(kDocuments));
  EXPECT_EQ(survivor.store->Backlog()->pending, 0);
  EXPECT_FALSE(survivor.store->NextDueTime()->has_value());
  for (const OutboxEntry& e : *taken) {
    auto deliveries = survivor.store->ListDeliveries(e.document_id);
    ASSERT_TRUE(deliveries.ok()) << deliveries.status();
    EXPECT_EQ((*deliveries)[0].state, OutboxState::kDelivered);
    EXPECT_EQ((*deliveries)[0].attempts, 1);
    EXPECT_EQ((*deliveries)[0].delivered_at, t0 + absl::Minutes(2));
  }
}

// The schema is applied once, whichever replica opens the database first, and a database migrated by a
// newer Luoshi is refused with a message that says what to do.
TEST_F(IngestionPostgresStoreTest, SchemaIsMigratedOnceAndANewerOneIsRefused) {
  auto first = PostgresDocumentStore::Open(uri_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->schema_version(), static_cast<int>(PgDocumentMigrations().size()));
  auto second = PostgresDocumentStore::Open(uri_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->schema_version(), static_cast<int>(PgDocumentMigrations().size()));

  auto pool = pg::PgPool::Open(uri_);
  ASSERT_TRUE(pool.ok()) << pool.status();
  std::vector<pg::Migration> newer = PgDocumentMigrations();
  newer.push_back({static_cast<int>(newer.size()) + 1, "CREATE TABLE from_the_future (x INTEGER)"});
  ASSERT_TRUE(pg::RunPgMigrations(**pool, "ingestion", newer).ok());
  auto old_binary = PostgresDocumentStore::Open(uri_);
  EXPECT_TRUE(absl::IsFailedPrecondition(old_binary.status())) << old_binary.status();
}

}  // namespace
}  // namespace luoshi::ingestion
