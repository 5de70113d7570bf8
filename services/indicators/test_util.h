// Helpers shared by the indicator tests: observation builders and a service on a temporary database.
#ifndef LUOSHI_SERVICES_INDICATORS_TEST_UTIL_H_
#define LUOSHI_SERVICES_INDICATORS_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "luoshi/v1/indicators.pb.h"
#include "services/common/catalog.h"
#include "services/common/clock.h"
#include "services/common/decimal.h"
#include "services/common/test_tokens.h"
#include "services/indicators/service.h"
#include "services/indicators/sqlite_store.h"

namespace luoshi::indicators::testing_util {

// A service answer as (status, value): stores the value in `*out` when there is one, returns the status.
template <typename T>
absl::Status Into(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return result.status();
  *out = *std::move(result);
  return absl::OkStatus();
}

inline v1::Decimal Dec(const std::string& text) { return *ParseDecimal(text); }

inline v1::Quantity Qty(const std::string& value, const std::string& unit) {
  v1::Quantity q;
  *q.mutable_value() = Dec(value);
  q.set_unit(unit);
  return q;
}

// A builder for observations with sensible defaults (an actual GDP level of 大兴区 in 2024).
class Obs {
 public:
  explicit Obs(std::string key) {
    o_.set_source_key(std::move(key));
    o_.set_indicator_id("gdp");
    o_.set_region("大兴区");
    o_.set_period("2024");
    o_.set_measure(v1::MEASURE_LEVEL);
    o_.set_status(v1::OBSERVATION_STATUS_ACTUAL);
    *o_.mutable_value() = Qty("1334.8", "亿元");
    o_.mutable_provenance()->set_document_id("doc-1");
    o_.mutable_provenance()->set_sentence("地区生产总值总量完成1334.8亿元,同比增长5.2%");
  }
  Obs& Indicator(const std::string& id) {
    o_.set_indicator_id(id);
    return *this;
  }
  Obs& Surface(const std::string& name) {
    o_.set_surface_name(name);
    return *this;
  }
  Obs& Region(const std::string& r) {
    o_.set_region(r);
    return *this;
  }
  Obs& Period(const std::string& p) {
    o_.set_period(p);
    return *this;
  }
  Obs& Measure(v1::Measure m) {
    o_.set_measure(m);
    return *this;
  }
  Obs& Status(v1::ObservationStatus s) {
    o_.set_status(s);
    return *this;
  }
  Obs& Target() { return Status(v1::OBSERVATION_STATUS_TARGET); }
  Obs& Value(const std::string& v, const std::string& unit) {
    *o_.mutable_value() = Qty(v, unit);
    return *this;
  }
  Obs& NoValue() {
    o_.clear_value();
    return *this;
  }
  Obs& Upper(const std::string& v) {
    *o_.mutable_upper_value() = Dec(v);
    return *this;
  }
  Obs& Growth(const std::string& v) {
    Measure(v1::MEASURE_GROWTH_RATE);
    Direction(v1::CHANGE_DIRECTION_UP);
    return Value(v, "%");
  }
  Obs& Fall(const std::string& v) {
    Measure(v1::MEASURE_GROWTH_RATE);
    Direction(v1::CHANGE_DIRECTION_DOWN);
    return Value(v, "%");
  }
  Obs& Bound(v1::Bound b) {
    o_.set_bound(b);
    return *this;
  }
  Obs& Direction(v1::ChangeDirection d) {
    o_.set_change_direction(d);
    return *this;
  }
  Obs& Base(const std::string& b) {
    o_.set_comparison_base(b);
    return *this;
  }
  Obs& Text(const std::string& t) {
    o_.set_qualitative_text(t);
    return *this;
  }
  Obs& Document(const std::string& d) {
    o_.mutable_provenance()->set_document_id(d);
    return *this;
  }
  Obs& Sentence(const std::string& s) {
    o_.mutable_provenance()->set_sentence(s);
    return *this;
  }
  Obs& AsOfDay(int day_of_2025) {
    o_.mutable_as_of()->set_seconds(1735689600 + static_cast<int64_t>(day_of_2025) * 86400);
    return *this;
  }
  operator v1::Observation() const { return o_; }  // NOLINT: builder
  const v1::Observation& get() const { return o_; }

 private:
  v1::Observation o_;
};

// An observation as the service hands it to a store: region set to `region_key` (as if resolved from the
// catalog), period and comparison base normalized, the indicator's key taken from its id.
inline ObservationRecord StoreRecord(const v1::Observation& o, int64_t as_of_micros,
                                     const std::string& region_key, int64_t recorded_at_micros) {
  ObservationRecord r;
  r.observation = o;
  r.observation.set_region(region_key);
  r.indicator_key = o.indicator_id();
  r.region_key = region_key;
  r.period = *ParsePeriod(o.period());
  r.observation.set_period(FormatPeriod(r.period));
  r.base_key = NormalizeComparisonBase(o.comparison_base());
  r.as_of_micros = as_of_micros;
  r.recorded_at_micros = recorded_at_micros;
  return r;
}

inline std::string CatalogFile() {
  const char* dir = std::getenv("LUOSHI_SOURCE_DIR");
  return dir ? std::string(dir) + "/data/catalog.json" : DefaultCatalogPath();
}

inline std::string FreshDbPath(const std::string& name) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string path = ::testing::TempDir() + "/luoshi_ind_" + info->test_suite_name() + "_" + info->name() +
                     "_" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return path;
}

// A real service on a fresh SQLite file with the shipped catalog and a fake clock.
class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<v1::Catalog> catalog = LoadCatalog(CatalogFile());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::make_unique<CatalogIndex>(*catalog);
    auto store = SqliteObservationStore::Open(FreshDbPath("svc"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    service_ = std::make_unique<IndicatorLogic>(catalog_.get(), store_.get(), &clock_);
  }

  absl::StatusOr<v1::RecordObservationsResponse> Record(std::initializer_list<v1::Observation> items) {
    v1::RecordObservationsRequest req;
    for (const auto& o : items) *req.add_observations() = o;
    return service_->RecordObservations(AdminIdentity(), req);
  }

  FakeClock clock_{absl::FromUnixSeconds(1767225600)};  // 2026-01-01
  std::unique_ptr<CatalogIndex> catalog_;
  std::unique_ptr<SqliteObservationStore> store_;
  std::unique_ptr<IndicatorLogic> service_;
};

}  // namespace luoshi::indicators::testing_util

#endif  // LUOSHI_SERVICES_INDICATORS_TEST_UTIL_H_
