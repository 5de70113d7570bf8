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
// cannot), then `SqliteStore::Open(path)` with the options the service runs with (its errors as they
// are). PostgreSQL: UNIMPLEMENTED, PostgresStorageNotBuiltIn(); the PostgreSQL stores (issue 23) replace
// that branch with a third template argument, the service's PostgreSQL implementation.
template <typename Interface, typename SqliteStore>
absl::StatusOr<std::unique_ptr<Interface>> OpenStoreAt(const StoreLocation& location) {
  if (!location.is_sqlite()) return PostgresStorageNotBuiltIn();
  if (absl::Status s = CreateParentDirectories(location.sqlite_path()); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(location.sqlite_path());
  if (!store.ok()) return store.status();
  return std::unique_ptr<Interface>(*std::move(store));
}

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_OPEN_STORE_H_
