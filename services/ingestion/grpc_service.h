// GrpcService: luoshi.v1.IngestionService over gRPC.
//
// Layers, outermost first:
//   GrpcService (grpc_service.h)  one line per RPC through the CallAdapter (caller, status, logging)
//   IngestionLogic (service.h)           validation, dedupe by SHA-256, dry runs, paging, reprocessing
//   ExtractionEngine              the extraction library behind a small interface (bytes → Extraction)
//   DocumentStore                 documents, extractions and the outbox (SQLite by default)
//   Dispatcher + DeliveryClient   one background thread per target that drains the outbox to the
//                                 indicator and task services with deadlines, backoff and idempotent keys
//
// A request's flow (IngestDocument): gRPC thread → handler validates size and emptiness → hashes the
// bytes → returns the stored document if the hash is known → otherwise runs the extractor, stamps
// source keys and provenance, builds one outbox payload per target → the store writes document,
// extraction and outbox in one transaction → the handler wakes the dispatcher and replies. Delivery
// happens after the reply; GetDocument shows its progress in `deliveries`.
#ifndef LUOSHI_SERVICES_INGESTION_GRPC_SERVICE_H_
#define LUOSHI_SERVICES_INGESTION_GRPC_SERVICE_H_

#include "luoshi/v1/ingestion.grpc.pb.h"
#include "services/common/adapter.h"
#include "services/ingestion/service.h"

namespace luoshi::ingestion {

class GrpcService final : public v1::IngestionService::Service {
 public:
  // `service` and `authenticator` (which verifies every caller's token) must outlive this object.
  GrpcService(IngestionLogic* service, const Authenticator* authenticator)
      : service_(service), adapter_("luoshi.v1.IngestionService", authenticator) {}

  grpc::Status IngestDocument(grpc::ServerContext* context, const v1::IngestDocumentRequest* request,
                              v1::IngestDocumentResponse* response) override;
  grpc::Status GetDocument(grpc::ServerContext* context, const v1::GetDocumentRequest* request,
                           v1::Document* response) override;
  grpc::Status ListDocuments(grpc::ServerContext* context, const v1::ListDocumentsRequest* request,
                             v1::ListDocumentsResponse* response) override;
  grpc::Status GetExtraction(grpc::ServerContext* context, const v1::GetExtractionRequest* request,
                             v1::Extraction* response) override;
  grpc::Status ReprocessDocument(grpc::ServerContext* context, const v1::ReprocessDocumentRequest* request,
                                 v1::IngestDocumentResponse* response) override;

 private:
  IngestionLogic* service_;
  CallAdapter adapter_;
};

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_GRPC_SERVICE_H_
