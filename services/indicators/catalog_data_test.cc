// The shipped catalog (data/catalog.json) knows every main indicator of seed 001 §二(二) and the regions.
#include "gtest/gtest.h"
#include "services/common/catalog.h"
#include "services/indicators/test_util.h"

namespace luoshi::indicators {
namespace {

TEST(CatalogDataTest, ResolvesEveryMainIndicatorNamedInSeed001) {
  absl::StatusOr<v1::Catalog> catalog = LoadCatalog(testing_util::CatalogFile());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  CatalogIndex index(*catalog);
  // As written in seed 001 (2025 plan, 主要指标).
  const char* names[] = {"地区生产总值",
                         "一般公共预算收入",
                         "规上工业总产值",
                         "社会消费品零售额",
                         "固定资产投资",
                         "细颗粒物浓度",
                         "森林覆盖率",
                         "常住人口规模",
                         "生产生活用水总量",
                         "单位地区生产总值能耗降幅",
                         "单位地区生产总值二氧化碳排放降幅",
                         "生活垃圾回收利用率",
                         "每万人拥有高价值发明专利数",
                         "高新技术企业数",
                         "技术合同成交额",
                         "实际利用外资规模",
                         "居民收入",
                         "城镇登记失业率",
                         "食品安全监测抽验合格率",
                         "药品安全监测抽验合格率"};
  std::set<std::string> ids;
  for (const char* name : names) {
    const v1::Indicator* i = index.FindIndicator(name);
    ASSERT_NE(i, nullptr) << name;
    ids.insert(i->id());
    EXPECT_NE(i->nature(), v1::INDICATOR_NATURE_UNSPECIFIED) << name;
    EXPECT_NE(i->desired_direction(), v1::DESIRED_DIRECTION_UNSPECIFIED) << name;
    EXPECT_FALSE(i->category().empty()) << name;
  }
  EXPECT_EQ(ids.size(), std::size(names)) << "two seed names resolved to the same indicator";
  EXPECT_EQ(index.FindIndicator("细颗粒物浓度")->desired_direction(), v1::DESIRED_DIRECTION_DOWN);
  EXPECT_EQ(index.FindIndicator("规上工业总产值")->id(), "industrial_output_above_scale");
}

TEST(CatalogDataTest, RegionsFormAHierarchyWithAliases) {
  absl::StatusOr<v1::Catalog> catalog = LoadCatalog(testing_util::CatalogFile());
  ASSERT_TRUE(catalog.ok());
  CatalogIndex index(*catalog);
  ASSERT_NE(index.FindRegion("亦庄"), nullptr);
  EXPECT_EQ(index.FindRegion("亦庄")->name(), "北京经济技术开发区");
  EXPECT_EQ(index.FindRegion("经开区")->id(), index.FindRegion("北京经济技术开发区")->id());
  EXPECT_EQ(index.FindRegion("大兴区")->parent_id(), index.FindRegion("北京市")->id());
}

}  // namespace
}  // namespace luoshi::indicators
