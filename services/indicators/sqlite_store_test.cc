// What only the SQLite observation store has: its schema in a file, migrated from the files older
// releases wrote, and refused when a newer release wrote it. The ObservationStore contract itself runs
// on every backend in store_test.cc.
#include "services/indicators/sqlite_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/indicators/test_util.h"

namespace luoshi::indicators {
namespace {

using testing_util::FreshDbPath;
using testing_util::Obs;

TEST(IndicatorSqliteStoreMigrationTest, NewFileGetsTheWholeSchemaOnce) {
  const std::string path = FreshDbPath("store");
  {
    auto store = SqliteObservationStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->schema_version(), static_cast<int>(ObservationMigrations().size()));
  }
  auto reopened = SqliteObservationStore::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->schema_version(), static_cast<int>(ObservationMigrations().size()));
}

// A file written by the first release (schema 1, series index led by the indicator) opens with its
// observations intact, the series index now led by the region, and vintages still tracked across the
// upgrade.
TEST(IndicatorSqliteStoreMigrationTest, UpgradesAVersionOneFile) {
  const std::string path = FreshDbPath("v1");
  {
    auto v1_only =
        std::vector<sql::Migration>(ObservationMigrations().begin(), ObservationMigrations().begin() + 1);
    auto db = sql::Database::Open(path, v1_only);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_EQ((*db)->schema_version(), 1);
    v1::Observation o = Obs("old-1").Period("2023").get();
    o.set_region("beijing.daxing");
    absl::Status s = (*db)->Write([&](sql::Connection& c) {
      auto stmt = c.Prepare(
          "INSERT INTO observations (source_key, indicator_key, region_key, status, measure, base_key, "
          "period_start, period_end, period, document_id, value_unscaled, value_scale, unit, as_of, "
          "recorded_at, is_latest, body) VALUES ('old-1', ?, 'beijing.daxing', ?, ?, '', 202301, 202312, "
          "'2023', ?, 13348, 1, '亿元', 0, 1000, 1, ?)");
      if (!stmt.ok()) return stmt.status();
      stmt->Bind(1, o.indicator_id()).Bind(2, o.status()).Bind(3, o.measure());
      stmt->Bind(4, o.provenance().document_id()).BindBlob(5, o.SerializeAsString());
      return stmt->Run();
    });
    ASSERT_TRUE(s.ok()) << s;
  }
  auto store = SqliteObservationStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->schema_version(), static_cast<int>(ObservationMigrations().size()));
  ObservationFilter f;
  f.indicator_keys = {"gdp"};
  f.region_keys = {"beijing.daxing"};
  auto page = (*store)->Query(f, std::nullopt, 0);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->observations.size(), 1u);
  EXPECT_EQ(page->observations[0].observation.source_key(), "old-1");
  EXPECT_TRUE(page->observations[0].latest);

  // A restatement recorded after the upgrade becomes the latest vintage; the old row is kept as history.
  ObservationRecord r;
  r.observation = Obs("new-1").Period("2023").get();
  r.observation.set_region("beijing.daxing");
  r.indicator_key = r.observation.indicator_id();
  r.region_key = "beijing.daxing";
  r.period = *ParsePeriod("2023");
  r.as_of_micros = 5;
  r.recorded_at_micros = 2000;
  ASSERT_TRUE((*store)->Record({r}).ok());
  page = (*store)->Query(f, std::nullopt, 0);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->observations.size(), 1u);
  EXPECT_EQ(page->observations[0].observation.source_key(), "new-1");
  f.all_vintages = true;
  page = (*store)->Query(f, std::nullopt, 0);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->observations.size(), 2u);
}

TEST(IndicatorSqliteStoreMigrationTest, RefusesAFileFromANewerRelease) {
  const std::string path = FreshDbPath("newer");
  {
    std::vector<sql::Migration> more = ObservationMigrations();
    more.push_back({static_cast<int>(more.size()) + 1, "CREATE TABLE future (x INTEGER);"});
    ASSERT_TRUE(sql::Database::Open(path, more).ok());
  }
  EXPECT_EQ(SqliteObservationStore::Open(path).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace luoshi::indicators
