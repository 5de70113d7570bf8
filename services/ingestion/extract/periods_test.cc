// Periods and statuses of figures (issue 20, kind 5): the layers document → section heading →
// paragraph opening → sentence, relative years, and 全年 in a report on part of a year.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extract/time_phrases.h"

namespace luoshi::extract {
namespace {

using indicators_internal::Overlay;
using indicators_internal::PeriodCode;
using indicators_internal::ResolveYear;
using indicators_internal::TimeInfo;
using indicators_internal::TimePhrase;

TimeInfo Phrase(const std::u32string& s, int* length = nullptr) {
  TimeInfo t;
  int n = TimePhrase(s, 0, &t);
  if (length) *length = n;
  return t;
}

TimeInfo Layer(int year, const std::string& suffix = "", bool has_period = false, bool annual = false) {
  TimeInfo t;
  t.year = year;
  t.suffix = suffix;
  t.has_period = has_period;
  t.annual = annual;
  return t;
}

TEST(TimePhraseTest, RelativeYearsResolveAgainstTheDocument) {
  int n = 0;
  TimeInfo next = Phrase(U"明年工作安排", &n);
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(next.relative);
  ResolveYear(&next, 2023);
  EXPECT_EQ(next.year, 2024);
  TimeInfo now = Phrase(U"今年,全区");
  ResolveYear(&now, 2023);
  EXPECT_EQ(now.year, 2023);
  // 今年以来 is a span up to now, not a year.
  TimeInfo since = Phrase(U"今年以来,全区", &n);
  EXPECT_EQ(n, 4);
  EXPECT_FALSE(since.relative);
  ResolveYear(&since, 2023);
  EXPECT_EQ(since.year, 0);
  TimeInfo last = Phrase(U"去年全区");
  ResolveYear(&last, 2024);
  EXPECT_EQ(last.year, 2023);
  // 去年同期 is the comparison base of 同比, not a time of the figure.
  Phrase(U"去年同期", &n);
  EXPECT_EQ(n, 0);
  // Without the document's year a relative year stays unknown.
  TimeInfo unknown = Phrase(U"明年");
  ResolveYear(&unknown, 0);
  EXPECT_EQ(unknown.year, 0);
}

TEST(TimePhraseTest, PartsOfTheYear) {
  EXPECT_EQ(Phrase(U"1-9月,").suffix, "M01-M09");
  EXPECT_EQ(Phrase(U"1—11月,").suffix, "M01-M11");
  EXPECT_EQ(Phrase(U"前三季度,").suffix, "M01-M09");
  EXPECT_EQ(Phrase(U"一季度,").suffix, "Q1");
  EXPECT_EQ(Phrase(U"上半年,").suffix, "H1");
  TimeInfo whole = Phrase(U"全年");
  EXPECT_TRUE(whole.has_period);
  EXPECT_TRUE(whole.annual);
  EXPECT_EQ(whole.suffix, "");
}

TEST(OverlayTest, AnotherYearDropsThePartBelow) {
  TimeInfo half_year_report = Layer(2023, "H1");
  EXPECT_EQ(PeriodCode(Overlay(half_year_report, Layer(2024))), "2024");
  EXPECT_EQ(PeriodCode(Overlay(half_year_report, Layer(2023))), "2023H1");
  EXPECT_EQ(PeriodCode(Overlay(half_year_report, Layer(0, "M01-M05", true))), "2023M01-M05");
  EXPECT_EQ(PeriodCode(Overlay(half_year_report, Layer(0, "", true, true))), "2023");
  // A plan section of next year, then a paragraph opened by 一季度: the first quarter of next year.
  TimeInfo section = Overlay(Layer(2023), Layer(2024));
  EXPECT_EQ(PeriodCode(Overlay(section, Layer(0, "Q1", true))), "2024Q1");
  // A part then a year in one sentence: the year is the part's (2024年上半年 read as 上半年 of 2024).
  EXPECT_EQ(PeriodCode(Overlay(Layer(0, "H1", true), Layer(2024))), "2024H1");
  EXPECT_EQ(PeriodCode(Layer(0)), "");
}

const Extractor& TheExtractor() {
  static const Extractor* extractor = [] {
    auto catalog = LoadCatalog(DefaultCatalogPath());
    return new Extractor(catalog.ok() ? *catalog : v1::Catalog());
  }();
  return *extractor;
}

struct Got {
  std::string indicator;
  std::string period;
  v1::ObservationStatus status;
  std::string value;
};

std::vector<Got> Read(const std::string& doc) {
  auto e = TheExtractor().Extract(doc, {});
  EXPECT_TRUE(e.ok()) << e.status();
  std::vector<Got> out;
  if (!e.ok()) return out;
  for (const auto& o : e->observations()) {
    out.push_back({o.indicator_id(), o.period(), o.status(), o.value().value().ShortDebugString()});
  }
  return out;
}

// The one observation of an indicator in doc (fails when there is not exactly one).
Got Find(const std::vector<Got>& all, const std::string& indicator) {
  Got found{"", "", v1::OBSERVATION_STATUS_UNSPECIFIED, ""};
  int n = 0;
  for (const auto& g : all) {
    if (g.indicator == indicator) found = g, ++n;
  }
  EXPECT_EQ(n, 1) << indicator;
  return found;
}

constexpr auto kActual = v1::OBSERVATION_STATUS_ACTUAL;
constexpr auto kTarget = v1::OBSERVATION_STATUS_TARGET;
constexpr auto kForecast = v1::OBSERVATION_STATUS_FORECAST;

TEST(PeriodsTest, DocumentPeriodFromTheTitle) {
  auto period = [](const std::string& title) {
    auto e = TheExtractor().Extract(title + "\n一、经济运行情况\n全县地区生产总值增长5%。\n", {});
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->metadata().period() : std::string("?");
  };
  EXPECT_EQ(period("平川县2023年上半年国民经济和社会发展计划执行情况的报告"), "2023H1");
  EXPECT_EQ(period("平川县2023年1-9月国民经济和社会发展计划执行情况的报告"), "2023M01-M09");
  EXPECT_EQ(period("平川县2023年1—11月国民经济和社会发展计划执行情况的报告"), "2023M01-M11");
  EXPECT_EQ(period("平川县2023年前三季度国民经济和社会发展计划执行情况的报告"), "2023M01-M09");
  EXPECT_EQ(period("平川县2023年第三季度国民经济运行情况的报告"), "2023Q3");
  EXPECT_EQ(period("平川县2023年国民经济和社会发展统计公报"), "2023");
  EXPECT_EQ(period("平川县2023年度国民经济和社会发展计划执行情况的报告"), "2023");
}

TEST(PeriodsTest, ParagraphOpeningAppliesUntilAnotherTimePhrase) {
  auto got = Read(
      "平川县2023年上半年国民经济和社会发展计划执行情况的报告\n"
      "一、经济运行情况\n"
      "1-9月,全县一般公共预算收入完成18.2亿元。税收收入完成14.7亿元。一季度,社会消费品零售总额完成41.3亿元。"
      "固定资产投资同比增长5%。\n"
      "地区生产总值完成215.6亿元。\n");
  EXPECT_EQ(Find(got, "general_budget_revenue").period, "2023M01-M09");
  EXPECT_EQ(Find(got, "tax_revenue").period, "2023M01-M09");
  EXPECT_EQ(Find(got, "retail_sales").period, "2023Q1");
  EXPECT_EQ(Find(got, "fixed_asset_investment").period, "2023Q1");
  // A new paragraph without a time phrase: the document's period.
  Got gdp = Find(got, "gdp");
  EXPECT_EQ(gdp.period, "2023H1");
  EXPECT_EQ(gdp.status, kActual);
}

TEST(PeriodsTest, WholeYearInAHalfYearReportIsTheYearsTargetOrForecast) {
  auto got = Read(
      "平川县2023年上半年国民经济和社会发展计划执行情况的报告\n"
      "一、经济运行情况\n"
      "上半年,全县地区生产总值同比增长6.3%。全年地区生产总值增长目标为6.5%左右。\n"
      "预计全年固定资产投资增长8%左右。\n");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].period, "2023H1");
  EXPECT_EQ(got[0].status, kActual);
  EXPECT_EQ(got[1].period, "2023");
  EXPECT_EQ(got[1].status, kTarget);
  EXPECT_EQ(got[2].period, "2023");
  EXPECT_EQ(got[2].status, kForecast);
}

