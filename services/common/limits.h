// Every limit a client can run into, in one place, with the answer it gets (docs/architecture.md,
// "Limits"). Service-specific flags (e.g. --max_document_bytes) take their defaults from here.
#ifndef LUOSHI_SERVICES_COMMON_LIMITS_H_
#define LUOSHI_SERVICES_COMMON_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace luoshi {

// gRPC messages in and out of every service and client channel; a larger one is RESOURCE_EXHAUSTED
// (from gRPC itself).
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
