// The five seed documents through the real extraction library, the handler, the SQLite store and the
// dispatcher (with the in-process fake peers): every figure and task arrives downstream exactly once,
// under keys that survive re-ingesting and reprocessing.

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/common/test_tokens.h"
#include "services/ingestion/dispatcher.h"
#include "services/ingestion/ids.h"
#include "services/ingestion/service.h"
#include "services/ingestion/library_extraction_engine.h"
#include "services/ingestion/sqlite_store.h"
#include "services/ingestion/test_util.h"

namespace luoshi::ingestion {
namespace {

using ::testing::Each;
using testing::Seeds;  // luoshi::ingestion::testing
using testing::SourceDir;
using ::testing::Pair;
using ::testing::SizeIs;

class SeedsIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = LoadCatalog(SourceDir() + "/data/catalog.json");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    engine_ = std::make_unique<LibraryExtractionEngine>(*catalog);
    db_file_ = std::make_unique<testing::TempDatabase>("seeds");
    const std::string& path = db_file_->path();
    auto store = SqliteDocumentStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    handler_ = std::make_unique<IngestionLogic>(store_.get(), engine_.get(), &clock_, IngestionOptions{});
    dispatcher_ = std::make_unique<Dispatcher>(store_.get(), &client_, &clock_, DispatcherOptions{},
                                               [] { return 1.0; });
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<LibraryExtractionEngine> engine_;
  std::unique_ptr<testing::TempDatabase> db_file_;  // outlives the store
  std::unique_ptr<SqliteDocumentStore> store_;
  std::unique_ptr<IngestionLogic> handler_;
  testing::FakeDeliveryClient client_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(SeedsIngestTest, SeedsArriveDownstreamExactlyOnceDespiteAnOutageAndReingest) {
  const auto seeds = Seeds();
  ASSERT_THAT(seeds, SizeIs(5));
  // The task service is down for the first attempts.
  client_.Script("tasks", {absl::UnavailableError("down"), absl::UnavailableError("down")});

  int observations = 0;
  int tasks = 0;
  std::vector<std::string> ids;
  for (const auto& [name, bytes] : seeds) {
    v1::IngestDocumentRequest request;
    request.set_content(bytes);
    request.set_filename(name);
    auto r = handler_->IngestDocument(AdminIdentity(), request);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_TRUE(r->created()) << name;
    const std::string sha = Sha256Hex(bytes);
    for (int i = 0; i < r->extraction().observations_size(); ++i) {
      const v1::Observation& o = r->extraction().observations(i);
      ASSERT_EQ(o.source_key(), ObservationSourceKey(sha, i)) << name;
      ASSERT_EQ(o.provenance().document_id(), r->document().id()) << name;
    }
    observations += r->extraction().observations_size();
    tasks += r->extraction().tasks_size();
    ids.push_back(r->document().id());
  }
  EXPECT_GT(observations, 0);
  EXPECT_GT(tasks, 0);

  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(dispatcher_->RunOnce().ok());
    clock_.Advance(absl::Minutes(1));
  }
  // Same bytes again: nothing new is queued.
  for (const auto& [name, bytes] : seeds) {
    v1::IngestDocumentRequest request;
    request.set_content(bytes);
    auto r = handler_->IngestDocument(AdminIdentity(), request);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->created()) << name;
  }
  ASSERT_TRUE(dispatcher_->RunOnce().ok());

  EXPECT_THAT(client_.accepted_observations(), SizeIs(observations));
  EXPECT_THAT(client_.accepted_observations(), Each(Pair(::testing::_, 1)));
  int plans_expected = 0;
  for (const std::string& id : ids) {
    v1::GetDocumentRequest get;
    get.set_document_id(id);
    auto d = handler_->GetDocument(Identity{}, get);
    ASSERT_TRUE(d.ok());
    if (d->task_count() > 0) ++plans_expected;
    for (const v1::Delivery& delivery : d->deliveries()) {
      EXPECT_THAT(delivery.state(), ::testing::AnyOf(v1::DELIVERY_STATE_DELIVERED, v1::DELIVERY_STATE_NOT_NEEDED))
          << id << " " << delivery.target() << ": " << delivery.last_error();
      EXPECT_EQ(delivery.left_out(), 0) << id << " " << delivery.left_out_reason();
    }
  }
  EXPECT_THAT(client_.accepted_plans(), SizeIs(plans_expected));
  EXPECT_THAT(client_.accepted_plans(), Each(Pair(::testing::_, 1)));
}

}  // namespace
}  // namespace luoshi::ingestion
