#include "services/indicators/open_store.h"

#include <utility>

#include "services/common/open_store.h"
#include "services/indicators/postgres_store.h"
#include "services/indicators/sqlite_store.h"

namespace luoshi::indicators {

absl::StatusOr<std::unique_ptr<ObservationStore>> OpenObservationStore(const StoreLocation& location) {
  if (location.is_postgres()) {
    absl::StatusOr<std::unique_ptr<PostgresObservationStore>> store =
        PostgresObservationStore::Open(location.postgres_uri());
    if (!store.ok()) return store.status();
    return std::unique_ptr<ObservationStore>(*std::move(store));
  }
  return OpenStoreAt<ObservationStore, SqliteObservationStore>(location);
}

}  // namespace luoshi::indicators
