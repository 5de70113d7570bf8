// The service logic on a real SQLite file and the shipped catalog, without any network.
#include "services/indicators/service.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/decimal.h"
#include "services/common/test_tokens.h"
#include "services/indicators/csv.h"
#include "services/indicators/test_util.h"

namespace luoshi::indicators {
namespace {

using ::testing::HasSubstr;
using testing_util::Into;
using testing_util::Obs;
using testing_util::ServiceFixture;

class IndicatorLogicTest : public ServiceFixture {
 protected:
  v1::QueryObservationsResponse Query(v1::QueryObservationsRequest req) {
    v1::QueryObservationsResponse resp;
    absl::Status s = Into(service_->QueryObservations(Identity{}, req), &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp;
  }
  std::vector<std::string> Keys(const v1::QueryObservationsResponse& r) {
    std::vector<std::string> keys;
    for (const auto& o : r.observations()) keys.push_back(o.source_key());
    return keys;
  }
  v1::Series Series(const std::string& indicator, const std::string& region, bool history = false) {
    v1::GetSeriesRequest req;
    req.set_indicator_id(indicator);
    req.set_region(region);
    req.set_include_history(history);
    v1::Series series;
    absl::Status s = Into(service_->GetSeries(Identity{}, req), &series);
    EXPECT_TRUE(s.ok()) << s;
    return series;
  }
  v1::CompareTargetsResponse Compare(const std::string& region, int year) {
    v1::CompareTargetsRequest req;
    req.set_region(region);
    req.set_year(year);
    v1::CompareTargetsResponse resp;
    absl::Status s = Into(service_->CompareTargets(Identity{}, req), &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp;
  }
  // Expects the batch to be refused naming `index`, with `reason` in the message, and nothing stored.
  void ExpectRefused(std::initializer_list<v1::Observation> batch, int index, const std::string& reason) {
    absl::StatusOr<v1::RecordObservationsResponse> r = Record(batch);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("observation " + std::to_string(index)));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(reason));
    v1::QueryObservationsRequest all;
    all.set_all_vintages(true);
    EXPECT_EQ(Query(all).observations_size(), 0) << "a refused batch must store nothing";
  }
};

// ---- Catalog ----

TEST_F(IndicatorLogicTest, GetIndicatorByIdNameOrAlias) {
  for (const char* name : {"gdp", "地区生产总值", "GDP", "经济总量"}) {
    v1::Indicator i;
    v1::GetIndicatorRequest r;
    r.set_id(name);
    ASSERT_TRUE(Into(service_->GetIndicator(Identity{}, r), &i).ok());
    EXPECT_EQ(i.id(), "gdp") << name;
  }
  v1::GetIndicatorRequest unknown;
  unknown.set_id("幸福指数");
  v1::Indicator i;
  absl::Status s = Into(service_->GetIndicator(Identity{}, unknown), &i);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("幸福指数"));
}

TEST_F(IndicatorLogicTest, ListIndicatorsFiltersByCategoryAndQuery) {
  v1::ListIndicatorsRequest req;
  req.set_category("生态环境");
  v1::ListIndicatorsResponse resp;
  ASSERT_TRUE(Into(service_->ListIndicators(Identity{}, req), &resp).ok());
  ASSERT_GT(resp.indicators_size(), 0);
  for (const auto& i : resp.indicators()) EXPECT_EQ(i.category(), "生态环境");
  req.Clear();
  req.set_query("pm2.5");
  resp.Clear();
  ASSERT_TRUE(Into(service_->ListIndicators(Identity{}, req), &resp).ok());
  ASSERT_EQ(resp.indicators_size(), 1);
  EXPECT_EQ(resp.indicators(0).id(), "pm25");
}

TEST_F(IndicatorLogicTest, ListRegionsReturnsTheHierarchy) {
  v1::ListRegionsResponse resp;
  ASSERT_TRUE(Into(service_->ListRegions(Identity{}, {}), &resp).ok());
  ASSERT_GE(resp.regions_size(), 3);
}

// ---- Recording: normalization, idempotency, validation ----

TEST_F(IndicatorLogicTest, RecordNormalizesNamesAndPeriods) {
  ASSERT_TRUE(
      Record({Obs("k1").Indicator("").Surface("规上工业总产值").Region("亦庄").Period("2020M01-M06")}).ok());
  v1::QueryObservationsResponse r = Query({});
  ASSERT_EQ(r.observations_size(), 1);
  EXPECT_EQ(r.observations(0).indicator_id(), "industrial_output_above_scale");
  EXPECT_EQ(r.observations(0).surface_name(), "规上工业总产值");
  EXPECT_EQ(r.observations(0).region(), "beijing.bda");
  EXPECT_EQ(r.observations(0).period(), "2020H1");
  EXPECT_EQ(r.observations(0).recorded_at().seconds(), 1767225600);
}

TEST_F(IndicatorLogicTest, UnknownRegionsAndIndicatorsAreKeptAsWritten) {
  ASSERT_TRUE(Record({Obs("k1").Indicator("").Surface("信软收入").Region("魏善庄镇")}).ok());
  v1::QueryObservationsRequest req;
  req.set_region("魏善庄镇");
  req.add_indicator_ids("信软收入");
  v1::QueryObservationsResponse r = Query(req);
  ASSERT_EQ(r.observations_size(), 1);
  EXPECT_EQ(r.observations(0).indicator_id(), "");
  EXPECT_EQ(r.observations(0).region(), "魏善庄镇");
}

TEST_F(IndicatorLogicTest, RedeliveredBatchChangesNothing) {
  auto first = Record({Obs("doc1#0"), Obs("doc1#1").Growth("5.2")});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->recorded(), 2);
  EXPECT_EQ(first->unchanged(), 0);
  clock_.Advance(absl::Hours(1));
  auto second = Record({Obs("doc1#0"), Obs("doc1#1").Growth("5.2")});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->recorded(), 0);
  EXPECT_EQ(second->unchanged(), 2);
  v1::QueryObservationsRequest all;
  all.set_all_vintages(true);
  v1::QueryObservationsResponse r = Query(all);
  ASSERT_EQ(r.observations_size(), 2);
  EXPECT_EQ(r.observations(0).recorded_at().seconds(), 1767225600) << "the first recording stays";
}

