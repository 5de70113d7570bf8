#include "services/tasks/open_store.h"

#include "services/common/open_store.h"
#include "services/tasks/postgres_store.h"
#include "services/tasks/sqlite_store.h"

namespace luoshi::tasks {

absl::StatusOr<std::unique_ptr<TaskStore>> OpenTaskStore(const StoreLocation& location) {
  return OpenStoreAt<TaskStore, SqliteTaskStore, PostgresTaskStore>(location);
}

}  // namespace luoshi::tasks
