// The hard sentences of DOMAIN.md, one test each: indicator, value, unit, measure, bound, direction.
#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/common/decimal.h"
#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

const Extractor& TheExtractor() {
  static const Extractor* extractor = [] {
    auto catalog = LoadCatalog(DefaultCatalogPath());
    return new Extractor(catalog.ok() ? *catalog : v1::Catalog());
  }();
  return *extractor;
}

// A sentence inside a minimal actuals report of 大兴区 for 2024.
std::vector<v1::Observation> Read(const std::string& sentence) {
  std::string doc = "关于大兴区2024年国民经济和社会发展计划执行情况的报告\n一、2024年计划执行情况\n" + sentence + "\n";
  auto e = TheExtractor().Extract(doc, {});
  EXPECT_TRUE(e.ok()) << e.status();
  std::vector<v1::Observation> out;
  if (e.ok()) out.assign(e->observations().begin(), e->observations().end());
  return out;
}

struct Want {
  std::string indicator;
  std::string value;  // "" for qualitative
  std::string unit;
  v1::Measure measure;
  v1::Bound bound;
  v1::ChangeDirection direction;
};

void Expect(const v1::Observation& o, const Want& w) {
  EXPECT_EQ(o.indicator_id(), w.indicator) << o.ShortDebugString();
  EXPECT_EQ(o.measure(), w.measure) << o.ShortDebugString();
  EXPECT_EQ(o.change_direction(), w.direction) << o.ShortDebugString();
  EXPECT_EQ(o.region(), "大兴区");
  if (w.value.empty()) {
    EXPECT_FALSE(o.has_value());
    return;
  }
  EXPECT_EQ(FormatDecimal(o.value().value()), w.value) << o.ShortDebugString();
  EXPECT_EQ(o.value().unit(), w.unit) << o.ShortDebugString();
  EXPECT_EQ(o.bound(), w.bound) << o.ShortDebugString();
}

using v1::BOUND_ABOUT;
using v1::BOUND_AT_LEAST;
using v1::BOUND_EXACT;
using v1::CHANGE_DIRECTION_DOWN;
using v1::CHANGE_DIRECTION_UNSPECIFIED;
using v1::CHANGE_DIRECTION_UP;

TEST(HardSentencesTest, PairedListGivesTwoObservations) {
  auto obs = Read("战略性新兴产业、高技术制造业工业产值增长7.4%、3.4%。");
  ASSERT_EQ(obs.size(), 2u);
  Expect(obs[0], {"strategic_emerging_output", "7.4", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_UP});
  Expect(obs[1], {"high_tech_manufacturing_output", "3.4", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_UP});
}

TEST(HardSentencesTest, FenbieListPairsSubjectsAndValues) {
  auto obs = Read("规上工业总产值、社会消费品零售额分别增长3.5%和4.5%。");
  ASSERT_EQ(obs.size(), 2u);
  Expect(obs[0], {"industrial_output_above_scale", "3.5", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_UP});
  Expect(obs[1], {"retail_sales", "4.5", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_UP});
}

TEST(HardSentencesTest, DeclineThenNarrowingInPercentagePoints) {
  auto obs = Read("上半年GDP下降3.2%、降幅较一季度收窄3.4个百分点。");
  ASSERT_EQ(obs.size(), 2u);
  Expect(obs[0], {"gdp", "-3.2", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_DOWN});
  EXPECT_EQ(obs[0].period(), "2024H1");
  Expect(obs[1], {"gdp", "3.4", "个百分点", v1::MEASURE_PERCENTAGE_POINTS, BOUND_EXACT, CHANGE_DIRECTION_DOWN});
  EXPECT_EQ(obs[1].comparison_base(), "一季度");
  EXPECT_EQ(obs[1].period(), "2024H1");
}

TEST(HardSentencesTest, SubjectCarriedToTheNextClause) {
  auto obs = Read("地区生产总值总量完成1334.8亿元,同比增长5.2%。");
  ASSERT_EQ(obs.size(), 2u);
  Expect(obs[0], {"gdp", "1334.8", "亿元", v1::MEASURE_LEVEL, BOUND_EXACT, CHANGE_DIRECTION_UNSPECIFIED});
  Expect(obs[1], {"gdp", "5.2", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_UP});
  EXPECT_EQ(obs[1].comparison_base(), "上年同期");
  EXPECT_EQ(obs[0].status(), v1::OBSERVATION_STATUS_ACTUAL);
}

TEST(HardSentencesTest, AboutADecline) {
  auto obs = Read("社会消费品零售额同比下降20%左右。");
  ASSERT_EQ(obs.size(), 1u);
  Expect(obs[0], {"retail_sales", "-20", "%", v1::MEASURE_GROWTH_RATE, BOUND_ABOUT, CHANGE_DIRECTION_DOWN});
}

TEST(HardSentencesTest, Pm25ConcentrationIsNotTwoPointFive) {
  auto obs = Read("细颗粒物年均浓度34微克/立方米,PM2.5年均浓度34微克/立方米。");
  ASSERT_EQ(obs.size(), 2u);
  for (const auto& o : obs) {
    Expect(o, {"pm25", "34", "微克/立方米", v1::MEASURE_LEVEL, BOUND_EXACT, CHANGE_DIRECTION_UNSPECIFIED});
  }
}

TEST(HardSentencesTest, QuotedNameAndAtLeast) {
  auto obs = Read("专精特新“小巨人”企业达400家以上。");
  ASSERT_EQ(obs.size(), 1u);
  Expect(obs[0], {"specialized_little_giants", "400", "家", v1::MEASURE_LEVEL, BOUND_AT_LEAST, CHANGE_DIRECTION_UNSPECIFIED});
  EXPECT_EQ(obs[0].surface_name(), "专精特新“小巨人”企业");
}