TEST_F(IndicatorLogicTest, RepeatedKeyInsideOneBatch) {
  auto same = Record({Obs("dup"), Obs("dup")});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->recorded(), 1);
  EXPECT_EQ(same->unchanged(), 1);
  auto different = Record({Obs("x").Period("2020"), Obs("x").Period("2021")});
  EXPECT_EQ(different.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(different.status().message()), HasSubstr("observation 1"));
  v1::QueryObservationsRequest all;
  all.set_all_vintages(true);
  EXPECT_EQ(Keys(Query(all)), std::vector<std::string>{"dup"});
}

TEST_F(IndicatorLogicTest, SeriesOfTargetsOnRequest) {
  ASSERT_TRUE(Record({Obs("actual").Growth("5.2"), Obs("target").Target().Growth("5")}).ok());
  v1::GetSeriesRequest req;
  req.set_indicator_id("gdp");
  req.set_region("大兴区");
  req.set_status(v1::OBSERVATION_STATUS_TARGET);
  v1::Series s;
  ASSERT_TRUE(Into(service_->GetSeries(Identity{}, req), &s).ok());
  ASSERT_EQ(s.points_size(), 1);
  EXPECT_EQ(s.points(0).observation().source_key(), "target");
  EXPECT_EQ(Series("gdp", "大兴区").points(0).observation().source_key(), "actual") << "actuals by default";
}

