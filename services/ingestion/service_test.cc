#include "services/ingestion/service.h"

#include <filesystem>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/test_tokens.h"
#include "services/ingestion/ids.h"
#include "services/ingestion/sqlite_store.h"
#include "services/ingestion/test_util.h"

namespace luoshi::ingestion {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing::FakeDocument;
using testing::FakeExtractionEngine;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

v1::IngestDocumentRequest Request(const std::string& content, const std::string& filename = "report.txt") {
  v1::IngestDocumentRequest r;
  r.set_content(content);
  r.set_filename(filename);
  r.set_content_type("text/plain");
  return r;
}

class IngestionLogicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_file_ = std::make_unique<testing::TempDatabase>("handler");
    const std::string& path = db_file_->path();
    auto store = SqliteDocumentStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    MakeHandler(IngestionOptions{});
  }

  void MakeHandler(IngestionOptions options) {
    handler_ = std::make_unique<IngestionLogic>(store_.get(), &engine_, &clock_, options,
                                                  [this] { ++notifications_; });
  }

  v1::IngestDocumentResponse Ingest(const std::string& content) {
    auto response = handler_->IngestDocument(AdminIdentity(), Request(content));
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : v1::IngestDocumentResponse();
  }

  std::vector<std::string> ListIds(v1::ListDocumentsRequest request) {
    auto response = handler_->ListDocuments(Identity{}, request);
    EXPECT_TRUE(response.ok()) << response.status();
    std::vector<std::string> ids;
    for (const v1::Document& d : response->documents()) ids.push_back(d.id());
    return ids;
  }

  FakeClock clock_{kT0};
  FakeExtractionEngine engine_;
  std::unique_ptr<testing::TempDatabase> db_file_;  // outlives the store
  std::unique_ptr<SqliteDocumentStore> store_;
  std::unique_ptr<IngestionLogic> handler_;
  int notifications_ = 0;
};

