#include "services/common/decimal.h"

#include "gtest/gtest.h"

namespace luoshi {
namespace {

TEST(DecimalTest, ParsesAndFormatsExactly) {
  for (const char* s : {"1334.8", "104", "-3.2", "0.05", "16.4", "5.20"}) {
    auto d = ParseDecimal(s);
    ASSERT_TRUE(d.ok()) << s;
    EXPECT_EQ(FormatDecimal(*d), s);
  }
  EXPECT_EQ(ParseDecimal("16.4")->unscaled(), 164);
  EXPECT_EQ(ParseDecimal("16.4")->scale(), 1);
}

TEST(DecimalTest, RejectsGarbage) {
  for (const char* s : {"", "-", "1.2.3", "12a", "99999999999999999999"}) {
    EXPECT_FALSE(ParseDecimal(s).ok()) << s;
  }
}

TEST(DecimalTest, ComparesNumerically) {
  EXPECT_EQ(CompareDecimal(*ParseDecimal("5.2"), *ParseDecimal("5.20")), 0);
  EXPECT_LT(CompareDecimal(*ParseDecimal("4.5"), *ParseDecimal("5.2")), 0);
  EXPECT_GT(CompareDecimal(*ParseDecimal("-1"), *ParseDecimal("-3.2")), 0);
}

TEST(DecimalTest, SubtractsExactly) {
  EXPECT_EQ(FormatDecimal(*SubtractDecimal(*ParseDecimal("5.2"), *ParseDecimal("4.5"))), "0.7");
  EXPECT_EQ(FormatDecimal(*SubtractDecimal(*ParseDecimal("34"), *ParseDecimal("35.5"))), "-1.5");
}

TEST(DecimalTest, ShiftsByPowersOfTen) {
  EXPECT_EQ(FormatDecimal(ShiftDecimal(*ParseDecimal("16.4"), 8)), "1640000000");
  EXPECT_EQ(FormatDecimal(ShiftDecimal(*ParseDecimal("5"), -2)), "0.05");
}

}  // namespace
}  // namespace luoshi
