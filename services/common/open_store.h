// What the store factories of the three services (OpenDocumentStore, OpenObservationStore,
// OpenTaskStore in services/<service>/open_store.h) share: the choice of implementation by backend.
#ifndef LUOSHI_SERVICES_COMMON_OPEN_STORE_H_
#define LUOSHI_SERVICES_COMMON_OPEN_STORE_H_

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/files.h"
#include "services/common/store_url.h"

namespace luoshi {

// Opens `Interface` at `location`. SQLite: creates the file's directory when missing (INTERNAL when it
// cannot), then `SqliteStore::Open(path)` with the options the service runs with. PostgreSQL:
// `PostgresStore::Open(uri)` (connects and migrates). Either's errors as they are.
template <typename Interface, typename SqliteStore, typename PostgresStore>
absl::StatusOr<std::unique_ptr<Interface>> OpenStoreAt(const StoreLocation& location) {
  if (location.is_postgres()) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(location.postgres_uri());
    if (!store.ok()) return store.status();
    return std::unique_ptr<Interface>(*std::move(store));
  }
  if (absl::Status s = CreateParentDirectories(location.sqlite_path()); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(location.sqlite_path());
  if (!store.ok()) return store.status();
  return std::unique_ptr<Interface>(*std::move(store));
}

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_OPEN_STORE_H_
