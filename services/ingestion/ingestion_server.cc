#include "services/ingestion/ingestion_server.h"

#include <utility>

#include "services/common/status.h"

namespace luoshi::ingestion {
namespace {

// Moves a handler's value into the gRPC response, or converts its error.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpc(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status IngestionServer::IngestDocument(grpc::ServerContext*, const v1::IngestDocumentRequest* request,
                                             v1::IngestDocumentResponse* response) {
  return Reply(handler_->IngestDocument(*request), response);
}

grpc::Status IngestionServer::GetDocument(grpc::ServerContext*, const v1::GetDocumentRequest* request,
                                          v1::Document* response) {
  return Reply(handler_->GetDocument(*request), response);
}

grpc::Status IngestionServer::ListDocuments(grpc::ServerContext*, const v1::ListDocumentsRequest* request,
                                            v1::ListDocumentsResponse* response) {
  return Reply(handler_->ListDocuments(*request), response);
}

grpc::Status IngestionServer::GetExtraction(grpc::ServerContext*, const v1::GetExtractionRequest* request,
                                            v1::Extraction* response) {
  return Reply(handler_->GetExtraction(*request), response);
}

grpc::Status IngestionServer::ReprocessDocument(grpc::ServerContext*, const v1::ReprocessDocumentRequest* request,
                                                v1::IngestDocumentResponse* response) {
  return Reply(handler_->ReprocessDocument(*request), response);
}

}  // namespace luoshi::ingestion
