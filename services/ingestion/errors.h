// The ingestion service's errors, named once with messages that say what was wrong and what to do.
// Everything here is an absl::Status; the gRPC layer converts with luoshi::ToGrpc in one place.
#ifndef LUOSHI_SERVICES_INGESTION_ERRORS_H_
#define LUOSHI_SERVICES_INGESTION_ERRORS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace luoshi::ingestion {

absl::Status DocumentNotFound(const std::string& id);
absl::Status EmptyDocument(const std::string& filename);
absl::Status DocumentTooLarge(const std::string& filename, int64_t size, int64_t limit);
absl::Status MissingDocumentId();
// A year hint outside 0 (none) and kMinYearHint..kMaxYearHint.
inline constexpr int kMinYearHint = 1949;
inline constexpr int kMaxYearHint = 2100;
absl::Status InvalidYearHint(int year);
// INVALID_ARGUMENT: ListDocuments.type is a number this build's DocumentType does not have (a newer
// client's, or set by hand); unchecked it would list nothing and look like an empty store.
absl::Status UnknownDocumentType(int type);
// The stored document and the one being inserted share an id but not a hash (a 64-bit prefix clash).
absl::Status DocumentIdCollision(const std::string& id);
// NOT_FOUND: an outcome recorded for an outbox entry that does not exist.
absl::Status OutboxEntryNotFound(int64_t entry_id);
// INVALID_ARGUMENT: ClaimDeliveries with a lease that is not positive (it would lease nothing).
absl::Status NonPositiveLease(absl::Duration lease);

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_ERRORS_H_
