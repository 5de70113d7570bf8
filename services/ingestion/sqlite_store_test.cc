// What only the SQLite document store has: its schema in a file, migrated from the files older releases
// wrote. The DocumentStore contract itself runs on every backend in store_test.cc.
#include "services/ingestion/sqlite_store.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ingestion/test_util.h"

namespace luoshi::ingestion {
namespace {

using ::testing::SizeIs;

TEST(IngestionSqliteStoreTest, MigrationsCreateTheSchemaOnce) {
  testing::TempDatabase file("store");
  {
    auto store = SqliteDocumentStore::Open(file.path());
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), static_cast<int>(SqliteDocumentStore::Migrations().size()));
  }
  auto reopened = SqliteDocumentStore::Open(file.path());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->schema_version(), static_cast<int>(SqliteDocumentStore::Migrations().size()));
}

TEST(IngestionSqliteStoreTest, DatabaseOfTheSecondSchemaVersionIsMigratedWithItsOutbox) {
  testing::TempDatabase old_file("store_v2");
  {
    // A database written before the outbox counted left-out items (schema version 2) or was claimed
    // (version 4).
    std::vector<sql::Migration> v2(SqliteDocumentStore::Migrations().begin(),
                                   SqliteDocumentStore::Migrations().begin() + 2);
    auto db = sql::Database::Open(old_file.path(), v2);
    ASSERT_TRUE(db.ok()) << db.status();
    absl::Status s = (*db)->Write([](sql::Connection& conn) -> absl::Status {
      for (const char* sql :
           {"INSERT INTO documents VALUES (1, 'doc-1', 'aa', 'a.txt', 'text/plain', 3, '', 0, 1, '大兴区', 2023,"
            " x'', 2, 0, 'v1', 1, 0, x'', x'616263')",
            "INSERT INTO outbox (document_id, generation, target, payload, state, next_attempt_at_us,"
            " created_at_us) VALUES ('doc-1', 1, 'indicators', x'00', 'pending', 0, 0)"}) {
        auto stmt = conn.Prepare(sql);
        if (!stmt.ok()) return stmt.status();
        if (absl::Status run = stmt->Run(); !run.ok()) return run;
      }
      return absl::OkStatus();
    });
    ASSERT_TRUE(s.ok()) << s;
  }
  auto store = SqliteDocumentStore::Open(old_file.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->schema_version(), static_cast<int>(SqliteDocumentStore::Migrations().size()));
  auto deliveries = (*store)->ListDeliveries("doc-1");
  ASSERT_TRUE(deliveries.ok()) << deliveries.status();
  ASSERT_THAT(*deliveries, SizeIs(1));
  EXPECT_EQ((*deliveries)[0].state, OutboxState::kPending);
  EXPECT_EQ((*deliveries)[0].left_out, 0);
  EXPECT_EQ((*deliveries)[0].left_out_reason, "");
  // Rows from before the outbox was claimed read as unclaimed, so they are sent as before.
  EXPECT_FALSE((*deliveries)[0].leased_until.has_value());
  auto claimed = (*store)->ClaimDeliveries(kIndicatorsTarget, absl::FromUnixMicros(0), absl::Minutes(1), 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_THAT(*claimed, SizeIs(1));
}

}  // namespace
}  // namespace luoshi::ingestion