TEST_F(IndicatorLogicTest, SameKeyWithDifferentFigureIsAConflict) {
  ASSERT_TRUE(Record({Obs("doc1#0")}).ok());
  auto r = Record({Obs("doc1#0").Value("1400", "亿元")});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("new source key"));
}

TEST_F(IndicatorLogicTest, RefusesMissingSourceKey) {
  ExpectRefused({Obs("ok"), Obs("")}, 1, "source_key is empty");
}

TEST_F(IndicatorLogicTest, RefusesUnknownPeriodSyntax) {
  ExpectRefused({Obs("a"), Obs("b"), Obs("c").Period("2024H3")}, 2, "period \"2024H3\" is not a period code");
}

TEST_F(IndicatorLogicTest, RefusesEmptyValueWithoutQualitativeText) {
  ExpectRefused({Obs("a").NoValue()}, 0, "neither a value nor qualitative text");
}

TEST_F(IndicatorLogicTest, AcceptsQualitativeFigureWithoutValue) {
  EXPECT_TRUE(
      Record({Obs("a").Target().NoValue().Measure(v1::MEASURE_QUALITATIVE).Text("达到市级要求")}).ok());
}

TEST_F(IndicatorLogicTest, RefusesUnitIncompatibleWithMeasure) {
  ExpectRefused({Obs("a"), Obs("b").Growth("5").Value("5", "亿元")}, 1, "unit \"亿元\" does not fit");
  ExpectRefused({Obs("a").Measure(v1::MEASURE_PERCENTAGE_POINTS).Value("3.4", "%")}, 0, "个百分点");
}

TEST_F(IndicatorLogicTest, AcceptsWhatTheExtractorWritesForMultiplesRatesAndFalls) {
  // 翻一番 (a multiple with direction up), a rate in ‰, a fall range sent with a negative lower end.
  EXPECT_TRUE(
      Record({Obs("a").Measure(v1::MEASURE_MULTIPLE).Value("2", "倍").Direction(v1::CHANGE_DIRECTION_UP),
              Obs("b").Growth("3.1").Value("3.1", "‰"),
              Obs("c").Fall("-3").Upper("5").Bound(v1::BOUND_RANGE)})
          .ok());
}

TEST_F(IndicatorLogicTest, RefusesUnknownIndicatorId) {
  ExpectRefused({Obs("a").Indicator("happiness")}, 0, "indicator_id \"happiness\" is not in the catalog");
}

TEST_F(IndicatorLogicTest, RefusesMissingIndicatorRegionStatusMeasure) {
  ExpectRefused({Obs("a").Indicator("")}, 0, "neither indicator_id nor surface_name");
  ExpectRefused({Obs("a").Region("")}, 0, "region is empty");
  ExpectRefused({Obs("a").Status(v1::OBSERVATION_STATUS_UNSPECIFIED)}, 0, "status is unspecified");
  ExpectRefused({Obs("a").Measure(v1::MEASURE_UNSPECIFIED)}, 0, "measure is unspecified");
}

TEST_F(IndicatorLogicTest, RefusesMalformedRanges) {
  ExpectRefused({Obs("a").Bound(v1::BOUND_RANGE)}, 0, "needs both value and upper_value");
  ExpectRefused({Obs("a").Value("5", "个").Upper("3").Bound(v1::BOUND_RANGE)}, 0,
                "upper_value is below value");
  ExpectRefused({Obs("a").Upper("3")}, 0, "only meaningful with bound BOUND_RANGE");
}

// ---- Vintages and series ----

