// Division-plan tasks: labels, tables, deadlines, milestones, indicator links.
#include "services/ingestion/extract/tasks.h"

#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/common/decimal.h"
#include "services/ingestion/extract/extractor.h"

namespace luoshi::extract {
namespace {

const Extractor& TheExtractor() {
  static const Extractor* extractor = [] {
    auto catalog = LoadCatalog(DefaultCatalogPath());
    return new Extractor(catalog.ok() ? *catalog : v1::Catalog());
  }();
  return *extractor;
}

v1::Extraction Extract(const std::string& text) {
  auto e = TheExtractor().Extract(text, {});
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? *e : v1::Extraction();
}

TEST(DeadlineTest, FromTextAndPlanYear) {
  EXPECT_EQ(ParseDeadline("2023年12月31日", 2023).date(), "2023-12-31");
  EXPECT_EQ(ParseDeadline("12月底前", 2023).date(), "2023-12-31");
  EXPECT_EQ(ParseDeadline("6月底前", 2023).date(), "2023-06-30");
  EXPECT_EQ(ParseDeadline("2月底", 2024).date(), "2024-02-29");
  EXPECT_EQ(ParseDeadline("第三季度", 2023).date(), "2023-09-30");
  EXPECT_EQ(ParseDeadline("2023年3月底前", 2023).date(), "2023-03-31");
  EXPECT_EQ(ParseDeadline("6月底前启动,11月30日前完成", 2023).date(), "2023-11-30");
  EXPECT_EQ(ParseDeadline("年底前", 2023).date(), "2023-12-31");
  auto ongoing = ParseDeadline("长期坚持", 2023);
  EXPECT_TRUE(ongoing.ongoing());
  EXPECT_EQ(ongoing.date(), "");
  EXPECT_EQ(ongoing.text(), "长期坚持");
  EXPECT_TRUE(ParseDeadline("持续推进", 2023).ongoing());
}

TEST(TasksTest, NumberedParagraphsWithOtherLabels) {
  auto e = Extract(
      "2023年区政府工作报告重点工作分工方案\n一、产业发展\n"
      "1.全年引入优质数字经济项目不少于20家,新增2至3个数字化车间。\n责任领导:张三、李四\n"
      "牵头单位:区经济和信息化局、区科委\n配合单位:各镇街\n时间节点:第三季度\n"
      "2.规上工业总产值比上年增长5%。\n责任领导:王五\n牵头单位:各部门、各单位\n时间节点:长期坚持\n");
  ASSERT_EQ(e.tasks_size(), 2);
  const auto& t = e.tasks(0);
  EXPECT_EQ(t.number(), "1");
  EXPECT_EQ(t.text(), "全年引入优质数字经济项目不少于20家,新增2至3个数字化车间。");
  ASSERT_EQ(t.section_path_size(), 1);
  EXPECT_EQ(t.section_path(0), "一、产业发展");
  ASSERT_EQ(t.lead_leaders_size(), 2);
  EXPECT_EQ(t.lead_leaders(1), "李四");
  ASSERT_EQ(t.responsible_units_size(), 2);
  EXPECT_EQ(t.responsible_units(0), "区经济和信息化局");
  ASSERT_EQ(t.cooperating_units_size(), 1);
  EXPECT_EQ(t.cooperating_units(0), "各镇街");
  EXPECT_EQ(t.deadline().date(), "2023-09-30");
  ASSERT_EQ(t.milestones_size(), 2);
  EXPECT_EQ(t.milestones(0).text(), "不少于20家");
  EXPECT_EQ(t.milestones(0).bound(), v1::BOUND_AT_LEAST);
  EXPECT_EQ(t.milestones(1).bound(), v1::BOUND_RANGE);
  EXPECT_EQ(FormatDecimal(t.milestones(1).upper_value()), "3");
  EXPECT_EQ(t.indicator_id(), "");
  const auto& t2 = e.tasks(1);
  EXPECT_EQ(t2.indicator_id(), "industrial_output_above_scale");
  ASSERT_EQ(t2.responsible_units_size(), 1);
  EXPECT_EQ(t2.responsible_units(0), "各部门、各单位");
  EXPECT_TRUE(t2.deadline().ongoing());
}

TEST(TasksTest, TableForm) {
  auto e = Extract(
      "2024年重点工作任务分工方案\n序号\t工作任务\t牵头单位\t配合单位\t完成时限\n"
      "一、经济发展\n1\t社会消费品零售额比上年增长5%。\t区商务局\t各镇街、区统计局\t12月底前\n"
      "2\t完成2970亩土地征收。\t区规自分局\t相关属地\t6月底前\n");
  ASSERT_EQ(e.tasks_size(), 2);
  const auto& t = e.tasks(0);
  EXPECT_EQ(t.number(), "1");
  EXPECT_EQ(t.text(), "社会消费品零售额比上年增长5%。");
  ASSERT_EQ(t.responsible_units_size(), 1);
  EXPECT_EQ(t.responsible_units(0), "区商务局");
  ASSERT_EQ(t.cooperating_units_size(), 2);
  EXPECT_EQ(t.cooperating_units(1), "区统计局");
  EXPECT_EQ(t.deadline().text(), "12月底前");
  EXPECT_EQ(t.deadline().date(), "2024-12-31");
  EXPECT_EQ(t.indicator_id(), "retail_sales");
  EXPECT_EQ(e.tasks(1).deadline().date(), "2024-06-30");
  ASSERT_EQ(e.tasks(1).milestones_size(), 1);
  EXPECT_EQ(FormatDecimal(e.tasks(1).milestones(0).quantity().value()), "2970");
  EXPECT_EQ(e.tasks(1).milestones(0).quantity().unit(), "亩");
}

TEST(TasksTest, IndicatorTargetsAlsoBecomeTargetObservations) {
  auto e = Extract(
      "2023年区政府工作报告重点工作分工方案\n一、主要预期目标\n1.地区生产总值比上年增长4.5%以上。\n"
      "牵头领导:常务副区长\n主要责任单位:区发展改革委\n完成时限:2023年12月31日\n");
  ASSERT_EQ(e.tasks_size(), 1);
  EXPECT_EQ(e.tasks(0).indicator_id(), "gdp");
  ASSERT_EQ(e.observations_size(), 1);
  const auto& o = e.observations(0);
  EXPECT_EQ(o.indicator_id(), "gdp");
  EXPECT_EQ(o.status(), v1::OBSERVATION_STATUS_TARGET);
  EXPECT_EQ(o.period(), "2023");
  EXPECT_EQ(o.bound(), v1::BOUND_AT_LEAST);
}

}  // namespace
}  // namespace luoshi::extract