TEST_F(IngestionLogicTest, NewDocumentIsStoredWithKeysProvenanceAndQueuedDeliveries) {
  const std::string content = FakeDocument("2023年工作报告", 3, 2);
  v1::IngestDocumentResponse r = Ingest(content);
  const std::string sha = Sha256Hex(content);
  EXPECT_TRUE(r.created());
  EXPECT_EQ(r.document().id(), "doc-" + sha.substr(0, 16));
  EXPECT_EQ(r.document().sha256(), sha);
  EXPECT_EQ(r.document().filename(), "report.txt");
  EXPECT_EQ(r.document().size_bytes(), static_cast<int64_t>(content.size()));
  EXPECT_EQ(r.document().metadata().title(), "2023年工作报告");
  EXPECT_EQ(r.document().observation_count(), 3);
  EXPECT_EQ(r.document().task_count(), 2);
  EXPECT_EQ(r.document().extractor_version(), "fake-1");
  EXPECT_EQ(r.document().ingested_at().seconds(), absl::ToUnixSeconds(kT0));
  ASSERT_EQ(r.extraction().observations_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.extraction().observations(i).source_key(), sha + ":obs:" + std::to_string(i));
    EXPECT_EQ(r.extraction().observations(i).provenance().document_id(), r.document().id());
  }
  EXPECT_EQ(r.extraction().tasks(1).provenance().document_id(), r.document().id());
  ASSERT_THAT(r.document().deliveries(), SizeIs(2));
  EXPECT_EQ(r.document().deliveries(0).target(), "indicators");
  EXPECT_EQ(r.document().deliveries(0).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(r.document().deliveries(1).target(), "tasks");
  EXPECT_EQ(r.document().deliveries(1).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(notifications_, 1);

  // What the tasks service will receive.
  auto due = store_->ClaimDeliveries(kTasksTarget, kT0, absl::Minutes(1), 10);
  ASSERT_THAT(*due, SizeIs(1));
  v1::ImportPlanRequest plan;
  ASSERT_TRUE(plan.ParseFromString((*due)[0].payload));
  EXPECT_EQ(plan.document_id(), r.document().id());
  EXPECT_EQ(plan.document_sha256(), sha);
  EXPECT_EQ(plan.title(), "2023年工作报告");
  EXPECT_EQ(plan.year(), 2023);
  EXPECT_EQ(plan.region(), "大兴区");
  EXPECT_THAT(plan.plan_key(), HasSubstr("2023年工作报告"));
  EXPECT_THAT(plan.tasks(), SizeIs(2));
}

TEST_F(IngestionLogicTest, SameBytesReturnTheSameDocumentAndDuplicateNothing) {
  const std::string content = FakeDocument("同一份报告", 2, 1);
  v1::IngestDocumentResponse first = Ingest(content);
  clock_.Advance(absl::Hours(1));
  auto again = handler_->IngestDocument(AdminIdentity(), Request(content, "renamed-copy.txt"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created());
  EXPECT_EQ(again->document().id(), first.document().id());
  EXPECT_EQ(again->document().filename(), "report.txt");  // the stored document, not the new request
  EXPECT_EQ(again->document().ingested_at().seconds(), absl::ToUnixSeconds(kT0));
  EXPECT_EQ(again->extraction().observations_size(), 2);
  EXPECT_EQ(engine_.calls(), 1);
  EXPECT_EQ(notifications_, 1);
  EXPECT_THAT(ListIds({}), SizeIs(1));
  EXPECT_THAT(*store_->ClaimDeliveries(kIndicatorsTarget, clock_.Now(), absl::Minutes(1), 10), SizeIs(1));
}

TEST_F(IngestionLogicTest, ConcurrentIdenticalUploadsCreateOneDocument) {
  const std::string content = FakeDocument("并发上传", 1, 1);
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  std::atomic<int> failed{0};
  std::set<std::string> ids;
  absl::Mutex mu;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto r = handler_->IngestDocument(AdminIdentity(), Request(content));
      if (!r.ok()) {
        ++failed;
        return;
      }
      if (r->created()) ++created;
      absl::MutexLock lock(&mu);
      ids.insert(r->document().id());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_THAT(ids, SizeIs(1));
  EXPECT_THAT(*store_->ClaimDeliveries(kIndicatorsTarget, clock_.Now(), absl::Minutes(1), 10), SizeIs(1));
}

TEST_F(IngestionLogicTest, DryRunExtractsAndStoresNothing) {
  v1::IngestDocumentRequest request = Request(FakeDocument("试算", 2, 1));
  request.set_dry_run(true);
  auto r = handler_->IngestDocument(AdminIdentity(), request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->created());
  EXPECT_EQ(r->document().metadata().title(), "试算");
  EXPECT_EQ(r->document().observation_count(), 2);
  EXPECT_EQ(r->extraction().observations_size(), 2);
  ASSERT_THAT(r->document().deliveries(), SizeIs(2));
  EXPECT_EQ(r->document().deliveries(0).state(), v1::DELIVERY_STATE_NOT_NEEDED);
  EXPECT_EQ(r->document().deliveries(1).state(), v1::DELIVERY_STATE_NOT_NEEDED);
  EXPECT_TRUE(absl::IsNotFound(handler_->GetDocument(Identity{}, [&] {
                                         v1::GetDocumentRequest g;
                                         g.set_document_id(r->document().id());
                                         return g;
                                       }())
                                   .status()));
  EXPECT_THAT(ListIds({}), IsEmpty());
  EXPECT_EQ(notifications_, 0);
  // A real ingest afterwards is still new.
  EXPECT_TRUE(Ingest(request.content()).created());
}

TEST_F(IngestionLogicTest, EmptyAndOversizedDocumentsAreRefusedWithReadableMessages) {
  auto empty = handler_->IngestDocument(AdminIdentity(), Request("", "blank.txt"));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("\"blank.txt\" is empty"));

  MakeHandler(IngestionOptions{/*max_document_bytes=*/1024});
  auto at_limit = handler_->IngestDocument(AdminIdentity(), Request(std::string(1024, 'x')));
  EXPECT_TRUE(at_limit.ok()) << at_limit.status();
  auto too_big = handler_->IngestDocument(AdminIdentity(), Request(std::string(1025, 'y'), "huge.docx"));
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(too_big.status().message(), HasSubstr("\"huge.docx\" is"));
  EXPECT_THAT(too_big.status().message(), HasSubstr("1025 bytes"));
  EXPECT_THAT(too_big.status().message(), HasSubstr("limit of"));
  EXPECT_THAT(too_big.status().message(), HasSubstr("--max_document_bytes"));
  EXPECT_THAT(ListIds({}), SizeIs(1));
}

TEST_F(IngestionLogicTest, ExtractionErrorsReachTheCallerAndStoreNothing) {
  auto r = handler_->IngestDocument(AdminIdentity(), Request("reject: accepted formats are text, HTML and .docx\n"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("accepted formats"));
  EXPECT_THAT(ListIds({}), IsEmpty());
}

TEST_F(IngestionLogicTest, HintsFillInWhatTheDocumentDoesNotSay) {
  v1::IngestDocumentRequest request = Request(FakeDocument("无地区", 1, 0, 1, "", 0));
  request.set_region_hint("通州区");
  request.set_year_hint(2021);
  auto r = handler_->IngestDocument(AdminIdentity(), request);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->document().metadata().region(), "通州区");
  EXPECT_EQ(r->document().metadata().year(), 2021);
}

TEST_F(IngestionLogicTest, YearHintMustBeAYear) {
  for (int year : {-1, 23, 1900, 2101}) {
    v1::IngestDocumentRequest request = Request(FakeDocument("年份", 1, 0));
    request.set_year_hint(year);
    auto r = handler_->IngestDocument(AdminIdentity(), request);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << year;
    EXPECT_THAT(r.status().message(), HasSubstr("is not a year")) << year;
  }
  EXPECT_THAT(ListIds({}), IsEmpty());
}

TEST_F(IngestionLogicTest, FiguresWithoutPeriodOrRegionAreLeftOutOfTheDeliveryAndCounted) {
  // No year anywhere: nothing the indicator service could file; the plan still goes.
  auto yearless = Ingest(FakeDocument("无年份", 2, 1, 1, "大兴区", 0));
  const std::string id = yearless.document().id();
  EXPECT_EQ(yearless.extraction().observations_size(), 2);  // the extraction keeps them
  const v1::Delivery& indicators = yearless.document().deliveries(0);
  EXPECT_EQ(indicators.state(), v1::DELIVERY_STATE_NOT_NEEDED);
  EXPECT_EQ(indicators.left_out(), 2);
  EXPECT_THAT(indicators.left_out_reason(), HasSubstr("2 figures have no period"));
  EXPECT_THAT(indicators.left_out_reason(), HasSubstr("luoshi reprocess " + id + " --year YYYY"));
  EXPECT_EQ(yearless.document().deliveries(1).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(yearless.document().deliveries(1).left_out(), 0);

  // No region: the same, with the region hint as the way out. A dry run says so before storing.
  v1::IngestDocumentRequest dry = Request(FakeDocument("无地区", 1, 0, 1, "", 2023));
  dry.set_dry_run(true);
  auto preview = handler_->IngestDocument(AdminIdentity(), dry);
  ASSERT_TRUE(preview.ok()) << preview.status();
  EXPECT_EQ(preview->document().deliveries(0).state(), v1::DELIVERY_STATE_NOT_NEEDED);
  EXPECT_EQ(preview->document().deliveries(0).left_out(), 1);
  EXPECT_THAT(preview->document().deliveries(0).left_out_reason(), HasSubstr("1 figure has no region"));
  EXPECT_THAT(preview->document().deliveries(0).left_out_reason(), HasSubstr("--region NAME"));

  // Reprocessing with a year hint brings them in, and the hint is kept for later runs.
  v1::ReprocessDocumentRequest reprocess;
  reprocess.set_document_id(id);
  reprocess.set_year_hint(2022);
  auto r = handler_->ReprocessDocument(AdminIdentity(), reprocess);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->document().metadata().year(), 2022);
  EXPECT_EQ(r->document().deliveries(0).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(r->document().deliveries(0).left_out(), 0);
  EXPECT_EQ(store_->GetDocument(id)->year_hint, 2022);
  EXPECT_EQ(store_->GetDocument(id)->region_hint, "");
  auto due = *store_->ClaimDeliveries(kIndicatorsTarget, clock_.Now(), absl::Minutes(1), 10);
  ASSERT_THAT(due, SizeIs(1));
  v1::RecordObservationsRequest payload;
  ASSERT_TRUE(payload.ParseFromString(due[0].payload));
  ASSERT_THAT(payload.observations(), SizeIs(2));
  EXPECT_EQ(payload.observations(0).period(), "2022");

  reprocess.set_year_hint(0);
  reprocess.set_region_hint("通州区");
  auto again = handler_->ReprocessDocument(AdminIdentity(), reprocess);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->document().metadata().year(), 2022);  // kept
  EXPECT_EQ(store_->GetDocument(id)->region_hint, "通州区");
  reprocess.set_year_hint(99);
  EXPECT_EQ(handler_->ReprocessDocument(AdminIdentity(), reprocess).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IngestionLogicTest, ListDocumentsPagesNewestFirstWithStableTokens) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    ids.insert(ids.begin(), Ingest(FakeDocument("报告" + std::to_string(i), 1, 0)).document().id());
    clock_.Advance(absl::Seconds(1));
  }
  v1::ListDocumentsRequest request;
  request.mutable_page()->set_page_size(3);
  auto page1 = handler_->ListDocuments(Identity{}, request);
  ASSERT_TRUE(page1.ok()) << page1.status();
  ASSERT_THAT(page1->documents(), SizeIs(3));
  ASSERT_FALSE(page1->next_page_token().empty());

  // A document ingested between pages does not shift what the next page holds.
  Ingest(FakeDocument("插队的报告", 1, 0));
  request.mutable_page()->set_page_token(page1->next_page_token());
  auto page2 = handler_->ListDocuments(Identity{}, request);
  ASSERT_TRUE(page2.ok()) << page2.status();
  request.mutable_page()->set_page_token(page2->next_page_token());
  auto page3 = handler_->ListDocuments(Identity{}, request);
  ASSERT_TRUE(page3.ok()) << page3.status();
  EXPECT_TRUE(page3->next_page_token().empty());

  std::vector<std::string> seen;
  for (const auto* page : {&*page1, &*page2, &*page3}) {
    for (const v1::Document& d : page->documents()) seen.push_back(d.id());
  }
  EXPECT_EQ(seen, ids);

  // Same token, same page.
  request.mutable_page()->set_page_token(page1->next_page_token());
  auto page2_again = handler_->ListDocuments(Identity{}, request);
  ASSERT_TRUE(page2_again.ok());
  EXPECT_EQ(page2_again->documents(0).id(), page2->documents(0).id());
}