TEST_F(IndicatorLogicTest, LatestVintageByDefaultAndHistoryOnRequest) {
  // 2024 GDP: a half-year report's forecast-like estimate, the annual report, then a later revision.
  ASSERT_TRUE(Record({Obs("annual").Value("1334.8", "亿元").AsOfDay(40).Document("doc-annual")}).ok());
  ASSERT_TRUE(Record({Obs("early").Value("1320", "亿元").AsOfDay(10).Document("doc-early")}).ok());
  ASSERT_TRUE(Record({Obs("revised").Value("1336.2", "亿元").AsOfDay(200).Document("doc-revised")}).ok());

  v1::QueryObservationsResponse latest = Query({});
  ASSERT_EQ(latest.observations_size(), 1);
  EXPECT_EQ(latest.observations(0).source_key(), "revised");

  v1::Series s = Series("gdp", "大兴区", /*history=*/true);
  ASSERT_EQ(s.points_size(), 1);
  EXPECT_EQ(s.points(0).observation().provenance().document_id(), "doc-revised");
  ASSERT_EQ(s.points(0).history_size(), 2);
  EXPECT_EQ(s.points(0).history(0).provenance().document_id(), "doc-annual");
  EXPECT_EQ(s.points(0).history(1).provenance().document_id(), "doc-early");

  EXPECT_EQ(Series("gdp", "大兴区", /*history=*/false).points(0).history_size(), 0);
}

TEST_F(IndicatorLogicTest, SeriesAlignsEquivalentPeriodsAndKeepsSpansApart) {
  ASSERT_TRUE(
      Record({Obs("h1-2020").Period("2020H1").Growth("3.2").Direction(v1::CHANGE_DIRECTION_DOWN).AsOfDay(1),
              Obs("cum-2020").Period("2020M01-M06").Fall("3.0").AsOfDay(5),
              Obs("y-2020").Period("2020").Growth("1.1"), Obs("y-2024").Period("2024").Growth("5.2"),
              Obs("q1-2020").Period("2020Q1").Fall("6.6")})
          .ok());
  v1::Series s = Series("地区生产总值", "大兴", /*history=*/true);
  EXPECT_EQ(s.indicator().id(), "gdp");
  EXPECT_EQ(s.region().name(), "大兴区");
  std::vector<std::string> periods;
  for (const auto& p : s.points()) periods.push_back(p.period());
  EXPECT_EQ(periods, (std::vector<std::string>{"2020Q1", "2020H1", "2020", "2024"}));
  // 2020H1 and 2020M01-M06 are one point with two vintages; the later document wins.
  EXPECT_EQ(s.points(1).observation().source_key(), "cum-2020");
  ASSERT_EQ(s.points(1).history_size(), 1);
  EXPECT_EQ(s.points(1).history(0).source_key(), "h1-2020");
}

TEST_F(IndicatorLogicTest, SeriesKeepsMeasuresAsSeparateLines) {
  ASSERT_TRUE(Record({Obs("level"), Obs("growth").Growth("5.2")}).ok());
  v1::Series all = Series("gdp", "大兴区");
  EXPECT_EQ(all.points_size(), 2);
  v1::GetSeriesRequest req;
  req.set_indicator_id("gdp");
  req.set_region("大兴区");
  req.set_measure(v1::MEASURE_GROWTH_RATE);
  v1::Series growth;
  ASSERT_TRUE(Into(service_->GetSeries(Identity{}, req), &growth).ok());
  ASSERT_EQ(growth.points_size(), 1);
  EXPECT_EQ(growth.points(0).observation().source_key(), "growth");
}

TEST_F(IndicatorLogicTest, SeriesOfUnknownIndicatorIsNotFound) {
  v1::GetSeriesRequest req;
  req.set_indicator_id("幸福指数");
  req.set_region("大兴区");
  v1::Series s;
  EXPECT_EQ(Into(service_->GetSeries(Identity{}, req), &s).code(), absl::StatusCode::kNotFound);
  req.set_indicator_id("");
  EXPECT_EQ(Into(service_->GetSeries(Identity{}, req), &s).code(), absl::StatusCode::kInvalidArgument);
}

// ---- Queries and paging ----

