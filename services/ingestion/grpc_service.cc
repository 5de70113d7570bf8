#include "services/ingestion/grpc_service.h"

namespace luoshi::ingestion {

grpc::Status GrpcService::IngestDocument(grpc::ServerContext* context,
                                         const v1::IngestDocumentRequest* request,
                                         v1::IngestDocumentResponse* response) {
  return adapter_.Unary(context, "IngestDocument", response,
                        [&](const Identity& who) { return service_->IngestDocument(who, *request); });
}

grpc::Status GrpcService::GetDocument(grpc::ServerContext* context, const v1::GetDocumentRequest* request,
                                      v1::Document* response) {
  return adapter_.Unary(context, "GetDocument", response,
                        [&](const Identity& who) { return service_->GetDocument(who, *request); });
}

grpc::Status GrpcService::ListDocuments(grpc::ServerContext* context, const v1::ListDocumentsRequest* request,
                                        v1::ListDocumentsResponse* response) {
  return adapter_.Unary(context, "ListDocuments", response,
                        [&](const Identity& who) { return service_->ListDocuments(who, *request); });
}

grpc::Status GrpcService::GetExtraction(grpc::ServerContext* context, const v1::GetExtractionRequest* request,
                                        v1::Extraction* response) {
  return adapter_.Unary(context, "GetExtraction", response,
                        [&](const Identity& who) { return service_->GetExtraction(who, *request); });
}

grpc::Status GrpcService::ReprocessDocument(grpc::ServerContext* context,
                                            const v1::ReprocessDocumentRequest* request,
                                            v1::IngestDocumentResponse* response) {
  return adapter_.Unary(context, "ReprocessDocument", response,
                        [&](const Identity& who) { return service_->ReprocessDocument(who, *request); });
}

}  // namespace luoshi::ingestion