TEST(PeriodsTest, WholeYearInAnAnnualReportStaysActual) {
  auto got = Read(
      "平川县2023年国民经济和社会发展统计公报\n"
      "前三季度,全县规模以上工业总产值增长4.1%。全年规模以上工业增加值增长4.8%。\n");
  EXPECT_EQ(Find(got, "industrial_output_above_scale").period, "2023M01-M09");
  Got va = Find(got, "industrial_va_above_scale");
  EXPECT_EQ(va.period, "2023");
  EXPECT_EQ(va.status, kActual);
}

TEST(PeriodsTest, SectionHeadingGivesYearAndStatus) {
  auto got = Read(
      "平川县2023年国民经济和社会发展计划执行情况与2024年计划草案的报告\n"
      "一、2023年计划执行情况\n"
      "全县地区生产总值完成642.8亿元。\n"
      "二、2024年主要预期目标\n"
      "一般公共预算收入增长6%。\n"
      "2023年全县居民人均可支配收入达到52360元。\n"
      "到2025年,森林覆盖率达到46%。\n"
      "一季度,固定资产投资增长10%以上。\n");
  Got gdp = Find(got, "gdp");
  EXPECT_EQ(gdp.period, "2023");
  EXPECT_EQ(gdp.status, kActual);
  Got revenue = Find(got, "general_budget_revenue");
  EXPECT_EQ(revenue.period, "2024");
  EXPECT_EQ(revenue.status, kTarget);
  // The sentence's own year wins: the base year of the plan is an actual, a later year a target.
  Got income = Find(got, "per_capita_disposable_income");
  EXPECT_EQ(income.period, "2023");
  EXPECT_EQ(income.status, kActual);
  Got forest = Find(got, "forest_coverage");
  EXPECT_EQ(forest.period, "2025");
  EXPECT_EQ(forest.status, kTarget);
  Got investment = Find(got, "fixed_asset_investment");
  EXPECT_EQ(investment.period, "2024Q1");
  EXPECT_EQ(investment.status, kTarget);
}