TEST_F(IndicatorLogicTest, RegionFilterCanIncludeChildren) {
  ASSERT_TRUE(
      Record({Obs("city").Region("北京市"), Obs("daxing").Region("大兴区"), Obs("bda").Region("亦庄")}).ok());
  v1::QueryObservationsRequest req;
  req.set_region("北京");
  EXPECT_EQ(Keys(Query(req)), std::vector<std::string>{"city"});
  req.set_include_child_regions(true);
  std::vector<std::string> keys = Keys(Query(req));
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"bda", "city", "daxing"}));
}

TEST_F(IndicatorLogicTest, PeriodRangeFiltersOnTheStartOfEachPeriod) {
  ASSERT_TRUE(Record({Obs("2019").Period("2019"), Obs("2020H2").Period("2020H2"),
                      Obs("2021Q1").Period("2021Q1"), Obs("2022").Period("2022")})
                  .ok());
  v1::QueryObservationsRequest req;
  req.set_period_from("2020H1");
  req.set_period_to("2021");
  EXPECT_EQ(Keys(Query(req)), (std::vector<std::string>{"2020H2", "2021Q1"}));
  req.set_period_to("2021H3");
  v1::QueryObservationsResponse resp;
  absl::Status s = Into(service_->QueryObservations(Identity{}, req), &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("period_to"));
}

TEST_F(IndicatorLogicTest, FiltersByStatusMeasureAndDocument) {
  ASSERT_TRUE(Record({Obs("actual"), Obs("target").Target().Growth("5"),
                      Obs("other-doc").Period("2023").Document("d9")})
                  .ok());
  v1::QueryObservationsRequest req;
  req.set_status(v1::OBSERVATION_STATUS_TARGET);
  EXPECT_EQ(Keys(Query(req)), std::vector<std::string>{"target"});
  req.Clear();
  req.set_measure(v1::MEASURE_LEVEL);
  EXPECT_EQ(Keys(Query(req)), (std::vector<std::string>{"other-doc", "actual"}));
  req.Clear();
  req.set_document_id("d9");
  EXPECT_EQ(Keys(Query(req)), std::vector<std::string>{"other-doc"});
}

TEST_F(IndicatorLogicTest, PagingVisitsEveryRowOnceInPeriodOrder) {
  v1::RecordObservationsRequest batch;
  for (int i = 0; i < 23; ++i) {
    *batch.add_observations() = Obs("k" + std::to_string(i)).Period(std::to_string(2000 + (i * 7) % 23));
  }
  v1::RecordObservationsResponse ignored;
  ASSERT_TRUE(Into(service_->RecordObservations(AdminIdentity(), batch), &ignored).ok());
  v1::QueryObservationsRequest req;
  req.mutable_page()->set_page_size(5);
  std::vector<std::string> periods;
  int pages = 0;
  do {
    v1::QueryObservationsResponse resp = Query(req);
    EXPECT_LE(resp.observations_size(), 5);
    for (const auto& o : resp.observations()) periods.push_back(o.period());
    req.mutable_page()->set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page().page_token().empty() && pages < 100);
  EXPECT_EQ(pages, 5);
  ASSERT_EQ(periods.size(), 23u);
  EXPECT_TRUE(std::is_sorted(periods.begin(), periods.end()));
  EXPECT_EQ(std::set<std::string>(periods.begin(), periods.end()).size(), 23u);
}

TEST_F(IndicatorLogicTest, PageTokenOfAnotherQueryIsRefused) {
  ASSERT_TRUE(Record({Obs("a").Period("2020"), Obs("b").Period("2021")}).ok());
  v1::QueryObservationsRequest req;
  req.mutable_page()->set_page_size(1);
  v1::QueryObservationsResponse first = Query(req);
  ASSERT_FALSE(first.next_page_token().empty());
  req.set_region("亦庄");
  req.mutable_page()->set_page_token(first.next_page_token());
  v1::QueryObservationsResponse resp;
  absl::Status s = Into(service_->QueryObservations(Identity{}, req), &resp);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("without page_token"));
  req.mutable_page()->set_page_token("not-a-token!");
  EXPECT_EQ(Into(service_->QueryObservations(Identity{}, req), &resp).code(), absl::StatusCode::kInvalidArgument);
  req.mutable_page()->set_page_size(-1);
  EXPECT_EQ(Into(service_->QueryObservations(Identity{}, req), &resp).code(), absl::StatusCode::kInvalidArgument);
}

