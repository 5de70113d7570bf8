// The ObservationStore contract, run on every storage backend (services/common/store_testing.h) and on
// PostgreSQL: idempotency, conflicts, vintages, ordering, paging, persistence. SQLite-only cases
// (migrations of old files) are in sqlite_store_test.cc, PostgreSQL-only ones (replicas, the database's
// own guards, query plans) in postgres_store_test.cc.
#include "services/indicators/store.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/common/store_testing.h"
#include "services/indicators/open_store.h"
#include "services/indicators/test_util.h"

namespace luoshi::indicators {
namespace {

using testing_util::Obs;

ObservationRecord Rec(const v1::Observation& o, int64_t as_of = 0,
                      const std::string& region_key = "beijing.daxing") {
  return testing_util::StoreRecord(o, as_of, region_key, 1000);
}

class ObservationStoreTest : public store_testing::StoreTest<ObservationStore, &OpenObservationStore> {
 protected:
  std::vector<StoredObservation> All(ObservationFilter f = {}) {
    auto page = store_->Query(f, std::nullopt, 0);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->observations : std::vector<StoredObservation>{};
  }
};

TEST_P(ObservationStoreTest, RecordsAndReadsBackWithAssignedIds) {
  auto outcome = store_->Record({Rec(Obs("k1")), Rec(Obs("k2").Period("2023"))});
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->recorded, 2);
  std::vector<StoredObservation> rows = All();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].observation.period(), "2023");  // ordered by period
  EXPECT_EQ(rows[1].observation.source_key(), "k1");
  EXPECT_FALSE(rows[0].observation.id().empty());
  EXPECT_NE(rows[0].observation.id(), rows[1].observation.id());
  EXPECT_EQ(rows[1].observation.value().value().unscaled(), 13348);
  EXPECT_EQ(rows[1].observation.provenance().sentence(), "地区生产总值总量完成1334.8亿元,同比增长5.2%");
}

TEST_P(ObservationStoreTest, SameSourceKeySameContentIsUnchanged) {
  ASSERT_TRUE(store_->Record({Rec(Obs("k1"))}).ok());
  auto again = store_->Record({Rec(Obs("k1")), Rec(Obs("k2").Period("2023"))});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->recorded, 1);
  EXPECT_EQ(again->unchanged, 1);
  EXPECT_EQ(All().size(), 2u);
}

TEST_P(ObservationStoreTest, SameSourceKeyDifferentContentFailsWholeBatch) {
  ASSERT_TRUE(store_->Record({Rec(Obs("k1"))}).ok());
  auto conflict = store_->Record({Rec(Obs("k2").Period("2023")), Rec(Obs("k1").Value("1400", "亿元"))});
  ASSERT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(conflict.status().message().find("observation 1"), std::string::npos) << conflict.status();
  std::vector<StoredObservation> rows = All();
  ASSERT_EQ(rows.size(), 1u) << "the first item of the failed batch must not be stored";
  EXPECT_EQ(rows[0].observation.value().value().unscaled(), 13348);
}

TEST_P(ObservationStoreTest, LatestVintageIsGreatestAsOfThenLaterRecording) {
  // Annual report (as_of 300) arrives first, then an older estimate (as_of 100), then a revision (as_of 300).
  ASSERT_TRUE(store_->Record({Rec(Obs("annual").Value("1334.8", "亿元"), 300)}).ok());
  ASSERT_TRUE(store_->Record({Rec(Obs("estimate").Value("1300", "亿元"), 100)}).ok());
  std::vector<StoredObservation> latest = All();
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].observation.source_key(), "annual") << "an older document must not replace a newer one";
  ASSERT_TRUE(store_->Record({Rec(Obs("revision").Value("1335.1", "亿元"), 300)}).ok());
  latest = All();
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].observation.source_key(), "revision");
  ObservationFilter all;
  all.all_vintages = true;
  std::vector<StoredObservation> history = All(all);
  ASSERT_EQ(history.size(), 3u);
  int latest_count = 0;
  for (const auto& h : history) latest_count += h.latest ? 1 : 0;
  EXPECT_EQ(latest_count, 1);
}

TEST_P(ObservationStoreTest, DifferentMeasuresStatusesAndBasesAreSeparateCells) {
  ASSERT_TRUE(
      store_
          ->Record({Rec(Obs("level")), Rec(Obs("growth").Growth("5.2")),
                    Rec(Obs("target").Target().Growth("5")), Rec(Obs("two-year").Growth("9").Base("2020年"))})
          .ok());
  EXPECT_EQ(All().size(), 4u);
}