TEST_F(IngestionLogicTest, ListDocumentsDefaultsToFiftyAndRejectsBadPaging) {
  for (int i = 0; i < 51; ++i) Ingest(FakeDocument("批量" + std::to_string(i), 0, 0));
  auto page = handler_->ListDocuments(Identity{}, {});
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(page->documents(), SizeIs(50));
  EXPECT_FALSE(page->next_page_token().empty());

  v1::ListDocumentsRequest bad_size;
  bad_size.mutable_page()->set_page_size(1001);
  EXPECT_EQ(handler_->ListDocuments(Identity{}, bad_size).status().code(), absl::StatusCode::kInvalidArgument);
  v1::ListDocumentsRequest bad_token;
  bad_token.mutable_page()->set_page_token("not-a-token");
  auto refused = handler_->ListDocuments(Identity{}, bad_token);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("next_page_token"));
}

TEST_F(IngestionLogicTest, ListDocumentsFiltersByTypeRegionAndYear) {
  const std::string plan = Ingest(FakeDocument("分工方案", 0, 3, v1::DOCUMENT_TYPE_DIVISION_PLAN, "大兴区", 2023))
                               .document()
                               .id();
  const std::string report =
      Ingest(FakeDocument("工作报告", 2, 0, v1::DOCUMENT_TYPE_WORK_REPORT, "北京经济技术开发区", 2021))
          .document()
          .id();
  const std::string execution =
      Ingest(FakeDocument("执行情况", 2, 0, v1::DOCUMENT_TYPE_PLAN_EXECUTION_REPORT, "大兴区", 2024))
          .document()
          .id();

  v1::ListDocumentsRequest by_type;
  by_type.set_type(v1::DOCUMENT_TYPE_DIVISION_PLAN);
  EXPECT_EQ(ListIds(by_type), std::vector<std::string>{plan});
  v1::ListDocumentsRequest by_region;
  by_region.set_region("大兴区");
  EXPECT_EQ(ListIds(by_region), (std::vector<std::string>{execution, plan}));
  v1::ListDocumentsRequest by_year;
  by_year.set_year(2021);
  EXPECT_EQ(ListIds(by_year), std::vector<std::string>{report});
  v1::ListDocumentsRequest combined;
  combined.set_region("大兴区");
  combined.set_year(2024);
  EXPECT_EQ(ListIds(combined), std::vector<std::string>{execution});
}

