// The one place that turns a store location (--store, services/common/store_url.h) into a DocumentStore,
// so that main.cc and the store tests name no implementation.
#ifndef LUOSHI_SERVICES_INGESTION_OPEN_STORE_H_
#define LUOSHI_SERVICES_INGESTION_OPEN_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "services/common/store_url.h"
#include "services/ingestion/store.h"

namespace luoshi::ingestion {

// SQLite: creates the file's directory when missing, then opens or creates the file and applies
// pending migrations (SqliteDocumentStore::Open, with its errors). PostgreSQL: connects and applies
// pending migrations (PostgresDocumentStore::Open, with its errors).
absl::StatusOr<std::unique_ptr<DocumentStore>> OpenDocumentStore(const StoreLocation& location);

}  // namespace luoshi::ingestion

#endif  // LUOSHI_SERVICES_INGESTION_OPEN_STORE_H_
