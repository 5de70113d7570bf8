// Named errors of the indicator service. Each says what was wrong and what to do about it; the gRPC
// layer maps them to status codes in one place (services/common/status.h).
#ifndef LUOSHI_SERVICES_INDICATORS_ERRORS_H_
#define LUOSHI_SERVICES_INDICATORS_ERRORS_H_

#include <string>

#include "absl/status/status.h"

namespace luoshi::indicators {

// INVALID_ARGUMENT: item `index` of a RecordObservations batch is unusable; nothing was stored.
absl::Status InvalidObservation(int index, const std::string& source_key, const std::string& reason);
// NOT_FOUND: neither an id, name nor alias of the catalog.
absl::Status IndicatorNotFound(const std::string& name);
absl::Status RegionNotFound(const std::string& name);
// INVALID_ARGUMENT for a missing required request field.
absl::Status MissingField(const std::string& field, const std::string& hint);
absl::Status InvalidPeriodFilter(const std::string& field, const std::string& reason);
// INVALID_ARGUMENT when `value` is not a value of enum `type` (a newer client's, or a number set by hand):
// unchecked, it would match nothing in a filter and be stored without meaning in a figure. OK otherwise.

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_ERRORS_H_
