// The PostgreSQL observation store against a real server (tests/common/postgres_server.h), one database
// per test: round trip, vintages, idempotency, paging, the database's own guard on the latest vintage, and
// two replicas (two stores, each with its own pool) recording vintages of the same cells at once.
#include "services/indicators/postgres_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/barrier.h"
#include "gtest/gtest.h"
#include "services/indicators/test_util.h"
#include "tests/common/postgres_server.h"

namespace luoshi::indicators {
namespace {

using testing_util::Obs;

constexpr int64_t kRecordedBase = 1700000000000000;

// A record as the service hands it to the store, recorded_at derived from as_of so that a test can tell the
// as_of of what it reads back.
ObservationRecord Vintage(const v1::Observation& o, int64_t as_of, const std::string& region = "beijing.daxing") {
  return testing_util::StoreRecord(o, as_of, region, kRecordedBase + as_of);
}

class IndicatorPostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = luoshi::testing::SharedPostgres();
    ASSERT_TRUE(server.ok()) << server.status();
    auto uri = (*server)->CreateDatabase(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(uri.ok()) << uri.status();
    uri_ = *uri;
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }

  // Another replica's store on the same database.
  std::unique_ptr<PostgresObservationStore> OpenStore() {
    auto store = PostgresObservationStore::Open(uri_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  std::vector<StoredObservation> All(ObservationFilter f = {}) {
    auto page = store_->Query(f, std::nullopt, 0);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->observations : std::vector<StoredObservation>{};
  }
  std::vector<StoredObservation> History() {
    ObservationFilter f;
    f.all_vintages = true;
    return All(f);
  }
  static std::vector<std::string> Keys(const std::vector<StoredObservation>& rows) {
    std::vector<std::string> keys;
    for (const auto& r : rows) keys.push_back(r.observation.source_key());
    return keys;
  }

  std::string uri_;
  std::unique_ptr<PostgresObservationStore> store_;
};

// Figures of the shapes the seed documents produce: levels, growth rates with a comparison base, targets
// with ranges, qualitative statements without a value, figures outside the catalog, Chinese text.
TEST_F(IndicatorPostgresStoreTest, SeedLikeObservationsRoundTripExactly) {
  std::vector<ObservationRecord> batch = {
      Vintage(Obs("level"), 10),
      Vintage(Obs("growth").Growth("5.2").Sentence("同比增长5.2%"), 10),
      Vintage(Obs("two-year").Growth("9.1").Base("2020年"), 10),
      Vintage(Obs("target").Target().Growth("5").Upper("5.5").Bound(v1::BOUND_AT_LEAST).Period("2025"), 20),
      Vintage(Obs("text").NoValue().Text("基本完成").Indicator("~营商环境").Surface("营商环境"), 0),
      Vintage(Obs("fall").Fall("3.4").Indicator("pm25").Period("2024Q3"), 5, "北京经济技术开发区"),
      Vintage(Obs("quote\"back\\slash,{brace}").Period("2023H1").Document("doc \"2\""), 1)};
  auto outcome = store_->Record(batch);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->recorded, 7);
  EXPECT_EQ(outcome->unchanged, 0);

  std::vector<StoredObservation> rows = All();
  ASSERT_EQ(rows.size(), batch.size());
  // Period order (start, end), then recorded order.
  EXPECT_EQ(Keys(rows), (std::vector<std::string>{"quote\"back\\slash,{brace}", "level", "growth", "two-year",
                                                  "text", "fall", "target"}));
  std::map<std::string, const ObservationRecord*> sent;
  for (const auto& r : batch) sent[r.observation.source_key()] = &r;
  std::set<std::string> ids;
  for (const StoredObservation& row : rows) {
    const ObservationRecord& r = *sent.at(row.observation.source_key());
    v1::Observation got = row.observation;
    EXPECT_TRUE(got.id().rfind("obs-", 0) == 0) << got.id();
    ids.insert(got.id());
    EXPECT_EQ(got.recorded_at().seconds() * 1000000 + got.recorded_at().nanos() / 1000, r.recorded_at_micros);
    got.clear_id();
    got.clear_recorded_at();
    EXPECT_EQ(got.SerializeAsString(), r.observation.SerializeAsString()) << got.DebugString();
    EXPECT_TRUE(row.latest);
  }
  EXPECT_EQ(ids.size(), rows.size()) << "ids must be unique";

  ObservationFilter f;
  f.document_id = "doc \"2\"";
  EXPECT_EQ(Keys(All(f)), (std::vector<std::string>{"quote\"back\\slash,{brace}"}));
  f = {};
  f.region_keys = {"北京经济技术开发区"};
  EXPECT_EQ(Keys(All(f)), (std::vector<std::string>{"fall"}));
  f = {};
  f.indicator_keys = {"gdp", "~营商环境"};
  f.region_keys = {"beijing.daxing"};
  f.measure = v1::MEASURE_LEVEL;
  f.status = v1::OBSERVATION_STATUS_ACTUAL;
  f.exact_period = *ParsePeriod("2024");
  EXPECT_EQ(Keys(All(f)), (std::vector<std::string>{"level", "text"}));
  f = {};
  f.start_from = 202401;
  f.start_to = 202406;
  EXPECT_EQ(Keys(All(f)), (std::vector<std::string>{"level", "growth", "two-year", "text"}));
}

TEST_F(IndicatorPostgresStoreTest, LatestIsGreatestAsOfThenLaterRecordingAcrossAndWithinBatches) {
  ASSERT_TRUE(store_->Record({Vintage(Obs("annual").Value("1334.8", "亿元"), 300)}).ok());
  ASSERT_TRUE(store_->Record({Vintage(Obs("estimate").Value("1300", "亿元"), 100)}).ok());
  EXPECT_EQ(Keys(All()), (std::vector<std::string>{"annual"})) << "an older document must not win";
  ASSERT_TRUE(store_->Record({Vintage(Obs("revision").Value("1335.1", "亿元"), 300)}).ok());
  EXPECT_EQ(Keys(All()), (std::vector<std::string>{"revision"})) << "a tie goes to the later recording";

  // Within one batch: items are recorded in order, so the same rules hold between them.
  ASSERT_TRUE(store_
                  ->Record({Vintage(Obs("b-early").Period("2023"), 50), Vintage(Obs("b-late").Period("2023"), 70),
                            Vintage(Obs("b-older").Period("2023"), 60), Vintage(Obs("b-tie").Period("2023"), 70)})
                  .ok());
  EXPECT_EQ(Keys(All()), (std::vector<std::string>{"b-tie", "revision"}));

  std::vector<StoredObservation> history = History();
  ASSERT_EQ(history.size(), 7u);
  std::map<std::string, bool> latest;
  for (const auto& h : history) latest[h.observation.source_key()] = h.latest;
  EXPECT_EQ(latest, (std::map<std::string, bool>{{"annual", false},
                                                 {"estimate", false},
                                                 {"revision", true},
                                                 {"b-early", false},
                                                 {"b-late", false},
                                                 {"b-older", false},
                                                 {"b-tie", true}}));
}

TEST_F(IndicatorPostgresStoreTest, RedeliveryIsUnchangedAndAConflictStoresNothingOfTheBatch) {
  ASSERT_TRUE(store_->Record({Vintage(Obs("k1"), 10)}).ok());
  auto again = store_->Record({Vintage(Obs("k1"), 10), Vintage(Obs("k2").Period("2023"), 10),
                               Vintage(Obs("k2").Period("2023"), 10)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->recorded, 1);
  EXPECT_EQ(again->unchanged, 2) << "a stored key and a key repeated within the batch are both unchanged";

  // The conflicting item is the third; the first two (one a new vintage of k1's cell) must not be stored.
  auto conflict = store_->Record({Vintage(Obs("k3").Period("2022"), 10), Vintage(Obs("k4"), 99),
                                  Vintage(Obs("k1").Value("1400", "亿元"), 10)});
  ASSERT_EQ(conflict.status().code(), absl::StatusCode::kAlreadyExists) << conflict.status();
  EXPECT_NE(conflict.status().message().find("observation 2"), std::string::npos) << conflict.status();
  EXPECT_NE(conflict.status().message().find("\"k1\""), std::string::npos) << conflict.status();
  EXPECT_EQ(Keys(History()), (std::vector<std::string>{"k2", "k1"}));
  EXPECT_EQ(Keys(All()), (std::vector<std::string>{"k2", "k1"})) << "k1 must still be the latest";

  // A key repeated with different content inside one batch is a conflict too.
  auto inner = store_->Record({Vintage(Obs("k5"), 10), Vintage(Obs("k5").Value("1", "亿元"), 10)});
  ASSERT_EQ(inner.status().code(), absl::StatusCode::kAlreadyExists) << inner.status();
  EXPECT_NE(inner.status().message().find("observation 1"), std::string::npos) << inner.status();
  EXPECT_EQ(History().size(), 2u);
}

TEST_F(IndicatorPostgresStoreTest, PagesFollowPeriodOrderAndStayStableWhenRowsArrive) {
  std::vector<ObservationRecord> batch;
  for (const char* period : {"2005", "2003H1", "2001", "2003", "2010", "2002", "2004", "2006", "2007"})
    batch.push_back(Vintage(Obs(std::string("gdp-") + period).Period(period), 1));
  batch.push_back(Vintage(Obs("pm25-2004").Indicator("pm25").Period("2004"), 1));
  batch.push_back(Vintage(Obs("bda-2004").Period("2004"), 1, "beijing.bda"));
  ASSERT_TRUE(store_->Record(batch).ok());

  ObservationFilter series;
  series.indicator_keys = {"gdp"};
  series.region_keys = {"beijing.daxing"};
  EXPECT_EQ(Keys(All(series)), (std::vector<std::string>{"gdp-2001", "gdp-2002", "gdp-2003H1", "gdp-2003", "gdp-2004",
                                                         "gdp-2005", "gdp-2006", "gdp-2007", "gdp-2010"}));

  int round = 0;
  for (const ObservationFilter& f : {series, ObservationFilter()}) {
    const std::vector<std::string> before = Keys(All(f));
    auto first = store_->Query(f, std::nullopt, 3);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(first->next.has_value());
    // Figures arriving between pages, before the cursor (an earlier year, a restatement of a figure already
    // shown), must neither appear in nor shift the pages still to come.
    ++round;
    ASSERT_TRUE(store_
                    ->Record({Vintage(Obs(absl::StrCat("early-", round)).Period("2000"), 1),
                              Vintage(Obs(absl::StrCat("restated-", round)).Period("2001"), 5)})
                    .ok());
    std::vector<std::string> seen;
    for (const auto& o : first->observations) seen.push_back(o.observation.source_key());
    std::optional<PageCursor> cursor = first->next;
    int pages = 1;
    while (cursor) {
      auto page = store_->Query(f, cursor, 3);
      ASSERT_TRUE(page.ok()) << page.status();
      for (const auto& o : page->observations) seen.push_back(o.observation.source_key());
      cursor = page->next;
      ASSERT_LT(++pages, 10);
    }
    EXPECT_EQ(seen, before) << "round " << round;
  }
}

// The partial unique index, not only the store's code, keeps one latest vintage per cell: a second row
// marked latest in a cell is refused by the database.
TEST_F(IndicatorPostgresStoreTest, DatabaseRefusesASecondLatestVintageInACell) {
  ASSERT_TRUE(store_->Record({Vintage(Obs("new"), 20)}).ok());
  ASSERT_TRUE(store_->Record({Vintage(Obs("old"), 10)}).ok());
  auto lease = store_->pool().Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  auto marked = (*lease)->Execute("UPDATE observations SET is_latest = true WHERE source_key = $1",
                                  pg::Params().Add("old"));
  EXPECT_EQ(marked.status().code(), absl::StatusCode::kAlreadyExists) << marked.status();
  EXPECT_EQ(pg::SqlStateOf(marked.status()), "23505");
}

TEST_F(IndicatorPostgresStoreTest, ReopeningKeepsDataAndANewerSchemaIsRefused) {
  ASSERT_TRUE(store_->Record({Vintage(Obs("k1"), 10)}).ok());
  EXPECT_EQ(store_->schema_version(), static_cast<int>(PgObservationMigrations().size()));
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  auto again = store_->Record({Vintage(Obs("k1"), 10)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->unchanged, 1);
  EXPECT_EQ(All().size(), 1u);

  std::vector<pg::Migration> more = PgObservationMigrations();
  more.push_back({static_cast<int>(more.size()) + 1, "CREATE TABLE future (x INTEGER);"});
  ASSERT_TRUE(pg::RunPgMigrations(store_->pool(), "indicators", more).ok());
  auto older_binary = PostgresObservationStore::Open(uri_);
  EXPECT_EQ(older_binary.status().code(), absl::StatusCode::kFailedPrecondition) << older_binary.status();
}

// On a few thousand figures (20 regions × 10 indicators × 15 years × 2 vintages), every read shape the
// service issues is an index scan: never a scan of the whole table. A page of the whole table comes out of an
// index in answer order (no sort of every row before the limit); for one series or region the planner may
// prefer the small partial index of latest rows and sort the few rows it finds, which is as good.
TEST_F(IndicatorPostgresStoreTest, ReadsUseIndexesInPeriodOrder) {
  for (int region = 0; region < 20; ++region) {
    std::vector<ObservationRecord> batch;
    for (int indicator = 0; indicator < 10; ++indicator) {
      for (int year = 2010; year < 2025; ++year) {
        for (int vintage = 0; vintage < 2; ++vintage) {
          batch.push_back(
              Vintage(Obs(absl::StrCat("r", region, "-i", indicator, "-", year, "-v", vintage))
                          .Indicator(absl::StrCat("ind", indicator))
                          .Period(std::to_string(year))
                          .Document(absl::StrCat("doc-", region, "-", year, "-", vintage)),
                      vintage, absl::StrCat("region", region)));
        }
      }
    }
    ASSERT_TRUE(store_->Record(batch).ok());
  }
  auto lease = store_->pool().Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  ASSERT_TRUE((*lease)->Exec("ANALYZE observations").ok());

  ObservationFilter series;
  series.indicator_keys = {"ind3"};
  series.region_keys = {"region7"};
  ObservationFilter region;
  region.region_keys = {"region7"};
  region.start_from = 201501;
  ObservationFilter document;
  document.document_id = "doc-3-2012-1";
  ObservationFilter vintages;
  vintages.all_vintages = true;
  const PageCursor cursor{201601, 201612, 1000};
  struct Case {
    const char* name;
    ObservationFilter filter;
    std::optional<PageCursor> after;
    int limit;
    bool sorted_by_index;  // must be read in order, without a sort
  };
  for (const Case& c : {Case{"series", series, std::nullopt, 0, false}, Case{"series page", series, cursor, 20, false},
                        Case{"region page", region, std::nullopt, 50, false},
                        Case{"document", document, std::nullopt, 0, false},
                        Case{"whole table page", ObservationFilter(), cursor, 100, true},
                        Case{"all vintages page", vintages, cursor, 100, true}}) {
    auto plan = store_->ExplainQuery(c.filter, c.after, c.limit);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->find("Seq Scan"), std::string::npos) << c.name << ":\n" << *plan;
    EXPECT_NE(plan->find("Index"), std::string::npos) << c.name << ":\n" << *plan;
    if (c.sorted_by_index) EXPECT_EQ(plan->find("Sort"), std::string::npos) << c.name << ":\n" << *plan;
  }
}

// Two replicas (two stores, each with its own connection pool) on one database; 8 threads, 4 per replica,
// each record 50 batches of vintages of the same 6 cells, with as_of values that often tie. Every thread
// also delivers a batch shared with its twin on the other replica (same keys, same content). Afterwards
// every row is there once, every cell has exactly one latest vintage, and it is the right one: the greatest
// as_of, ties to the later recording.
TEST_F(IndicatorPostgresStoreTest, TwoReplicasRecordingTheSameCellsKeepOneRightLatestAndLoseNothing) {
  constexpr int kThreads = 8, kBatches = 50;
  const std::vector<std::string> kIndicators = {"gdp", "pm25", "fiscal"};
  const std::vector<std::string> kPeriods = {"2024", "2025"};
  std::unique_ptr<PostgresObservationStore> replica_b = OpenStore();
  ASSERT_NE(replica_b, nullptr);
  PostgresObservationStore* replicas[2] = {store_.get(), replica_b.get()};

  auto batch_of = [&](const std::string& prefix, int as_of) {
    std::vector<ObservationRecord> batch;
    for (const std::string& indicator : kIndicators) {
      for (const std::string& period : kPeriods) {
        batch.push_back(Vintage(Obs(absl::StrCat(prefix, "-", indicator, "-", period))
                                    .Indicator(indicator)
                                    .Period(period),
                                as_of));
      }
    }
    return batch;
  };
  std::vector<RecordOutcome> totals(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      PostgresObservationStore* store = replicas[t % 2];
      for (int b = 0; b < kBatches; ++b) {
        // Own vintages, then every 10th batch one shared with the twin thread (t ^ 1, the other replica).
        std::vector<std::vector<ObservationRecord>> batches = {batch_of(absl::StrCat("t", t, "-b", b), (t * 7 + b * 3) % 11)};
        if (b % 10 == 0) batches.push_back(batch_of(absl::StrCat("shared", t / 2, "-b", b), (t / 2 + b) % 11));
        for (const auto& batch : batches) {
          auto outcome = store->Record(batch);
          if (!outcome.ok()) {
            errors[t] = outcome.status().ToString();
            return;
          }
          totals[t].recorded += outcome->recorded;
          totals[t].unchanged += outcome->unchanged;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) ASSERT_EQ(errors[t], "") << "thread " << t;

  const int cells = static_cast<int>(kIndicators.size() * kPeriods.size());
  const int own = kThreads * kBatches * cells;
  const int shared = (kThreads / 2) * (kBatches / 10) * cells;
  int recorded = 0, unchanged = 0;
  for (const auto& total : totals) {
    recorded += total.recorded;
    unchanged += total.unchanged;
  }
  EXPECT_EQ(recorded, own + shared);
  EXPECT_EQ(unchanged, shared) << "each shared figure is recorded by one replica and unchanged for the other";

  std::vector<StoredObservation> history = History();
  ASSERT_EQ(static_cast<int>(history.size()), own + shared);
  std::set<std::string> keys;
  // Per cell: the expected latest (greatest as_of, then greatest id number) and what is marked latest.
  std::map<std::tuple<std::string, std::string>, std::tuple<int64_t, int64_t, std::string>> best;
  std::map<std::tuple<std::string, std::string>, std::vector<std::string>> marked;
  for (const StoredObservation& row : history) {
    const v1::Observation& o = row.observation;
    EXPECT_TRUE(keys.insert(o.source_key()).second) << "stored twice: " << o.source_key();
    const auto cell = std::make_tuple(o.indicator_id(), o.period());
    const int64_t as_of = o.recorded_at().seconds() * 1000000 + o.recorded_at().nanos() / 1000 - kRecordedBase;
    const int64_t seq = std::stoll(o.id().substr(4));
    auto candidate = std::make_tuple(as_of, seq, o.source_key());
    auto [it, added] = best.emplace(cell, candidate);
    if (!added) it->second = std::max(it->second, candidate);
    if (row.latest) marked[cell].push_back(o.source_key());
  }
  ASSERT_EQ(static_cast<int>(best.size()), cells);
  for (const auto& [cell, want] : best) {
    EXPECT_EQ(marked[cell], std::vector<std::string>{std::get<2>(want)})
        << std::get<0>(cell) << " " << std::get<1>(cell);
  }
  EXPECT_EQ(static_cast<int>(All().size()), cells);
}

// The same new source key with different content sent to two replicas at once, in different regions (so
// under different cell locks): one replica stores it, the other answers ALREADY_EXISTS naming the item, as
// if the two had come one after the other, never a raw database error.
TEST_F(IndicatorPostgresStoreTest, SameNewSourceKeyOnTwoReplicasAtOnceIsOneRecordAndOneConflict) {
  std::unique_ptr<PostgresObservationStore> replica_b = OpenStore();
  ASSERT_NE(replica_b, nullptr);
  PostgresObservationStore* replicas[2] = {store_.get(), replica_b.get()};
  for (int round = 0; round < 20; ++round) {
    const std::string key = absl::StrCat("race-", round);
    absl::Barrier* start = new absl::Barrier(2);
    absl::StatusOr<RecordOutcome> outcomes[2];
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&, r] {
        std::vector<ObservationRecord> batch = {
            Vintage(Obs(key).Value(absl::StrCat(100 + r), "亿元"), 1, absl::StrCat("region-", r))};
        if (start->Block()) delete start;
        outcomes[r] = replicas[r]->Record(batch);
      });
    }
    for (auto& th : threads) th.join();
    int recorded = 0, conflicts = 0;
    for (const auto& outcome : outcomes) {
      if (outcome.ok()) {
        recorded += outcome->recorded;
        continue;
      }
      ++conflicts;
      EXPECT_EQ(outcome.status().code(), absl::StatusCode::kAlreadyExists) << outcome.status();
      EXPECT_NE(outcome.status().message().find("observation 0: source key \"" + key + "\""), std::string::npos)
          << outcome.status();
    }
    EXPECT_EQ(recorded, 1) << "round " << round;
    EXPECT_EQ(conflicts, 1) << "round " << round;
  }
  EXPECT_EQ(History().size(), 20u);
}

}  // namespace
}  // namespace luoshi::indicators