TEST_F(IngestionLogicTest, GetExtractionAndGetDocumentFindStoredDocuments) {
  v1::IngestDocumentResponse r = Ingest(FakeDocument("取回", 2, 1));
  v1::GetExtractionRequest get_extraction;
  get_extraction.set_document_id(r.document().id());
  auto extraction = handler_->GetExtraction(Identity{}, get_extraction);
  ASSERT_TRUE(extraction.ok()) << extraction.status();
  EXPECT_EQ(extraction->observations(1).source_key(), r.extraction().observations(1).source_key());

  v1::GetDocumentRequest get;
  get.set_document_id(r.document().id());
  auto document = handler_->GetDocument(Identity{}, get);
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->sha256(), r.document().sha256());

  get.set_document_id("doc-ffffffffffffffff");
  auto missing = handler_->GetDocument(Identity{}, get);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("doc-ffffffffffffffff"));
  EXPECT_EQ(handler_->GetDocument(Identity{}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  get_extraction.set_document_id("doc-ffffffffffffffff");
  EXPECT_EQ(handler_->GetExtraction(Identity{}, get_extraction).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(IngestionLogicTest, ReprocessRunsTheCurrentExtractorAndQueuesNewDeliveries) {
  v1::IngestDocumentRequest request = Request(FakeDocument("需要重跑", 2, 1, 1, "", 2023));
  request.set_region_hint("顺义区");
  auto first = handler_->IngestDocument(AdminIdentity(), request);
  ASSERT_TRUE(first.ok());
  engine_.set_version("fake-2");
  engine_.set_extra_observation(true);
  clock_.Advance(absl::Minutes(5));

  v1::ReprocessDocumentRequest reprocess;
  reprocess.set_document_id(first->document().id());
  auto r = handler_->ReprocessDocument(AdminIdentity(), reprocess);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->created());
  EXPECT_EQ(r->document().id(), first->document().id());
  EXPECT_EQ(r->document().extractor_version(), "fake-2");
  EXPECT_EQ(r->document().observation_count(), 3);
  EXPECT_EQ(r->document().metadata().region(), "顺义区");  // the original hints are reused
  // Unchanged items keep their keys, so re-delivering them is harmless downstream.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(r->extraction().observations(i).source_key(), first->extraction().observations(i).source_key());
  }
  ASSERT_THAT(r->document().deliveries(), SizeIs(2));
  EXPECT_EQ(r->document().deliveries(0).state(), v1::DELIVERY_STATE_PENDING);
  EXPECT_EQ(r->document().deliveries(0).attempts(), 0);
  EXPECT_EQ(notifications_, 2);

  auto due = *store_->ClaimDeliveries(kIndicatorsTarget, clock_.Now(), absl::Minutes(1), 10);
  ASSERT_THAT(due, SizeIs(1));  // the first generation's pending entry was superseded
  v1::RecordObservationsRequest payload;
  ASSERT_TRUE(payload.ParseFromString(due[0].payload));
  EXPECT_THAT(payload.observations(), SizeIs(3));

  v1::GetExtractionRequest get_extraction;
  get_extraction.set_document_id(first->document().id());
  EXPECT_EQ(handler_->GetExtraction(Identity{}, get_extraction)->extractor_version(), "fake-2");

  reprocess.set_document_id("doc-0000000000000000");
  EXPECT_EQ(handler_->ReprocessDocument(AdminIdentity(), reprocess).status().code(), absl::StatusCode::kNotFound);
}

TEST(PageTokenTest, RoundTripsAndRejectsForgeries) {
  // A request carrying `token`, with the filter of `region`.
  auto with = [](const std::string& token, const std::string& region = "") {
    v1::ListDocumentsRequest request;
    request.set_region(region);
    request.mutable_page()->set_page_token(token);
    return request;
  };
  auto decoded = DecodePageToken(with(EncodePageToken(with(""), 42)));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, 42);
  EXPECT_FALSE(DecodePageToken(with("42")).ok());
  EXPECT_FALSE(DecodePageToken(with(EncodePageToken(with(""), 0))).ok());
  EXPECT_FALSE(DecodePageToken(with("%%%")).ok());
  // A token of another filter would skip rows of this one: refused.
  EXPECT_FALSE(DecodePageToken(with(EncodePageToken(with("", "大兴区"), 42), "通州区")).ok());
}

}  // namespace
}  // namespace luoshi::ingestion
