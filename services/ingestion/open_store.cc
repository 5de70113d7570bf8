#include "services/ingestion/open_store.h"

#include "services/common/open_store.h"
#include "services/ingestion/postgres_store.h"
#include "services/ingestion/sqlite_store.h"

namespace luoshi::ingestion {

absl::StatusOr<std::unique_ptr<DocumentStore>> OpenDocumentStore(const StoreLocation& location) {
  return OpenStoreAt<DocumentStore, SqliteDocumentStore, PostgresDocumentStore>(location);
}

}  // namespace luoshi::ingestion