TEST(PeriodsTest, NextYearAndInnerHeadings) {
  auto got = Read(
      "平川县发展和改革委员会2023年工作总结及明年工作安排\n"
      "一、今年以来主要工作\n"
      "全县地区生产总值完成318.5亿元。\n"
      "二、明年工作安排\n"
      "一般公共预算收入增长6%。\n");
  Got gdp = Find(got, "gdp");
  EXPECT_EQ(gdp.period, "2023");
  EXPECT_EQ(gdp.status, kActual);
  Got revenue = Find(got, "general_budget_revenue");
  EXPECT_EQ(revenue.period, "2024");
  EXPECT_EQ(revenue.status, kTarget);

  // The year and the plan come from an inner title; an inner review title keeps its figures actual.
  got = Read(
      "平川县2023年国民经济和社会发展计划执行情况\n"
      "一、2023年计划执行情况\n"
      "(一)主要预期目标完成情况\n"
      "全县地区生产总值完成1520.4亿元。\n"
      "二、总体要求\n"
      "(一)2024年经济社会发展的主要目标\n"
      "一般公共预算收入增长5.5%。\n"
      "(二)下半年工作\n"
      "城镇调查失业率控制在5.5%以内。\n");
  gdp = Find(got, "gdp");
  EXPECT_EQ(gdp.period, "2023");
  EXPECT_EQ(gdp.status, kActual);
  revenue = Find(got, "general_budget_revenue");
  EXPECT_EQ(revenue.period, "2024");
  EXPECT_EQ(revenue.status, kTarget);
  // A sibling title without a year: the top heading's context (here none), its own part.
  Got rate = Find(got, "surveyed_unemployment_rate");
  EXPECT_EQ(rate.period, "2023H2");
}

TEST(PeriodsTest, WorkReportReviewsLastYearAndPlansThisYear) {
  auto got = Read(
      "平川县2024年政府工作报告\n"
      "一、2023年工作回顾\n"
      "全县地区生产总值完成856.2亿元。四季度,规模以上工业增加值同比增长8.1%。\n"
      "二、2024年工作安排\n"
      "去年全县研发投入强度达到4.2%,今年力争达到4.5%。\n"
      "全年一般公共预算收入目标为38亿元。\n");
  Got gdp = Find(got, "gdp");
  EXPECT_EQ(gdp.period, "2023");
  EXPECT_EQ(gdp.status, kActual);
  EXPECT_EQ(Find(got, "industrial_va_above_scale").period, "2023Q4");
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[2].indicator, "rd_expenditure_ratio");
  EXPECT_EQ(got[2].period, "2023");
  EXPECT_EQ(got[2].status, kActual);
  EXPECT_EQ(got[3].indicator, "rd_expenditure_ratio");
  EXPECT_EQ(got[3].period, "2024");
  EXPECT_EQ(got[3].status, kTarget);
  // "…目标为" names the indicator's target.
  Got revenue = Find(got, "general_budget_revenue");
  EXPECT_EQ(revenue.period, "2024");
  EXPECT_EQ(revenue.status, kTarget);
}

TEST(PeriodsTest, RunOnInnerHeadingsSayNothing) {
  // A numbered paragraph that runs on (commas) is text, not a title: its year and 工作安排 make no
  // plan of next year.
  auto got = Read(
      "平川县2023年国民经济和社会发展计划执行情况\n"
      "一、2023年计划执行情况\n"
      "(一)2024年工作安排提前谋划,各项准备有序落实。全县地区生产总值完成318.5亿元。\n");
  Got gdp = Find(got, "gdp");
  EXPECT_EQ(gdp.period, "2023");
  EXPECT_EQ(gdp.status, kActual);
}

}  // namespace
}  // namespace luoshi::extract
