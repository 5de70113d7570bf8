// The real GrpcService over gRPC on a loopback port picked by the kernel, with a real SQLite store
// and the fake extraction engine (the extraction library has its own tests).
#include "services/ingestion/grpc_service.h"

#include <grpcpp/grpcpp.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/server.h"
#include "services/common/test_tokens.h"
#include "services/ingestion/sqlite_store.h"
#include "services/ingestion/test_util.h"

namespace luoshi::ingestion {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing::FakeDocument;

class IngestionGrpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_file_ = std::make_unique<testing::TempDatabase>("server");
    const std::string& path = db_file_->path();
    auto store = SqliteDocumentStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    IngestionOptions options;
    options.max_document_bytes = 4096;
    handler_ = std::make_unique<IngestionLogic>(store_.get(), &engine_, SystemClock::Get(), options);
    server_ = std::make_unique<GrpcService>(handler_.get(), tokens_.authenticator());
    host_ = std::make_unique<ServiceHost>("ingestion-test", IngestionServerLimits());
    host_->AddService(server_.get(), "luoshi.v1.IngestionService");
    ASSERT_TRUE(host_->Start("127.0.0.1:0").ok());
    stub_ = v1::IngestionService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override { host_->Shutdown(absl::Seconds(1)); }

  // A call as `who` (an office by default: offices upload their reports).
  std::unique_ptr<grpc::ClientContext> Context(const Identity& who = {"财政局办公室", "区财政局", Role::kOffice}) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    tokens_.Attach(who, context.get());
    return context;
  }

  grpc::Status Ingest(const std::string& content, v1::IngestDocumentResponse* response) {
    v1::IngestDocumentRequest request;
    request.set_content(content);
    request.set_filename("upload.txt");
    return stub_->IngestDocument(Context().get(), request, response);
  }

  TestTokens tokens_;
  testing::FakeExtractionEngine engine_;
  std::unique_ptr<testing::TempDatabase> db_file_;  // outlives the store
  std::unique_ptr<SqliteDocumentStore> store_;
  std::unique_ptr<IngestionLogic> handler_;
  std::unique_ptr<GrpcService> server_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<v1::IngestionService::Stub> stub_;
};

TEST_F(IngestionGrpcServiceTest, EveryMethodWorksOverTheWire) {
  v1::IngestDocumentResponse ingested;
  ASSERT_TRUE(Ingest(FakeDocument("网络上传", 2, 1), &ingested).ok());
  EXPECT_TRUE(ingested.created());
  const std::string id = ingested.document().id();

  v1::IngestDocumentResponse again;
  ASSERT_TRUE(Ingest(FakeDocument("网络上传", 2, 1), &again).ok());
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.document().id(), id);

  v1::GetDocumentRequest get;
  get.set_document_id(id);
  v1::Document document;
  ASSERT_TRUE(stub_->GetDocument(Context().get(), get, &document).ok());
  EXPECT_EQ(document.filename(), "upload.txt");
  EXPECT_THAT(document.deliveries(), SizeIs(2));

  v1::ListDocumentsResponse listed;
  ASSERT_TRUE(stub_->ListDocuments(Context().get(), v1::ListDocumentsRequest(), &listed).ok());
  ASSERT_THAT(listed.documents(), SizeIs(1));
  EXPECT_EQ(listed.documents(0).id(), id);

  v1::GetExtractionRequest get_extraction;
  get_extraction.set_document_id(id);
  v1::Extraction extraction;
  ASSERT_TRUE(stub_->GetExtraction(Context().get(), get_extraction, &extraction).ok());
  EXPECT_EQ(extraction.observations_size(), 2);

  v1::ReprocessDocumentRequest reprocess;
  reprocess.set_document_id(id);
  v1::IngestDocumentResponse reprocessed;
  ASSERT_TRUE(stub_->ReprocessDocument(Context().get(), reprocess, &reprocessed).ok());
  EXPECT_EQ(reprocessed.document().id(), id);
}

TEST_F(IngestionGrpcServiceTest, ErrorsArriveWithTheirCodesAndMessages) {
  v1::IngestDocumentResponse response;
  grpc::Status too_big = Ingest(std::string(5000, 'x'), &response);
  EXPECT_EQ(too_big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(too_big.error_message(), HasSubstr("--max_document_bytes"));

  grpc::Status empty = Ingest("", &response);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetDocumentRequest get;
  get.set_document_id("doc-0123456789abcdef");
  v1::Document document;
  grpc::Status missing = stub_->GetDocument(Context().get(), get, &document);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(missing.error_message(), HasSubstr("doc-0123456789abcdef"));
}

TEST_F(IngestionGrpcServiceTest, CallersAreVerifiedAndViewersOnlyRead) {
  v1::IngestDocumentRequest request;
  request.set_content(FakeDocument("谁上传", 1, 0));
  request.set_filename("who.txt");
  v1::IngestDocumentResponse response;

  grpc::ClientContext anonymous;
  grpc::Status none = stub_->IngestDocument(&anonymous, request, &response);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("no token"));

  grpc::ClientContext forged;
  forged.AddMetadata("authorization", "Bearer " + TestTokens().For(AdminIdentity()));  // another key
  EXPECT_EQ(stub_->IngestDocument(&forged, request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  grpc::Status viewer = stub_->IngestDocument(Context({"公众", "", Role::kViewer}).get(), request, &response);
  EXPECT_EQ(viewer.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(viewer.error_message(), HasSubstr("role viewer may not ingest"));

  ASSERT_TRUE(stub_->IngestDocument(Context().get(), request, &response).ok());
  v1::ListDocumentsRequest list;
  v1::ListDocumentsResponse listed;
  ASSERT_TRUE(stub_->ListDocuments(Context({"公众", "", Role::kViewer}).get(), list, &listed).ok());
  EXPECT_THAT(listed.documents(), SizeIs(1));
}

}  // namespace
}  // namespace luoshi::ingestion