// ---- Targets ----

TEST_F(IndicatorLogicTest, CompareTargetsPairsEachTargetWithItsActual) {
  // Seed 004's 2023 targets and figures a later report gives for 2023.
  ASSERT_TRUE(
      Record({Obs("t-gdp").Target().Period("2023").Growth("4.5").Bound(v1::BOUND_AT_LEAST).Base("比上年"),
              Obs("t-rev").Target().Period("2023").Indicator("general_budget_revenue").Value("104", "亿元"),
              Obs("t-pm").Target().Period("2023").Indicator("pm25").Value("30", "微克/立方米"),
              Obs("t-forest")
                  .Target()
                  .Period("2023")
                  .Indicator("forest_coverage")
                  .NoValue()
                  .Measure(v1::MEASURE_QUALITATIVE)
                  .Text("达到市级要求"),
              Obs("t-other-year").Target().Period("2024").Growth("5")})
          .ok());
  ASSERT_TRUE(
      Record({Obs("a-gdp").Period("2023").Growth("5.2").Base("同比"),
              Obs("a-rev").Period("2023").Indicator("general_budget_revenue").Value("1025000", "万元"),
              Obs("a-pm-forecast")
                  .Period("2023")
                  .Indicator("pm25")
                  .Value("29", "微克/立方米")
                  .Status(v1::OBSERVATION_STATUS_FORECAST)})
          .ok());
  v1::CompareTargetsResponse r = Compare("大兴区", 2023);
  ASSERT_EQ(r.comparisons_size(), 4);
  std::map<std::string, v1::TargetComparison> by_key;
  for (const auto& c : r.comparisons()) by_key[c.target().source_key()] = c;
  EXPECT_EQ(by_key["t-gdp"].verdict(), v1::VERDICT_MET);
  EXPECT_EQ(by_key["t-gdp"].explanation(), "target ≥4.5%, actual 5.2%: met by 0.7 pp");
  EXPECT_EQ(by_key["t-gdp"].actual().source_key(), "a-gdp");
  EXPECT_EQ(by_key["t-rev"].verdict(), v1::VERDICT_NOT_MET);
  EXPECT_EQ(FormatDecimal(by_key["t-rev"].margin().value()), "-1.5");
  EXPECT_EQ(by_key["t-pm"].verdict(), v1::VERDICT_PENDING) << "a forecast never judges a target";
  EXPECT_EQ(by_key["t-forest"].verdict(), v1::VERDICT_NOT_MEASURABLE);
  // Catalog order: GDP first.
  EXPECT_EQ(r.comparisons(0).target().source_key(), "t-gdp");
}

TEST_F(IndicatorLogicTest, CompareTargetsUsesTheLatestActual) {
  ASSERT_TRUE(Record({Obs("t").Target().Period("2023").Growth("4.5").Bound(v1::BOUND_AT_LEAST)}).ok());
  ASSERT_TRUE(Record({Obs("h1").Period("2023").Growth("4.0").AsOfDay(1)}).ok());
  EXPECT_EQ(Compare("大兴区", 2023).comparisons(0).verdict(), v1::VERDICT_NOT_MET);
  ASSERT_TRUE(Record({Obs("annual").Period("2023").Growth("4.6").AsOfDay(90)}).ok());
  EXPECT_EQ(Compare("大兴区", 2023).comparisons(0).verdict(), v1::VERDICT_MET);
}

