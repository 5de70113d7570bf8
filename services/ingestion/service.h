// IngestionLogic: the five IngestionService methods as plain C++ (no gRPC types), each
// validate → fetch → act → to-proto. The gRPC layer (grpc_service.h) calls one method per RPC.
// Every method takes the verified caller (services/common/identity.h): admins, supervisors and offices
// ingest and reprocess, every role reads (CheckMayIngest). Plans found in a document are delivered to the
// task service on behalf of the caller, who must be allowed to import plans there: an office's upload is
// stored and its figures delivered, and its plan is left out of the deliveries (with the reason, in the
// document's deliveries) until a supervisor or administrator reprocesses the document.
//
// Rules a caller can rely on:
//   - Identity is the SHA-256 of the bytes. Ingesting bytes that are already stored returns the stored
//     document and extraction with created = false and writes nothing.
//   - A dry run extracts and answers, and stores nothing (created = false, deliveries NOT_NEEDED).
//   - Every observation's source_key is "<sha256>:obs:<index>" and every provenance names the document,
//     so downstream services can recognise re-deliveries.
//   - New documents and reprocessed ones queue their outbox entries in the same transaction as the
//     extraction; `on_outbox_queued` (if set) is then called so a dispatcher can deliver promptly.
//
// Thread safety: all methods may be called concurrently (the store and engine are thread-safe).
#ifndef LUOSHI_SERVICES_INGESTION_SERVICE_H_
#define LUOSHI_SERVICES_INGESTION_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "luoshi/v1/ingestion.pb.h"
#include "services/common/clock.h"
#include "services/common/identity.h"
#include "services/common/limits.h"
#include "services/ingestion/store.h"
#include "services/ingestion/extraction_engine.h"

namespace luoshi::ingestion {


struct IngestionOptions {
  int64_t max_document_bytes = kDefaultMaxDocumentBytes;
};

class IngestionLogic {
 public:
  // `store`, `engine` and `clock` must outlive the handler.
  IngestionLogic(DocumentStore* store, const ExtractionEngine* engine, const Clock* clock,
                   IngestionOptions options, std::function<void()> on_outbox_queued = nullptr);

  absl::StatusOr<v1::IngestDocumentResponse> IngestDocument(const Identity& caller, const v1::IngestDocumentRequest& request);
  absl::StatusOr<v1::Document> GetDocument(const Identity& caller, const v1::GetDocumentRequest& request) const;
  absl::StatusOr<v1::ListDocumentsResponse> ListDocuments(const Identity& caller, const v1::ListDocumentsRequest& request) const;
  absl::StatusOr<v1::Extraction> GetExtraction(const Identity& caller, const v1::GetExtractionRequest& request) const;
  absl::StatusOr<v1::IngestDocumentResponse> ReprocessDocument(const Identity& caller, const v1::ReprocessDocumentRequest& request);

 private:
  absl::Status Validate(const v1::IngestDocumentRequest& request) const;
  absl::StatusOr<v1::IngestDocumentResponse> Existing(const DocumentRecord& record) const;
  absl::StatusOr<v1::Extraction> RunExtraction(const std::string& bytes, const std::string& sha256,
                                               const ExtractRequest& request) const;
  absl::StatusOr<v1::IngestDocumentResponse> StoreNew(const Identity& caller,
                                                      const v1::IngestDocumentRequest& request,
                                                      const DocumentRecord& record, v1::Extraction extraction);
  absl::StatusOr<v1::Document> ToDocument(const DocumentRecord& record) const;
  void NotifyQueued() const;

  DocumentStore* store_;
  const ExtractionEngine* engine_;
  const Clock* clock_;
  IngestionOptions options_;
  std::function<void()> on_outbox_queued_;
};

// The outbox entries an extraction needs: one per target, with an empty payload when that target has
// nothing to receive. A plan is delivered on behalf of `uploader` (the task service decides with the
// uploader's role whether it may be imported); an uploader who may not import plans (office, viewer) gets
// the plan left out, with the reason. Exposed for tests.
std::vector<NewDelivery> DeliveriesFor(const DocumentRecord& record, const v1::Extraction& extraction,
                                       const Identity& uploader);

// Who may ingest and reprocess documents: admins, supervisors and offices (docs/authorization.md);
// every signed-in role reads.
absl::Status CheckMayIngest(const Identity& caller);

// Proto view of a stored document and its current deliveries.
v1::Document DocumentProto(const DocumentRecord& record, const std::vector<OutboxEntry>& deliveries);

// ListDocuments' page tokens (services/common/paging.h), bound to the request's filter; exposed for tests.
std::string EncodePageToken(const v1::ListDocumentsRequest& request, int64_t before_position);
// The position inside request.page().page_token().
absl::StatusOr<int64_t> DecodePageToken(const v1::ListDocumentsRequest& request);

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_SERVICE_H_
