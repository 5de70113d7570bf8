#include "services/tasks/open_store.h"

#include <utility>

#include "services/common/open_store.h"
#include "services/tasks/postgres_store.h"
#include "services/tasks/sqlite_store.h"

namespace luoshi::tasks {

absl::StatusOr<std::unique_ptr<TaskStore>> OpenTaskStore(const StoreLocation& location) {
  if (location.is_postgres()) {
    absl::StatusOr<std::unique_ptr<PostgresTaskStore>> store = PostgresTaskStore::Open(location.postgres_uri());
    if (!store.ok()) return store.status();
    return std::unique_ptr<TaskStore>(*std::move(store));
  }
  return OpenStoreAt<TaskStore, SqliteTaskStore>(location);
}

}  // namespace luoshi::tasks
