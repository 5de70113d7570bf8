// What must never become a figure: page noise, dates, document numbers, phone numbers, PM2.5, 5G,
// 十四五, 第一产业, heading and list numbers.
#include "gtest/gtest.h"
#include "services/common/catalog.h"
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

int Figures(const std::string& text) {
  auto e = TheExtractor().Extract(text, {});
  EXPECT_TRUE(e.ok()) << e.status();
  if (!e.ok()) return -1;
  for (const auto& o : e->observations()) ADD_FAILURE() << text << "\n  gave: " << o.ShortDebugString();
  return e->observations_size();
}

TEST(NegativeTest, PageNoiseLines) {
  EXPECT_EQ(Figures("面包屑导航小图标 首页 > 重要发布 > 专题 > 北京市十五届人大常委会第二十三次会议 > 会议文件\n"
                    "日期:2020-09-03 来源:北京市人大常委会门户网站\n【字号: 收藏收藏 打印打印\n"
                    "来源:区发改委  日期:2020-08-05 17:36 打印 【字体:\n"
                    "  • 索引号:11N000/ZK-2023-000021\n  • 发文序号:京兴政办发〔2023〕1 号\n"
                    "  • 成文日期:2023年3月3日\n  • 发布日期:2023年3月9日\n展开\n"
                    "——2020年7月29日在北京市第十五届人民代表大会常务委员会第二十三次会议上\n"),
            0);
}

TEST(NegativeTest, DatesAndDeadlines) {
  EXPECT_EQ(Figures("完成时限:2023年12月31日\n2023年3月底前完成项目规划实施方案,6月底前启动招投标,力争9月底前开工。\n"
                    "1-6月,经济运行平稳。2-6月阶段性减免。\n"),
            0);
}

TEST(NegativeTest, DocumentAndPhoneNumbers) {
  EXPECT_EQ(Figures("京兴政办发〔2023〕1号文件。联系电话:010-69243456,手机13912345678,12345市民服务热线。\n"), 0);
}

TEST(NegativeTest, NamesThatContainDigits) {
  EXPECT_EQ(Figures("加强PM2.5与臭氧协同治理。加快5G新基建项目进度,研究5G示范应用。持续推进M9、M20、S6三轨四站规划建设。"
                    "支持L4级别以上自动驾驶。落实“1+N”产业政策和“氢十条3.0”政策。\n"),
            0);
}

TEST(NegativeTest, PlanNamesOrdinalsAndSectors) {
  EXPECT_EQ(Figures("高质量编制“十四五”规划,为“十五五”良好开局打牢基础。第一产业、第二产业协调发展。"
                    "第24次区政府常务会审议通过。第十九届北京国际航空展。\n"),
            0);
}

TEST(NegativeTest, HeadingAndListNumbers) {
  EXPECT_EQ(Figures("一、2024年国民经济和社会发展计划执行情况\n(一)锚定高质量发展首要任务\n"
                    "1.增强改革创新的责任感。\n(2)做好村庄、社区的封闭式管理。\n"),
            0);
}

TEST(NegativeTest, NamesWithBoundWordsInsideAreNotBounds) {
  auto e = TheExtractor().Extract("一、执行情况\n规模以上工业总产值增长5%。\n", {});
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->observations_size(), 1);
  EXPECT_EQ(e->observations(0).indicator_id(), "industrial_output_above_scale");
  EXPECT_EQ(e->observations(0).bound(), v1::BOUND_EXACT);
}

TEST(NegativeTest, QualifiedNamesAreNotTheCatalogIndicator) {
  // 规上高新技术企业产值 is not the count of 高新技术企业; 农村居民 income is not all residents'.
  auto e = TheExtractor().Extract(
      "一、执行情况\n其中规上高新技术企业产值同比增长1.1倍。农村居民人均可支配收入增长6%。"
      "软件与信息服务业营业收入增长10%。\n",
      {});
  ASSERT_TRUE(e.ok());
  for (const auto& o : e->observations()) EXPECT_EQ(o.indicator_id(), "") << o.ShortDebugString();
}

}  // namespace
}  // namespace luoshi::extract
