#include "services/ingestion/open_store.h"

#include <utility>

#include "services/common/open_store.h"
#include "services/ingestion/postgres_store.h"
#include "services/ingestion/sqlite_store.h"

namespace luoshi::ingestion {

absl::StatusOr<std::unique_ptr<DocumentStore>> OpenDocumentStore(const StoreLocation& location) {
  if (location.is_postgres()) {
    absl::StatusOr<std::unique_ptr<PostgresDocumentStore>> store =
        PostgresDocumentStore::Open(location.postgres_uri());
    if (!store.ok()) return store.status();
    return std::unique_ptr<DocumentStore>(*std::move(store));
  }
  return OpenStoreAt<DocumentStore, SqliteDocumentStore>(location);
}

}  // namespace luoshi::ingestion
