// The one place that turns a store location (--store, services/common/store_url.h) into a TaskStore,
// so that main.cc and the store tests name no implementation.
#ifndef LUOSHI_SERVICES_TASKS_OPEN_STORE_H_
#define LUOSHI_SERVICES_TASKS_OPEN_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "services/common/store_url.h"
#include "services/tasks/store.h"

namespace luoshi::tasks {

// SQLite: creates the file's directory when missing, then opens or creates the file and applies
// pending migrations (SqliteTaskStore::Open, with its errors). PostgreSQL: connects and applies pending
// migrations (PostgresTaskStore::Open, with its errors).
absl::StatusOr<std::unique_ptr<TaskStore>> OpenTaskStore(const StoreLocation& location);

}  // namespace luoshi::tasks

#endif  // LUOSHI_SERVICES_TASKS_OPEN_STORE_H_
