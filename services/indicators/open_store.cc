#include "services/indicators/open_store.h"

#include "services/common/open_store.h"
#include "services/indicators/postgres_store.h"
#include "services/indicators/sqlite_store.h"

namespace luoshi::indicators {

absl::StatusOr<std::unique_ptr<ObservationStore>> OpenObservationStore(const StoreLocation& location) {
  return OpenStoreAt<ObservationStore, SqliteObservationStore, PostgresObservationStore>(location);
}

}  // namespace luoshi::indicators
