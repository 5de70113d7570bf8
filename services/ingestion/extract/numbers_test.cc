// Figures: numbers, units, magnitudes, bounds, Chinese numerals; and what is never a figure.
#include "services/ingestion/extract/numbers.h"

#include "gtest/gtest.h"
#include "services/common/decimal.h"
#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

std::vector<Figure> Find(const std::string& utf8) {
  std::u32string folded = Fold(Utf8ToU32(utf8)).folded;
  return FindFigures(folded, 0, static_cast<int>(folded.size()));
}

std::string Value(const Figure& f) { return FormatDecimal(f.value); }
std::string Unit(const Figure& f) { return U32ToUtf8(f.unit); }

TEST(NumbersTest, NumberWithUnitAndMagnitude) {
  auto f = Find("地区生产总值总量完成1334.8亿元");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Value(f[0]), "1334.8");
  EXPECT_EQ(Unit(f[0]), "亿元");
  EXPECT_EQ(f[0].bound, v1::BOUND_EXACT);
}

TEST(NumbersTest, ExactDecimalNeverRoundTripsThroughFloat) {
  auto f = Find("减免缓社保费用16.4亿元");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].value.unscaled(), 164);
  EXPECT_EQ(f[0].value.scale(), 1);
}

TEST(NumbersTest, Bounds) {
  struct Case {
    const char* text;
    const char* value;
    const char* unit;
    v1::Bound bound;
  } cases[] = {
      {"达400家以上", "400", "家", v1::BOUND_AT_LEAST},
      {"不少于20家", "20", "家", v1::BOUND_AT_LEAST},
      {"不低于95%", "95", "%", v1::BOUND_AT_LEAST},
      {"超过1800家", "1800", "家", v1::BOUND_MORE_THAN},
      {"突破1300家", "1300", "家", v1::BOUND_MORE_THAN},
      {"逾5000人", "5000", "人", v1::BOUND_MORE_THAN},
      {"控制在5%以内", "5", "%", v1::BOUND_AT_MOST},
      {"不超过4个月", "4", "个月", v1::BOUND_AT_MOST},
      {"下降20%左右", "20", "%", v1::BOUND_ABOUT},
      {"约1500项", "1500", "项", v1::BOUND_ABOUT},
      {"近114亿元", "114", "亿元", v1::BOUND_ABOUT},
      {"5100余名", "5100", "名", v1::BOUND_ABOUT},
      {"2.4万余家", "2.4", "万家", v1::BOUND_ABOUT},
      {"成灾率小于1‰", "1", "‰", v1::BOUND_LESS_THAN},
  };
  for (const auto& c : cases) {
    auto f = Find(c.text);
    ASSERT_EQ(f.size(), 1u) << c.text;
    EXPECT_EQ(Value(f[0]), c.value) << c.text;
    EXPECT_EQ(Unit(f[0]), c.unit) << c.text;
    EXPECT_EQ(f[0].bound, c.bound) << c.text;
  }
}

TEST(NumbersTest, Range) {
  auto f = Find("新增2至3个数字化车间");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Value(f[0]), "2");
  ASSERT_TRUE(f[0].upper.has_value());
  EXPECT_EQ(FormatDecimal(*f[0].upper), "3");
  EXPECT_EQ(f[0].bound, v1::BOUND_RANGE);
}

TEST(NumbersTest, ChineseNumerals) {
  struct Case {
    const char* text;
    const char* value;
    const char* unit;
    v1::Bound bound;
  } cases[] = {
      {"增长百分之五点二", "5.2", "%", v1::BOUND_EXACT},
      {"降低九成以上", "90", "%", v1::BOUND_AT_LEAST},
      {"提升近三成", "30", "%", v1::BOUND_ABOUT},
      {"两位数增长", "10", "%", v1::BOUND_AT_LEAST},
      {"占全区的四分之一", "25", "%", v1::BOUND_EXACT},
      {"实现翻一番", "2", "倍", v1::BOUND_EXACT},
      {"提高三个百分点", "3", "个百分点", v1::BOUND_EXACT},
  };
  for (const auto& c : cases) {
    auto f = Find(c.text);
    ASSERT_EQ(f.size(), 1u) << c.text;
    EXPECT_EQ(Value(f[0]), c.value) << c.text;
    EXPECT_EQ(Unit(f[0]), c.unit) << c.text;
    EXPECT_EQ(f[0].bound, c.bound) << c.text;
  }
  EXPECT_EQ(ChineseNumeralToDecimal(U"十五").value_or(""), "15");
  EXPECT_EQ(ChineseNumeralToDecimal(U"一百二十").value_or(""), "120");
  EXPECT_EQ(ChineseNumeralToDecimal(U"五点二").value_or(""), "5.2");
}

TEST(NumbersTest, FullWidthDigitsFold) {
  auto f = Find("增长５．２％");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Value(f[0]), "5.2");
  EXPECT_EQ(Unit(f[0]), "%");
}

TEST(NumbersTest, ThousandsSeparators) {
  auto f = Find("完成1,334.8亿元");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Value(f[0]), "1334.8");
}

TEST(NumbersTest, NotFigures) {
  for (const char* text : {
           "2023年12月31日", "2020-08-05 17:36", "6月底前", "1-6月", "第24次区政府常务会", "第一产业",
           "“十四五”规划", "PM2.5", "pm2.5", "5G", "L4级别", "M9、M20、S6三轨四站", "京兴政办发〔2023〕1 号",
           "索引号:11N000/ZK-2023-000021", "电话:010-69243456", "12345市民服务热线", "13912345678",
           "1.地区生产总值", "(1)坚持", "车站北里1-7号楼", "16号线", "1#2#库", "“1+N”产业政策",
           "“氢十条3.0”政策", "近12年最好水平", "连续5年获评", "第十九届", "一刻钟", "四个一批",
       }) {
    EXPECT_TRUE(Find(text).empty()) << text << " gave " << Value(Find(text)[0]) << Unit(Find(text)[0]);
  }
}

}  // namespace
}  // namespace luoshi::extract
