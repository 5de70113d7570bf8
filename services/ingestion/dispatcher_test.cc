#include "services/ingestion/dispatcher.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/test_tokens.h"
#include "services/ingestion/service.h"
#include "services/ingestion/sqlite_store.h"
#include "services/ingestion/test_util.h"

namespace luoshi::ingestion {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::SizeIs;
using testing::FakeDeliveryClient;
using testing::FakeDocument;
using testing::FakeExtractionEngine;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

absl::Status Unavailable() { return absl::UnavailableError("connection refused"); }

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_file_ = std::make_unique<testing::TempDatabase>("dispatcher");
    const std::string& path = db_file_->path();
    auto store = SqliteDocumentStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    handler_ = std::make_unique<IngestionLogic>(store_.get(), &engine_, &clock_, IngestionOptions{},
                                                  [this] {
                                                    if (dispatcher_) dispatcher_->Wake();
                                                  });
    options_.initial_backoff = absl::Seconds(1);
    options_.max_backoff = absl::Seconds(10);
    options_.batch_size = 2;
    MakeDispatcher();
  }

  void MakeDispatcher() {
    dispatcher_ = std::make_unique<Dispatcher>(store_.get(), &client_, &clock_, options_, [this] { return jitter_; });
  }

  // Ingests a fake document; returns its id.
  std::string Ingest(const std::string& title, int observations, int tasks) {
    v1::IngestDocumentRequest request;
    request.set_content(FakeDocument(title, observations, tasks));
    auto r = handler_->IngestDocument(AdminIdentity(), request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r->document().id();
  }

  DispatchStats Pass() {
    auto stats = dispatcher_->RunOnce();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : DispatchStats{};
  }

  v1::Delivery DeliveryOf(const std::string& id, const std::string& target) {
    v1::GetDocumentRequest get;
    get.set_document_id(id);
    auto document = handler_->GetDocument(Identity{}, get);
    EXPECT_TRUE(document.ok()) << document.status();
    for (const v1::Delivery& d : document->deliveries()) {
      if (d.target() == target) return d;
    }
    ADD_FAILURE() << "no delivery to " << target;
    return {};
  }

  FakeClock clock_{kT0};
  FakeExtractionEngine engine_;
  FakeDeliveryClient client_;
  DispatcherOptions options_;
  double jitter_ = 1.0;
  std::unique_ptr<testing::TempDatabase> db_file_;  // outlives the store
  std::unique_ptr<SqliteDocumentStore> store_;
  std::unique_ptr<IngestionLogic> handler_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, DeliversObservationsInBatchesAndThePlanOnce) {
  const std::string id = Ingest("五个指标两项任务", 5, 2);
  DispatchStats stats = Pass();
  EXPECT_EQ(stats.delivered, 2);
  EXPECT_EQ(client_.calls("indicators"), 3);  // 2 + 2 + 1
  EXPECT_EQ(client_.calls("tasks"), 1);
  EXPECT_THAT(client_.accepted_observations(), SizeIs(5));
  EXPECT_THAT(client_.accepted_observations(), Each(Pair(HasSubstr(":obs:"), 1)));
  EXPECT_THAT(client_.accepted_plans(), SizeIs(1));

  v1::Delivery indicators = DeliveryOf(id, "indicators");
  EXPECT_EQ(indicators.state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(indicators.attempts(), 1);
  EXPECT_EQ(indicators.delivered_at().seconds(), absl::ToUnixSeconds(kT0));
  EXPECT_FALSE(indicators.has_next_attempt_at());
  EXPECT_EQ(DeliveryOf(id, "tasks").state(), v1::DELIVERY_STATE_DELIVERED);

  // Nothing left: later passes call nobody.
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(Pass().delivered, 0);
  EXPECT_EQ(client_.calls("indicators"), 3);
  EXPECT_EQ(client_.calls("tasks"), 1);
}

TEST_F(DispatcherTest, NothingToDeliverIsNotSent) {
  const std::string id = Ingest("只有指标", 1, 0);
  Pass();
  EXPECT_EQ(client_.calls("tasks"), 0);
  EXPECT_EQ(DeliveryOf(id, "tasks").state(), v1::DELIVERY_STATE_NOT_NEEDED);
}

TEST_F(DispatcherTest, OutageThenRecoveryDeliversEverythingExactlyOnce) {
  client_.Script("indicators", {Unavailable(), Unavailable(), absl::DeadlineExceededError("slow")});
  const std::string a = Ingest("停机期间甲", 3, 0);
  const std::string b = Ingest("停机期间乙", 2, 0);

  // First attempt fails; the whole target then waits 1s (jitter 1.0) instead of trying document b.
  DispatchStats first = Pass();
  EXPECT_EQ(first.retried, 1);
  EXPECT_EQ(client_.calls("indicators"), 1);
  v1::Delivery pending = DeliveryOf(a, "indicators");
  EXPECT_EQ(pending.state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(pending.attempts(), 1);
  EXPECT_THAT(pending.last_error(), HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(pending.last_error(), HasSubstr("connection refused"));
  EXPECT_EQ(pending.next_attempt_at().seconds(), absl::ToUnixSeconds(kT0 + absl::Seconds(1)));

  // Passes before the backoff has elapsed call nobody.
  EXPECT_EQ(Pass().paused_targets, 1);
  EXPECT_EQ(client_.calls("indicators"), 1);

  // The pause doubles with each consecutive failure, whichever document probes the peer.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Pass().retried, 1);  // second failure: pause 2s
  EXPECT_EQ(client_.calls("indicators"), 2);
  clock_.Advance(absl::Seconds(1));
  Pass();
  EXPECT_EQ(client_.calls("indicators"), 2);
  clock_.Advance(absl::Seconds(1));
  Pass();  // third failure (deadline exceeded): pause 4s
  EXPECT_EQ(client_.calls("indicators"), 3);
  clock_.Advance(absl::Seconds(3));
  Pass();
  EXPECT_EQ(client_.calls("indicators"), 3);

  // The peer is back: both documents go through, each observation exactly once.
  clock_.Advance(absl::Seconds(1));
  DispatchStats recovered = Pass();
  EXPECT_EQ(recovered.delivered, 2);
  clock_.Advance(absl::Hours(1));
  Pass();
  EXPECT_THAT(client_.accepted_observations(), SizeIs(5));
  EXPECT_THAT(client_.accepted_observations(), Each(Pair(::testing::_, 1)));
  v1::Delivery delivered_a = DeliveryOf(a, "indicators");
  v1::Delivery delivered_b = DeliveryOf(b, "indicators");
  EXPECT_EQ(delivered_a.state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(delivered_b.state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(delivered_a.attempts() + delivered_b.attempts(), 5);  // 3 failed probes + 2 deliveries
  EXPECT_EQ(delivered_a.delivered_at().seconds(), absl::ToUnixSeconds(kT0 + absl::Seconds(7)));
}

// A pass that backs off after a failure leaves the entries it did not try unclaimed: another replica's
// dispatcher (or this one after the pause) may take them at once, not only after a lease.
TEST_F(DispatcherTest, APassThatBacksOffLeavesNoEntryClaimed) {
  client_.Script("indicators", {Unavailable()});
  const std::string a = Ingest("退避甲", 1, 0);
  const std::string b = Ingest("退避乙", 1, 0);
  EXPECT_EQ(Pass().retried, 1);
  for (const std::string& id : {a, b}) {
    auto deliveries = store_->ListDeliveries(id);
    ASSERT_TRUE(deliveries.ok()) << deliveries.status();
    EXPECT_FALSE((*deliveries)[0].leased_until.has_value()) << id;
  }
  auto other = store_->ClaimDeliveries(kIndicatorsTarget, clock_.Now(), absl::Minutes(1), 10);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_THAT(*other, SizeIs(1));  // document b; a waits for its retry time
}

// Another dispatcher claimed the entry and died before recording an outcome: this one leaves it alone for
// the rest of the lease, then delivers it.
TEST_F(DispatcherTest, AnEntryClaimedByADeadDispatcherIsDeliveredAfterItsLease) {
  const std::string id = Ingest("认领后崩溃", 2, 0);
  auto claimed = store_->ClaimDeliveries(kIndicatorsTarget, clock_.Now(), options_.lease, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_THAT(*claimed, SizeIs(1));

  EXPECT_EQ(Pass().delivered, 0);
  clock_.Advance(options_.lease - absl::Seconds(1));
  EXPECT_EQ(Pass().delivered, 0);
  EXPECT_EQ(client_.calls("indicators"), 0);

  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Pass().delivered, 1);
  EXPECT_THAT(client_.accepted_observations(), SizeIs(2));
  v1::Delivery delivered = DeliveryOf(id, "indicators");
  EXPECT_EQ(delivered.state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(delivered.attempts(), 1);
}

TEST_F(DispatcherTest, OneTargetDownDoesNotHoldTheOtherBack) {
  client_.Script("indicators", {Unavailable(), Unavailable(), Unavailable()});
  const std::string id = Ingest("指标服务停机", 2, 3);
  Pass();
  EXPECT_EQ(DeliveryOf(id, "tasks").state(), v1::DELIVERY_STATE_DELIVERED);
  EXPECT_EQ(DeliveryOf(id, "indicators").state(), v1::DELIVERY_STATE_PENDING);
}

TEST_F(DispatcherTest, BackoffDoublesUpToTheCapWithJitter) {
  EXPECT_EQ(dispatcher_->BackoffAfter(1), absl::Seconds(1));
  EXPECT_EQ(dispatcher_->BackoffAfter(2), absl::Seconds(2));
  EXPECT_EQ(dispatcher_->BackoffAfter(3), absl::Seconds(4));
  EXPECT_EQ(dispatcher_->BackoffAfter(4), absl::Seconds(8));
  EXPECT_EQ(dispatcher_->BackoffAfter(5), absl::Seconds(10));
  EXPECT_EQ(dispatcher_->BackoffAfter(60), absl::Seconds(10));
  jitter_ = 0.0;
  EXPECT_EQ(dispatcher_->BackoffAfter(3), absl::Seconds(2));
  jitter_ = 0.5;
  EXPECT_EQ(dispatcher_->BackoffAfter(5), absl::Milliseconds(7500));
}

TEST_F(DispatcherTest, PermanentRejectionIsRecordedAndNotRetried) {
  client_.Script("tasks", {absl::InvalidArgumentError("task 3 has no text")});
  const std::string id = Ingest("有问题的方案", 0, 3);
  DispatchStats stats = Pass();
  EXPECT_EQ(stats.failed, 1);
  v1::Delivery tasks = DeliveryOf(id, "tasks");
  EXPECT_EQ(tasks.state(), v1::DELIVERY_STATE_FAILED);
  EXPECT_EQ(tasks.attempts(), 1);
  EXPECT_FALSE(tasks.has_next_attempt_at());
  EXPECT_THAT(tasks.last_error(), HasSubstr("task 3 has no text"));
  EXPECT_THAT(tasks.last_error(), HasSubstr("not retried"));

  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::Hours(1));
    Pass();
  }
  EXPECT_EQ(client_.calls("tasks"), 1);

  // Reprocessing queues a fresh attempt, which goes through once the peer accepts it.
  v1::ReprocessDocumentRequest reprocess;
  reprocess.set_document_id(id);
  auto reprocessed = handler_->ReprocessDocument(AdminIdentity(), reprocess);
  ASSERT_TRUE(reprocessed.ok());
  EXPECT_EQ(reprocessed->document().deliveries(1).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(reprocessed->document().deliveries(1).attempts(), 0);
  Pass();
  EXPECT_EQ(client_.calls("tasks"), 2);
  EXPECT_EQ(DeliveryOf(id, "tasks").state(), v1::DELIVERY_STATE_DELIVERED);
}

TEST(DispatcherCodesTest, OnlyAnswersAboutTheRequestItselfArePermanent) {
  for (absl::StatusCode code : {absl::StatusCode::kInvalidArgument, absl::StatusCode::kFailedPrecondition,
                                absl::StatusCode::kOutOfRange, absl::StatusCode::kNotFound,
                                absl::StatusCode::kAlreadyExists}) {
    EXPECT_TRUE(Dispatcher::IsPermanent(code)) << absl::StatusCodeToString(code);
  }
  // Outages, overload, races and this service's own credentials: the same request can succeed later.
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kResourceExhausted,
        absl::StatusCode::kAborted, absl::StatusCode::kInternal, absl::StatusCode::kUnknown,
        absl::StatusCode::kCancelled, absl::StatusCode::kUnauthenticated, absl::StatusCode::kPermissionDenied,
        absl::StatusCode::kUnimplemented}) {
    EXPECT_FALSE(Dispatcher::IsPermanent(code)) << absl::StatusCodeToString(code);
  }
}

TEST_F(DispatcherTest, ReprocessRedeliversUnderTheSameKeys) {
  const std::string id = Ingest("重投", 2, 1);
  Pass();
  v1::ReprocessDocumentRequest reprocess;
  reprocess.set_document_id(id);
  ASSERT_TRUE(handler_->ReprocessDocument(AdminIdentity(), reprocess).ok());
  Pass();
  // The same two source keys arrived twice: an idempotent peer stores each once.
  EXPECT_THAT(client_.accepted_observations(), SizeIs(2));
  EXPECT_THAT(client_.accepted_observations(), Each(Pair(::testing::_, 2)));
  EXPECT_THAT(client_.accepted_plans(), SizeIs(1));
}

TEST_F(DispatcherTest, BackgroundThreadDeliversPromptlyAfterIngest) {
  dispatcher_->Start();
  Ingest("后台投递", 1, 1);
  EXPECT_TRUE(client_.WaitForAccepted("indicators", 1, absl::Seconds(30)));
  EXPECT_TRUE(client_.WaitForAccepted("tasks", 1, absl::Seconds(30)));
  dispatcher_->Stop();
  EXPECT_THAT(client_.accepted_observations(), SizeIs(1));
}

TEST_F(DispatcherTest, AHangingPeerDoesNotDelayTheOtherTarget) {
  client_.Hold("indicators");  // the lane served first in a pass
  dispatcher_->Start();
  Ingest("指标服务卡住", 2, 2);
  EXPECT_TRUE(client_.WaitForAccepted("tasks", 1, absl::Seconds(30)));
  client_.Release("indicators");
  EXPECT_TRUE(client_.WaitForAccepted("indicators", 1, absl::Seconds(30)));
  dispatcher_->Stop();
}

}  // namespace
}  // namespace luoshi::ingestion