TEST_P(ObservationStoreTest, FiltersByIndicatorRegionPeriodMeasureStatusDocument) {
  ASSERT_TRUE(store_
                  ->Record({Rec(Obs("a").Period("2020H1")), Rec(Obs("b").Period("2021")),
                            Rec(Obs("c").Indicator("pm25").Value("34", "微克/立方米")),
                            Rec(Obs("d"), 0, "beijing.bda"), Rec(Obs("e").Document("doc-2").Period("2022")),
                            Rec(Obs("f").Growth("5.2"))})
                  .ok());
  ObservationFilter f;
  f.indicator_keys = {"gdp"};
  f.region_keys = {"beijing.daxing"};
  f.measure = v1::MEASURE_LEVEL;
  f.start_from = 202101;
  f.start_to = 202412;
  std::vector<std::string> keys;
  for (const auto& r : All(f)) keys.push_back(r.observation.source_key());
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "e"}));
  f = {};
  f.document_id = "doc-2";
  ASSERT_EQ(All(f).size(), 1u);
  f = {};
  f.region_keys = {"beijing.daxing", "beijing.bda"};
  f.indicator_keys = {"gdp", "pm25"};
  EXPECT_EQ(All(f).size(), 6u);
}

// Indicator and region given: the store reads one index range per year; pages still come in period order
// across years, and other indicators and regions stay out.
TEST_P(ObservationStoreTest, SeriesShapedQueriesPageInPeriodOrderAcrossYears) {
  std::vector<ObservationRecord> batch;
  for (const char* period : {"2005", "2003H1", "2001", "2003", "2010", "2002"})
    batch.push_back(Rec(Obs(std::string("gdp-") + period).Period(period)));
  batch.push_back(Rec(Obs("pm25-2004").Indicator("pm25").Period("2004")));
  batch.push_back(Rec(Obs("bda-2004").Period("2004"), 0, "beijing.bda"));
  ASSERT_TRUE(store_->Record(batch).ok());
  ObservationFilter f;
  f.indicator_keys = {"gdp"};
  f.region_keys = {"beijing.daxing"};
  std::vector<std::string> seen;
  std::optional<PageCursor> cursor;
  do {
    auto page = store_->Query(f, cursor, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& o : page->observations) seen.push_back(o.observation.period());
    cursor = page->next;
  } while (cursor);
  EXPECT_EQ(seen, (std::vector<std::string>{"2001", "2002", "2003H1", "2003", "2005", "2010"}));
}

TEST_P(ObservationStoreTest, PagesAreStableWhenRowsArriveBetweenPages) {
  std::vector<ObservationRecord> batch;
  for (int year = 2001; year <= 2010; ++year)
    batch.push_back(Rec(Obs("y" + std::to_string(year)).Period(std::to_string(year))));
  ASSERT_TRUE(store_->Record(batch).ok());
  ObservationFilter f;
  auto first = store_->Query(f, std::nullopt, 4);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->observations.size(), 4u);
  ASSERT_TRUE(first->next.has_value());
  // A figure for an earlier year arrives: it must not shift or repeat what the second page shows.
  ASSERT_TRUE(store_->Record({Rec(Obs("late").Period("2000"))}).ok());
  std::vector<std::string> seen;
  for (const auto& o : first->observations) seen.push_back(o.observation.period());
  std::optional<PageCursor> cursor = first->next;
  while (cursor) {
    auto page = store_->Query(f, cursor, 4);
    ASSERT_TRUE(page.ok());
    for (const auto& o : page->observations) seen.push_back(o.observation.period());
    cursor = page->next;
  }
  std::vector<std::string> want;
  for (int year = 2001; year <= 2010; ++year) want.push_back(std::to_string(year));
  EXPECT_EQ(seen, want);
}

TEST_P(ObservationStoreTest, DataSurvivesReopening) {
  ASSERT_TRUE(store_->Record({Rec(Obs("k1"))}).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(All().size(), 1u);
  auto again = store_->Record({Rec(Obs("k1"))});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 1);
}

// Every backend: SQLite and PostgreSQL.
INSTANTIATE_TEST_SUITE_P(Backends, ObservationStoreTest, ::testing::ValuesIn(store_testing::StoreBackends()),
                         store_testing::BackendName);

}  // namespace
}  // namespace luoshi::indicators
