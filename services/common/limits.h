// Every limit a client can run into, in one place, with the answer it gets (docs/architecture.md,
// "Limits"). Service-specific flags (e.g. --max_document_bytes) take their defaults from here.
#ifndef LUOSHI_SERVICES_COMMON_LIMITS_H_
#define LUOSHI_SERVICES_COMMON_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace luoshi {

// Request messages a service's gRPC server accepts, set per service from the largest request its methods
// need (gRPC C++ has one receive limit per server, not per method); a larger request is
// RESOURCE_EXHAUSTED from gRPC before any handler runs. docs/reliability.md ("Message limits per method")
// has the table of methods and the memory this bounds.
//   everything small (ids, filters, a progress report, a review): kMaxRequestBytes
//   ImportPlan (a whole plan's tasks), the task service:            kMaxTaskRequestBytes
//   RecordObservations (up to kMaxObservationBatch observations):   kMaxObservationRequestBytes
//   IngestDocument: --max_document_bytes plus kDocumentEnvelopeBytes for its metadata
inline constexpr int kMaxRequestBytes = 1 << 20;
inline constexpr int kMaxTaskRequestBytes = 4 << 20;
inline constexpr int kMaxObservationRequestBytes = 16 << 20;
inline constexpr int kDocumentEnvelopeBytes = 1 << 20;

// Answers a server sends, and what every client channel (the CLI, the gateway, a service calling a peer)
// accepts: the largest answer is an extraction of the largest document (GetExtraction).
inline constexpr int kMaxMessageBytes = 64 << 20;

// List/Query RPCs (paging.h): page_size 0 means kDefaultPageSize; above kMaxPageSize is INVALID_ARGUMENT.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// IngestDocument: the default of --max_document_bytes; a larger document is RESOURCE_EXHAUSTED.
inline constexpr int64_t kDefaultMaxDocumentBytes = int64_t{32} << 20;

// RecordObservations: observations per call; more is INVALID_ARGUMENT and nothing of the batch is stored.
inline constexpr int kMaxObservationBatch = 10000;

// ReportProgress / ReviewTask: request_id (idempotency key) length; longer, or any character outside
// printable ASCII 0x21–0x7E, is INVALID_ARGUMENT.
inline constexpr size_t kMaxRequestIdBytes = 128;

// ListDueTasks: reminder rows per answer (the most urgent first).
inline constexpr int kMaxReminderRows = 1000;

// ExportObservations / ExportTasks: CSV bytes per streamed chunk (about).
inline constexpr size_t kExportChunkBytes = 64 * 1024;

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_LIMITS_H_
