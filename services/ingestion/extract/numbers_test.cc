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

// Issue 20, kind 3: numbers written other ways.
struct Spelling {
  const char* text;
  const char* value;
  const char* unit;
  v1::Bound bound;
  const char* upper;  // "" unless a range
};

void ExpectOne(const Spelling& c) {
  auto f = Find(c.text);
  ASSERT_EQ(f.size(), 1u) << c.text;
  EXPECT_EQ(Value(f[0]), c.value) << c.text;
  EXPECT_EQ(Unit(f[0]), c.unit) << c.text;
  EXPECT_EQ(f[0].bound, c.bound) << c.text;
  EXPECT_EQ(f[0].upper ? FormatDecimal(*f[0].upper) : "", c.upper) << c.text;
}

TEST(NumbersTest, ThousandsSeparatorsAsciiAndFullWidth) {
  for (const auto& c : std::initializer_list<Spelling>{
           {"人均可支配收入46,215元", "46215", "元", v1::BOUND_EXACT, ""},
           {"完成1,086.5亿元", "1086.5", "亿元", v1::BOUND_EXACT, ""},
           {"接待游客1,234,567人次", "1234567", "人次", v1::BOUND_EXACT, ""},
           {"人均可支配收入46，215元", "46215", "元", v1::BOUND_EXACT, ""},
           {"完成1，086.5亿元", "1086.5", "亿元", v1::BOUND_EXACT, ""},
       }) {
    ExpectOne(c);
  }
  // Not one number: a list "1，2", a leading group of more than three digits, a group of two.
  EXPECT_EQ(Value(Find("分别为1，2家")[0]), "2");
  EXPECT_EQ(Value(Find("12345,678家")[0]), "678");
  EXPECT_EQ(Value(Find("共12,34家")[0]), "34");
  std::u32string folded = Fold(U"46，215元和1，2").folded;
  EXPECT_TRUE(IsThousandsSeparatorAt(folded, 2));
  EXPECT_FALSE(IsThousandsSeparatorAt(folded, 10));
}

TEST(NumbersTest, FullWidthDigitsPointsAndPercent) {
  ExpectOne({"增长５．２％", "5.2", "%", v1::BOUND_EXACT, ""});
  ExpectOne({"完成１，０８６．５亿元", "1086.5", "亿元", v1::BOUND_EXACT, ""});
  ExpectOne({"增长５％～６％", "5", "%", v1::BOUND_RANGE, "6"});
}

TEST(NumbersTest, ChineseNumeralsWithScaleWords) {
  for (const auto& c : std::initializer_list<Spelling>{
           {"完成一千零八十六亿元", "1086", "亿元", v1::BOUND_EXACT, ""},
           {"达到一百一十五点四亿元", "115.4", "亿元", v1::BOUND_EXACT, ""},
           {"新增就业一万六千二百人", "16200", "人", v1::BOUND_EXACT, ""},
           {"引进企业一百多家", "100", "家", v1::BOUND_ABOUT, ""},
           {"降至三十微克/立方米", "30", "微克/立方米", v1::BOUND_EXACT, ""},
           {"新增上市公司五家", "5", "家", v1::BOUND_EXACT, ""},
           {"新建学校两所", "2", "所", v1::BOUND_EXACT, ""},
           {"完成一百亿元投资", "100", "亿元", v1::BOUND_EXACT, ""},
           {"新增五家以上", "5", "家", v1::BOUND_AT_LEAST, ""},
           {"增长两成", "20", "%", v1::BOUND_EXACT, ""},
           {"常住人口二十三万人", "23", "万人", v1::BOUND_EXACT, ""},
           {"投资一亿二千万元", "12000", "万元", v1::BOUND_EXACT, ""},
           {"投资三点五万亿元", "3.5", "万亿元", v1::BOUND_EXACT, ""},
           {"不少于十五个", "15", "个", v1::BOUND_AT_LEAST, ""},
           {"增长百分之五点三", "5.3", "%", v1::BOUND_EXACT, ""},
       }) {
    ExpectOne(c);
  }
  EXPECT_EQ(ChineseNumeralToDecimal(U"一万六千二百").value_or(""), "16200");
  EXPECT_EQ(ChineseNumeralToDecimal(U"一亿零五百万").value_or(""), "105000000");
  EXPECT_EQ(ChineseNumeralToDecimal(U"一千零八十六").value_or(""), "1086");
  // Beyond 万亿 magnitudes, or endless digit runs: no value (and no overflow).
  EXPECT_FALSE(ChineseNumeralToDecimal(U"九九九九九九九九九九九九九九九九九九九九九九").has_value());
  EXPECT_FALSE(ChineseNumeralToDecimal(U"九千亿亿亿亿亿").has_value());
  EXPECT_TRUE(Find("九千九百九十九万亿亿亿亿元").empty());
}

TEST(NumbersTest, RangesWrittenEitherWay) {
  for (const auto& c : std::initializer_list<Spelling>{
           {"增长5—5.5%", "5", "%", v1::BOUND_RANGE, "5.5"},
           {"增长5%—5.5%", "5", "%", v1::BOUND_RANGE, "5.5"},
           {"增长5%-6%", "5", "%", v1::BOUND_RANGE, "6"},
           {"增长百分之五至五点五", "5", "%", v1::BOUND_RANGE, "5.5"},
           {"增长百分之五至百分之五点五", "5", "%", v1::BOUND_RANGE, "5.5"},
           {"新建三至五个", "3", "个", v1::BOUND_RANGE, "5"},
       }) {
    ExpectOne(c);
  }
  // Different units on the two ends are two figures, not a range.
  EXPECT_EQ(Find("增长5%-6亿元").size(), 2u);
}

TEST(NumbersTest, ChineseNumeralsThatAreNotQuantities) {
  for (const char* text : {
           "十四五时期",     "第一产业",     "第三产业增加值", "一是稳增长", "二是促消费",
           "一、经济运行",   "(三)社会事业", "(三)",           "第三",       "建设一批重点项目",
           "出台一系列政策", "推出一项改革", "打造一个平台",   "三农工作",   "两新工作",
           "一带一路",       "四个一批",     "两个一百年",     "几十家",     "数十个",
           "千家万户",       "万人空巷",     "二〇二三年",     "五六家",     "百分比",
           "之一",           "一次性",       "星期五",         "二十四节气", "十四五规划纲要",
           "三大攻坚战",
       }) {
    auto f = Find(text);
    EXPECT_TRUE(f.empty()) << text << " gave " << (f.empty() ? "" : Value(f[0]) + Unit(f[0]));
  }
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
