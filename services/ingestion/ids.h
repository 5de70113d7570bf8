// Stable names derived from a document's bytes: its SHA-256, its id, the idempotency keys of what it
// delivers downstream, and the plan key under which its tasks are imported.
#ifndef LUOSHI_SERVICES_INGESTION_IDS_H_
#define LUOSHI_SERVICES_INGESTION_IDS_H_

#include <string>
#include <string_view>

#include "luoshi/v1/ingestion.pb.h"

namespace luoshi::ingestion {

// Lower-case hex SHA-256 of `bytes` (64 characters).
std::string Sha256Hex(std::string_view bytes);

// "doc-" + the first 16 hex digits of the SHA-256: short enough to type, stable across re-ingests and
// machines. `sha256_hex` must be a full hex digest.
std::string DocumentIdForSha256(const std::string& sha256_hex);

// Idempotency key of the observation at `index` in a document's extraction: "<sha256>:obs:<index>".
std::string ObservationSourceKey(const std::string& sha256_hex, int index);

// Key of the plan a division plan's tasks belong to: issuer, title and year from the metadata, so a
// corrected re-issue of the same plan lands on the same plan (as a new version) in the task service.
std::string PlanKeyFor(const v1::DocumentMetadata& metadata);

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_IDS_H_
