#include "services/indicators/measurement_units.h"

#include "gtest/gtest.h"
#include "services/common/decimal.h"

namespace luoshi::indicators {
namespace {

TEST(UnitsTest, SplitsLeadingMagnitudeWords) {
  EXPECT_EQ(SplitUnit("亿元").exponent, 8);
  EXPECT_EQ(SplitUnit("亿元").base, "元");
  EXPECT_EQ(SplitUnit("万亿元").exponent, 12);
  EXPECT_EQ(SplitUnit("万亿元").base, "元");
  EXPECT_EQ(SplitUnit("万人").exponent, 4);
  EXPECT_EQ(SplitUnit("亿千瓦时").base, "千瓦时");
  EXPECT_EQ(SplitUnit("吨标准煤/万元").exponent, 0);
  EXPECT_EQ(SplitUnit("%").base, "%");
}

TEST(UnitsTest, ConvertsExactlyBetweenMagnitudes) {
  absl::StatusOr<v1::Decimal> d = ConvertUnit(*ParseDecimal("1334.8"), "亿元", "万元");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatDecimal(*d), "13348000");
  d = ConvertUnit(*ParseDecimal("16.4"), "亿元", "元");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatDecimal(*d), "1640000000");
  d = ConvertUnit(*ParseDecimal("1040000"), "万元", "亿元");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(CompareDecimal(*d, *ParseDecimal("104")), 0);
  d = ConvertUnit(*ParseDecimal("1.2"), "万亿元", "亿元");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatDecimal(*d), "12000");
}

TEST(UnitsTest, RefusesDifferentBaseUnits) {
  EXPECT_EQ(ConvertUnit(*ParseDecimal("1"), "亿元", "亿美元").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ConvertUnit(*ParseDecimal("1"), "%", "亿元").ok());
}

TEST(UnitsTest, ChecksUnitAgainstMeasure) {
  EXPECT_TRUE(CheckUnitFitsMeasure(v1::MEASURE_GROWTH_RATE, "%").ok());
  EXPECT_TRUE(CheckUnitFitsMeasure(v1::MEASURE_GROWTH_RATE, "").ok());
  EXPECT_FALSE(CheckUnitFitsMeasure(v1::MEASURE_GROWTH_RATE, "亿元").ok());
  EXPECT_TRUE(CheckUnitFitsMeasure(v1::MEASURE_PERCENTAGE_POINTS, "个百分点").ok());
  EXPECT_FALSE(CheckUnitFitsMeasure(v1::MEASURE_PERCENTAGE_POINTS, "%").ok());
  EXPECT_FALSE(CheckUnitFitsMeasure(v1::MEASURE_LEVEL, "个百分点").ok());
  EXPECT_TRUE(CheckUnitFitsMeasure(v1::MEASURE_LEVEL, "%").ok());
  EXPECT_TRUE(CheckUnitFitsMeasure(v1::MEASURE_LEVEL, "亿元").ok());
  EXPECT_FALSE(CheckUnitFitsMeasure(v1::MEASURE_MULTIPLE, "亿元").ok());
}

}  // namespace
}  // namespace luoshi::indicators
