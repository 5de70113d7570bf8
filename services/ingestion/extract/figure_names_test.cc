// Names of figures outside the catalog: each rule with sentences it names and sentences it leaves out.
// A name is read on its own in a table of targets (`luoshi indicators compare`), so it must say what is
// counted; a figure that cannot be named, or that counts the plan's own items, is no observation.
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/common/decimal.h"
#include "services/ingestion/extract/extractor.h"

namespace luoshi::extract {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const Extractor& TheExtractor() {
  static const Extractor* extractor = [] {
    auto catalog = LoadCatalog(DefaultCatalogPath());
    return new Extractor(catalog.ok() ? *catalog : v1::Catalog());
  }();
  return *extractor;
}

// The sentence inside a minimal actuals report of 大兴区 for 2024.
v1::Extraction Extract(const std::string& sentence) {
  std::string doc = "关于大兴区2024年国民经济和社会发展计划执行情况的报告\n一、2024年计划执行情况\n" + sentence + "\n";
  auto e = TheExtractor().Extract(doc, {});
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : v1::Extraction();
}

// (surface name, value with unit) of every observation.
std::vector<std::pair<std::string, std::string>> Named(const std::string& sentence) {
  std::vector<std::pair<std::string, std::string>> out;
  v1::Extraction e = Extract(sentence);  // kept alive: the loop reads into it
  for (const auto& o : e.observations()) {
    out.push_back({o.surface_name(), FormatDecimal(o.value().value()) + o.value().unit()});
  }
  return out;
}

std::string Warnings(const std::string& sentence) {
  std::string out;
  v1::Extraction e = Extract(sentence);
  for (const auto& w : e.warnings()) out += w + "\n";
  return out;
}

// Number + classifier + noun: the figure counts the noun after it, not the verb before it.
TEST(FigureNamesTest, TheNounAfterANumberAndClassifierIsWhatItCounts) {
  EXPECT_THAT(Named("累计召开98次防控领导小组会议。"), ElementsAre(Pair("防控领导小组会议", "98次")));
  EXPECT_THAT(Named("设立112个物美多点抗疫社区服务站。"), ElementsAre(Pair("物美多点抗疫社区服务站", "112个")));
  EXPECT_THAT(Named("7833万元对口帮扶资金全部拨付到位。"), ElementsAre(Pair("对口帮扶资金", "7833万元")));
  EXPECT_THAT(Named("完成庞各庄、长子营2个市级现代农业产业园创建。"),
              ElementsAre(Pair("市级现代农业产业园", "2个")));
  // A list of figures, each with its own noun.
  EXPECT_THAT(Named("全区规模以上的182个建筑工地、284家工业企业、89家零售企业复工复产率均为100%。"),
              ElementsAre(Pair("建筑工地", "182个"), Pair("工业企业", "284家"),
                          Pair("零售企业复工复产率", "100%")));
  // A generic noun takes the rest of the phrase with it.
  EXPECT_THAT(Named("确保民海生物疫苗产业化二期等16个项目开工建设。"), ElementsAre(Pair("项目开工建设", "16个")));
}

TEST(FigureNamesTest, ANounBeforeTheFigureStaysItsName) {
  EXPECT_THAT(Named("建设5G基站422个。"), ElementsAre(Pair("5G基站", "422个")));
  EXPECT_THAT(Named("实现网上零售额53.8亿元。"), ElementsAre(Pair("网上零售额", "53.8亿元")));
  EXPECT_THAT(Named("累计减免租金9411万元,惠及中小微企业2112家。"),
              ElementsAre(Pair("减免租金", "9411万元"), Pair("惠及中小微企业", "2112家")));
}

// Stripping the verb left only a generic noun: the fuller phrase is the name.
TEST(FigureNamesTest, TheFullerPhraseWhenTheHeadNounIsGeneric) {
  EXPECT_THAT(Named("累计完成落地项目386个。"), ElementsAre(Pair("落地项目", "386个")));
  EXPECT_THAT(Named("实施“创新成长计划”,储备项目112个。"), ElementsAre(Pair("储备项目", "112个")));
  // An unclosed parenthesis starts the name.
  EXPECT_THAT(Named("建立项目库动态更新机制(目前重大项目共245个)。"), ElementsAre(Pair("重大项目", "245个")));
}

TEST(FigureNamesTest, GenericVerbalOrExampleNamesAreLeftOut) {
  EXPECT_THAT(Named("开展服务不少于150家次。"), ElementsAre());         // 服务: generic
  EXPECT_THAT(Named("全年实现开工30部以上。"), ElementsAre());           // 开工: an action
  EXPECT_THAT(Named("全年新开工30个、完工10个。"), ElementsAre());
  EXPECT_THAT(Named("帮助昊硕科技、阳光宜康等7家企业解决口罩生产设备、厂房等问题。"), ElementsAre());
  EXPECT_THAT(Named("为全区637个社区、单位的义务消防队配备应急设备。"), ElementsAre());
  EXPECT_THAT(Named("年内认定首批5个。"), ElementsAre());                  // a batch
  EXPECT_THAT(Warnings("开展服务不少于150家次。"),
              HasSubstr("1 figure outside the catalog left out (no understandable name)"));
}

// "每3万人至少有1个应急供应网点": the 3万人 is a rate's base, the 1个 counts 网点.
TEST(FigureNamesTest, APerHeadBaseIsNoFigure) {
  EXPECT_THAT(Named("人口集中的乡镇,每3万人至少有1个应急供应网点。"), ElementsAre(Pair("应急供应网点", "1个")));
}

// "110家餐饮企业和228栋商务楼宇复工复产率均为100%": the phrase after 228栋 is the subject of 100%.
TEST(FigureNamesTest, APhraseLeadingIntoTheNextFigureIsThatFiguresSubject) {
  EXPECT_THAT(Named("全区110家餐饮企业和228栋商务楼宇复工复产率均为100%。"),
              ElementsAre(Pair("餐饮企业", "110家"), Pair("商务楼宇复工复产率", "100%")));
}

// A clause, not a noun phrase, after the figure: no name within reach.
TEST(FigureNamesTest, AClauseAfterTheFigureIsNoName) {
  EXPECT_THAT(Named("组织61家重点行业企业开展“一厂一策”挥发性有机物深度治理。"), ElementsAre());
}

TEST(FigureNamesTest, CountsOfThePlansOwnItemsAreLeftOut) {
  EXPECT_THAT(Named("各部门、各单位要围绕121项区政府重点工作,建立定期会商机制。"), ElementsAre());
  EXPECT_THAT(Named("将121项区政府重点工作进行分解,逐项制定落实方案。"), ElementsAre());
  EXPECT_THAT(Named("2025年计划安排21项指标,包括经济发展类的12项预期性指标及生态环境、民生改善类的9项约束性指标。"),
              ElementsAre());
  EXPECT_THAT(Named("发布实施支持打好疫情防控阻击战19条措施、复工复产10条措施。"), ElementsAre());
  EXPECT_THAT(Warnings("落实8方面25项任务。"), HasSubstr("(counts the items of a plan)"));
  // Projects are things in the region; tasks are the plan's items.
  EXPECT_THAT(Named("推动完成8项重点项目、7项重点任务。"), ElementsAre(Pair("重点项目", "8项")));
  // 条 counts roads as well as articles.
  EXPECT_THAT(Named("精细化治理背街小巷69条。"), ElementsAre(Pair("精细化治理背街小巷", "69条")));
}

TEST(FigureNamesTest, AFigureInsideANameIsNoFigure) {
  EXPECT_THAT(Named("出台大兴区“惠企8条”和“惠企新9条”。"), ElementsAre());
  EXPECT_THAT(Named("出台“科创20条”,打造创新生态。"), ElementsAre());
  // An amount with 以上 before a noun qualifies the noun: 1000万元以上企业 are the firms counted.
  for (const auto& [name, value] : Named("新增注册资金1000万元以上企业60家。")) {
    EXPECT_NE(value, "1000万元") << name;
  }
  // A count with 以上 before its noun is a bound.
  EXPECT_THAT(Named("年内建设2家以上特色产业园。"), ElementsAre(Pair("特色产业园", "2家")));
}

// Catalog indicators are named by the catalog, whatever stands around them.
TEST(FigureNamesTest, CatalogIndicatorsAreUntouched) {
  auto e = Extract("一般公共预算收入完成53.6亿元,同比下降8.1%,完成全年任务的48.9%。");
  ASSERT_EQ(e.observations_size(), 3);
  for (const auto& o : e.observations()) EXPECT_EQ(o.indicator_id(), "general_budget_revenue");
}

// In a division plan the figure left out of the observations stays the task's milestone.
TEST(FigureNamesTest, ALeftOutFigureStaysATaskMilestone) {
  std::string plan =
      "关于印发《2023年区政府工作报告重点工作分工方案》的通知\n"
      "一、紧扣城乡融合发展\n"
      "48.稳步开展群众意愿统一的老楼加装电梯工作,全年实现开工30部以上。\n"
      "牵头领导:何景涛\n主要责任单位:区住房城乡建设委\n完成时限:2023年12月31日\n";
  auto e = TheExtractor().Extract(plan, {});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->observations_size(), 0);
  ASSERT_EQ(e->tasks_size(), 1);
  ASSERT_EQ(e->tasks(0).milestones_size(), 1);
  EXPECT_EQ(FormatDecimal(e->tasks(0).milestones(0).quantity().value()), "30");
  EXPECT_EQ(e->tasks(0).milestones(0).quantity().unit(), "部");
}

}  // namespace
}  // namespace luoshi::extract
