// The one place that turns a store location (--store, services/common/store_url.h) into a ObservationStore,
// so that main.cc and the store tests name no implementation.
#ifndef LUOSHI_SERVICES_INDICATORS_OPEN_STORE_H_
#define LUOSHI_SERVICES_INDICATORS_OPEN_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "services/common/store_url.h"
#include "services/indicators/store.h"

namespace luoshi::indicators {

// SQLite: creates the file's directory when missing, then opens or creates the file and applies
// pending migrations (SqliteObservationStore::Open, with its errors). PostgreSQL: connects and applies
// pending migrations (PostgresObservationStore::Open, with its errors: INVALID_ARGUMENT for a malformed URI,
// UNAVAILABLE for a server that cannot be reached, FAILED_PRECONDITION for a newer schema).
absl::StatusOr<std::unique_ptr<ObservationStore>> OpenObservationStore(const StoreLocation& location);

}  // namespace luoshi::indicators

#endif  // LUOSHI_SERVICES_INDICATORS_OPEN_STORE_H_