TEST(HardSentencesTest, LevelGrowthAndProgress) {
  auto obs = Read("一般公共预算收入完成53.6亿元,同比下降8.1%,完成全年任务的48.9%。");
  ASSERT_EQ(obs.size(), 3u);
  Expect(obs[0], {"general_budget_revenue", "53.6", "亿元", v1::MEASURE_LEVEL, BOUND_EXACT, CHANGE_DIRECTION_UNSPECIFIED});
  Expect(obs[1], {"general_budget_revenue", "-8.1", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_DOWN});
  Expect(obs[2], {"general_budget_revenue", "48.9", "%", v1::MEASURE_PROGRESS, BOUND_EXACT, CHANGE_DIRECTION_UNSPECIFIED});
}

TEST(HardSentencesTest, ChineseNumeralsAndScales) {
  auto obs = Read("一般公共预算收入增长百分之五点二,技术合同成交额两位数增长,固定资产投资完成1.2万亿元。");
  ASSERT_EQ(obs.size(), 3u);
  Expect(obs[0], {"general_budget_revenue", "5.2", "%", v1::MEASURE_GROWTH_RATE, BOUND_EXACT, CHANGE_DIRECTION_UP});
  Expect(obs[1], {"tech_contract_value", "10", "%", v1::MEASURE_GROWTH_RATE, BOUND_AT_LEAST, CHANGE_DIRECTION_UP});
  Expect(obs[2], {"fixed_asset_investment", "1.2", "万亿元", v1::MEASURE_LEVEL, BOUND_EXACT, CHANGE_DIRECTION_UNSPECIFIED});
}

TEST(HardSentencesTest, PercentagePointsAreNotPercent) {
  auto obs = Read("城镇登记失业率下降0.3个百分点,城镇调查失业率为4.1%。");
  ASSERT_EQ(obs.size(), 2u);
  Expect(obs[0], {"registered_unemployment_rate", "0.3", "个百分点", v1::MEASURE_PERCENTAGE_POINTS, BOUND_EXACT, CHANGE_DIRECTION_DOWN});
  Expect(obs[1], {"surveyed_unemployment_rate", "4.1", "%", v1::MEASURE_LEVEL, BOUND_EXACT, CHANGE_DIRECTION_UNSPECIFIED});
}

TEST(HardSentencesTest, TargetsAndForecasts) {
  std::string doc =
      "关于大兴区2024年国民经济和社会发展计划执行情况的报告\n一、2024年计划执行情况\n"
      "全年预计地区生产总值增长5%。\n二、2025年经济社会发展计划初步安排\n"
      "地区生产总值比上年增长4.5%以上,城镇登记失业率控制在5%以内,森林覆盖率达到市级要求。\n";
  auto e = TheExtractor().Extract(doc, {});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->observations_size(), 4);
  EXPECT_EQ(e->observations(0).status(), v1::OBSERVATION_STATUS_FORECAST);
  EXPECT_EQ(e->observations(0).period(), "2024");
  const auto& gdp = e->observations(1);
  EXPECT_EQ(gdp.status(), v1::OBSERVATION_STATUS_TARGET);
  EXPECT_EQ(gdp.period(), "2025");
  Expect(gdp, {"gdp", "4.5", "%", v1::MEASURE_GROWTH_RATE, BOUND_AT_LEAST, CHANGE_DIRECTION_UP});
  EXPECT_EQ(gdp.comparison_base(), "上年");
  Expect(e->observations(2), {"registered_unemployment_rate", "5", "%", v1::MEASURE_LEVEL, v1::BOUND_AT_MOST, CHANGE_DIRECTION_UNSPECIFIED});
  const auto& forest = e->observations(3);
  Expect(forest, {"forest_coverage", "", "", v1::MEASURE_QUALITATIVE, BOUND_EXACT, CHANGE_DIRECTION_UNSPECIFIED});
  EXPECT_EQ(forest.qualitative_text(), "达到市级要求");
  EXPECT_EQ(forest.status(), v1::OBSERVATION_STATUS_TARGET);
}

TEST(HardSentencesTest, FiguresOutsideTheCatalogKeepTheirSurfaceName) {
  auto obs = Read("实现网上零售额53.8亿元,同比增长17.7%,占社会消费品零售总额的四分之一。");
  ASSERT_EQ(obs.size(), 3u);
  for (const auto& o : obs) {
    EXPECT_EQ(o.indicator_id(), "");
    EXPECT_EQ(o.surface_name(), "网上零售额");
  }
  EXPECT_EQ(obs[2].measure(), v1::MEASURE_SHARE);
  EXPECT_EQ(FormatDecimal(obs[2].value().value()), "25");
}

TEST(HardSentencesTest, FullWidthFiguresPointAtTheOriginalText) {
  std::string doc = "关于大兴区2024年国民经济和社会发展计划执行情况的报告\n一、2024年计划执行情况\n地区生产总值增长５．２％。\n";
  auto e = TheExtractor().Extract(doc, {});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->observations_size(), 1);
  const auto& o = e->observations(0);
  EXPECT_EQ(FormatDecimal(o.value().value()), "5.2");
  std::u32string text = Utf8ToU32(e->text());
  const auto& span = o.provenance().span();
  EXPECT_EQ(U32ToUtf8(std::u32string_view(text).substr(span.begin(), span.end() - span.begin())), "５．２％");
}

}  // namespace
}  // namespace luoshi::extract