TEST_F(IndicatorLogicTest, CompareTargetsValidatesItsRequest) {
  v1::CompareTargetsRequest req;
  v1::CompareTargetsResponse resp;
  req.set_year(2023);
  EXPECT_EQ(Into(service_->CompareTargets(Identity{}, req), &resp).code(), absl::StatusCode::kInvalidArgument);
  req.set_region("大兴区");
  req.set_year(0);
  EXPECT_EQ(Into(service_->CompareTargets(Identity{}, req), &resp).code(), absl::StatusCode::kInvalidArgument);
  req.set_year(2023);
  req.set_region("火星");
  EXPECT_EQ(Into(service_->CompareTargets(Identity{}, req), &resp).code(), absl::StatusCode::kNotFound);
}

// ---- Export ----

TEST_F(IndicatorLogicTest, ExportWritesCsvWithBomHeaderAndSourceSentence) {
  ASSERT_TRUE(
      Record({Obs("k1").Period("2023"), Obs("k2").Growth("5.2").Sentence("同比增长5.2%,\"稳中向好\"")}).ok());
  std::vector<std::string> chunks;
  v1::ExportObservationsRequest req;
  ASSERT_TRUE(service_
                  ->ExportObservations(Identity{}, req,
                                       [&](const std::string& c) {
                                         chunks.push_back(c);
                                         return true;
                                       })
                  .ok());
  std::string csv;
  for (const auto& c : chunks) csv += c;
  ASSERT_EQ(csv.rfind(kUtf8Bom, 0), 0u) << "must start with the UTF-8 BOM";
  std::vector<std::string> lines;
  size_t start = 3;
  for (size_t end; (end = csv.find("\r\n", start)) != std::string::npos; start = end + 2) {
    lines.push_back(csv.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], HasSubstr("indicator_id,indicator_name"));
  EXPECT_THAT(lines[1], HasSubstr("地区生产总值"));
  EXPECT_THAT(lines[1], HasSubstr("\"地区生产总值总量完成1334.8亿元,同比增长5.2%\""));
  EXPECT_THAT(lines[1], HasSubstr(",2023,"));
  EXPECT_THAT(lines[2], HasSubstr("\"同比增长5.2%,\"\"稳中向好\"\"\""));
  EXPECT_THAT(lines[2], HasSubstr("大兴区"));
}

TEST_F(IndicatorLogicTest, ExportStreamsInChunksAndStopsWhenTheClientLeaves) {
  v1::RecordObservationsRequest batch;
  for (int i = 0; i < 300; ++i)
    *batch.add_observations() = Obs("k" + std::to_string(i)).Period(std::to_string(1900 + i));
  v1::RecordObservationsResponse ignored;
  ASSERT_TRUE(Into(service_->RecordObservations(AdminIdentity(), batch), &ignored).ok());
  int chunks = 0;
  size_t rows = 0;
  ASSERT_TRUE(service_
                  ->ExportObservations(Identity{},
                      {},
                      [&](const std::string& c) {
                        ++chunks;
                        for (size_t p = 0; (p = c.find("\r\n", p)) != std::string::npos; p += 2) ++rows;
                        return true;
                      },
                      4096)
                  .ok());
  EXPECT_GT(chunks, 5);
  EXPECT_EQ(rows, 301u);
  int calls = 0;
  absl::Status s = service_->ExportObservations(
      Identity{}, {}, [&](const std::string&) { return ++calls < 2; }, 4096);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 2);
}

TEST(ComparisonBaseTest, YearOnYearWordingsAreOneBase) {
  for (const char* b : {"", "同比", "比上年", "上年同期", "较上年", "比去年同期"})
    EXPECT_EQ(NormalizeComparisonBase(b), "") << b;
  EXPECT_EQ(NormalizeComparisonBase("较一季度"), "一季度");
  EXPECT_EQ(NormalizeComparisonBase("比2020年"), "2020年");
}

}  // namespace
}  // namespace luoshi::indicators
