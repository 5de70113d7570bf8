#include "services/indicators/compare.h"

#include <string>

#include "gtest/gtest.h"
#include "services/common/decimal.h"
#include "services/indicators/format.h"
#include "services/indicators/test_util.h"

namespace luoshi::indicators {
namespace {

using testing_util::Obs;

v1::Indicator WithDirection(v1::DesiredDirection d, const std::string& unit = "亿元") {
  v1::Indicator i;
  i.set_id("x");
  i.set_default_unit(unit);
  i.set_desired_direction(d);
  return i;
}

// Every bound × desired direction. The target is 10 (upper end 12 for ranges); `expected` says for the
// actuals 8, 9, 10, 11, 13 whether the target is met (Y) or not (N).
struct BoundCase {
  v1::Bound bound;
  v1::DesiredDirection direction;
  const char* expected;
};

class BoundDirectionTest : public ::testing::TestWithParam<BoundCase> {};

TEST_P(BoundDirectionTest, VerdictFollowsBoundThenDirection) {
  const BoundCase& c = GetParam();
  v1::Indicator indicator = WithDirection(c.direction);
  Obs target = Obs("t").Target().Value("10", "亿元").Bound(c.bound);
  if (c.bound == v1::BOUND_RANGE) target.Upper("12");
  const char* actuals[] = {"8", "9", "10", "11", "13"};
  for (int i = 0; i < 5; ++i) {
    v1::Observation actual = Obs("a").Value(actuals[i], "亿元");
    v1::TargetComparison r = JudgeTarget(target, &actual, &indicator);
    v1::Verdict want = c.expected[i] == 'Y' ? v1::VERDICT_MET : v1::VERDICT_NOT_MET;
    EXPECT_EQ(r.verdict(), want) << v1::Bound_Name(c.bound) << " × " << v1::DesiredDirection_Name(c.direction)
                                 << ", actual " << actuals[i] << ": " << r.explanation();
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, BoundDirectionTest,
    ::testing::Values(
        //                                                                   8  9 10 11 13
        BoundCase{v1::BOUND_EXACT, v1::DESIRED_DIRECTION_UP, "NNYYY"},
        BoundCase{v1::BOUND_EXACT, v1::DESIRED_DIRECTION_DOWN, "YYYNN"},
        BoundCase{v1::BOUND_EXACT, v1::DESIRED_DIRECTION_NEUTRAL, "NNYNN"},
        BoundCase{v1::BOUND_UNSPECIFIED, v1::DESIRED_DIRECTION_UP, "NNYYY"},
        BoundCase{v1::BOUND_UNSPECIFIED, v1::DESIRED_DIRECTION_DOWN, "YYYNN"},
        BoundCase{v1::BOUND_UNSPECIFIED, v1::DESIRED_DIRECTION_NEUTRAL, "NNYNN"},
        BoundCase{v1::BOUND_AT_LEAST, v1::DESIRED_DIRECTION_UP, "NNYYY"},
        BoundCase{v1::BOUND_AT_LEAST, v1::DESIRED_DIRECTION_DOWN, "NNYYY"},
        BoundCase{v1::BOUND_AT_LEAST, v1::DESIRED_DIRECTION_NEUTRAL, "NNYYY"},
        BoundCase{v1::BOUND_MORE_THAN, v1::DESIRED_DIRECTION_UP, "NNNYY"},
        BoundCase{v1::BOUND_MORE_THAN, v1::DESIRED_DIRECTION_DOWN, "NNNYY"},
        BoundCase{v1::BOUND_MORE_THAN, v1::DESIRED_DIRECTION_NEUTRAL, "NNNYY"},
        BoundCase{v1::BOUND_AT_MOST, v1::DESIRED_DIRECTION_UP, "YYYNN"},
        BoundCase{v1::BOUND_AT_MOST, v1::DESIRED_DIRECTION_DOWN, "YYYNN"},
        BoundCase{v1::BOUND_AT_MOST, v1::DESIRED_DIRECTION_NEUTRAL, "YYYNN"},
        BoundCase{v1::BOUND_LESS_THAN, v1::DESIRED_DIRECTION_UP, "YYNNN"},
        BoundCase{v1::BOUND_LESS_THAN, v1::DESIRED_DIRECTION_DOWN, "YYNNN"},
        BoundCase{v1::BOUND_LESS_THAN, v1::DESIRED_DIRECTION_NEUTRAL, "YYNNN"},
        BoundCase{v1::BOUND_ABOUT, v1::DESIRED_DIRECTION_UP, "NNYYY"},
        BoundCase{v1::BOUND_ABOUT, v1::DESIRED_DIRECTION_DOWN, "YYYNN"},
        BoundCase{v1::BOUND_ABOUT, v1::DESIRED_DIRECTION_NEUTRAL, "NYYYN"},
        BoundCase{v1::BOUND_RANGE, v1::DESIRED_DIRECTION_UP, "NNYYN"},
        BoundCase{v1::BOUND_RANGE, v1::DESIRED_DIRECTION_DOWN, "NNYYN"},
        BoundCase{v1::BOUND_RANGE, v1::DESIRED_DIRECTION_NEUTRAL, "NNYYN"},
        BoundCase{v1::BOUND_EXACT, v1::DESIRED_DIRECTION_UNSPECIFIED, "NNYNN"}));

TEST(CompareTest, ExplainsGrowthTargetWithMarginInPercentagePoints) {
  v1::Indicator gdp = WithDirection(v1::DESIRED_DIRECTION_UP);
  v1::Observation target = Obs("t").Target().Growth("4.5").Bound(v1::BOUND_AT_LEAST);
  v1::Observation actual = Obs("a").Growth("5.2");
  v1::TargetComparison r = JudgeTarget(target, &actual, &gdp);
  EXPECT_EQ(r.verdict(), v1::VERDICT_MET);
  EXPECT_EQ(r.explanation(), "target ≥4.5%, actual 5.2%: met by 0.7 pp");
  EXPECT_EQ(FormatDecimal(r.margin().value()), "0.7");
  EXPECT_EQ(r.margin().unit(), "个百分点");
  EXPECT_EQ(r.actual().source_key(), "a");
}

TEST(CompareTest, ScalesUnitsBeforeComparingLevels) {
  v1::Indicator revenue = WithDirection(v1::DESIRED_DIRECTION_UP);
  v1::Observation target = Obs("t").Target().Value("104", "亿元");
  v1::Observation actual = Obs("a").Value("1040500", "万元");
  v1::TargetComparison r = JudgeTarget(target, &actual, &revenue);
  EXPECT_EQ(r.verdict(), v1::VERDICT_MET) << r.explanation();
  EXPECT_EQ(FormatDecimal(r.margin().value()), "0.05");
  EXPECT_EQ(r.margin().unit(), "亿元");
  EXPECT_EQ(r.explanation(), "target 104亿元, actual 1040500万元: met by 0.05亿元");

  v1::Observation big = Obs("b").Value("1334.8", "亿元");
  r = JudgeTarget(Obs("t2").Target().Value("1400", "亿元"), &big, &revenue);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MET);
  EXPECT_EQ(FormatDecimal(r.margin().value()), "-65.2");
}

TEST(CompareTest, DownwardIndicatorIsMetByStayingUnderTheTarget) {
  v1::Indicator pm25 = WithDirection(v1::DESIRED_DIRECTION_DOWN, "微克/立方米");
  v1::Observation target = Obs("t").Target().Indicator("pm25").Value("30", "微克/立方米");
  v1::Observation high = Obs("a").Indicator("pm25").Value("34", "微克/立方米");
  v1::TargetComparison r = JudgeTarget(target, &high, &pm25);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MET);
  EXPECT_EQ(r.explanation(), "target 30微克/立方米, actual 34微克/立方米: missed by 4微克/立方米");
  v1::Observation low = Obs("a").Indicator("pm25").Value("28", "微克/立方米");
  r = JudgeTarget(target, &low, &pm25);
  EXPECT_EQ(r.verdict(), v1::VERDICT_MET);
  EXPECT_EQ(FormatDecimal(r.margin().value()), "-2");
}

TEST(CompareTest, FallsAreSignedAndTheirBoundsFlip) {
  v1::Indicator energy = WithDirection(v1::DESIRED_DIRECTION_DOWN, "吨标准煤/万元");
  // 下降3%: desired down, so any fall of 3% or more meets it.
  v1::Observation target = Obs("t").Target().Fall("3");
  v1::Observation fell_more = Obs("a").Fall("3.5");
  v1::TargetComparison r = JudgeTarget(target, &fell_more, &energy);
  EXPECT_EQ(r.verdict(), v1::VERDICT_MET) << r.explanation();
  EXPECT_EQ(r.explanation(), "target -3%, actual -3.5%: met by 0.5 pp");
  v1::Observation fell_less = Obs("a").Fall("2");
  EXPECT_EQ(JudgeTarget(target, &fell_less, &energy).verdict(), v1::VERDICT_NOT_MET);
  v1::Observation rose = Obs("a").Growth("1");
  r = JudgeTarget(target, &rose, &energy);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MET);
  EXPECT_EQ(FormatDecimal(r.margin().value()), "4");

  // 下降3%以上 ("a fall of at least 3%") is growth ≤ -3%, whatever the desired direction.
  v1::Indicator neutral = WithDirection(v1::DESIRED_DIRECTION_NEUTRAL);
  v1::Observation at_least = Obs("t").Target().Fall("3").Bound(v1::BOUND_AT_LEAST);
  r = JudgeTarget(at_least, &fell_more, &neutral);
  EXPECT_EQ(r.verdict(), v1::VERDICT_MET) << r.explanation();
  EXPECT_EQ(r.explanation(), "target ≤-3%, actual -3.5%: met by 0.5 pp");
  v1::Observation fell_slightly_less = Obs("a").Fall("2.9");
  r = JudgeTarget(at_least, &fell_slightly_less, &neutral);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MET);
  EXPECT_EQ(r.explanation(), "target ≤-3%, actual -2.9%: missed by 0.1 pp");
}

TEST(CompareTest, FallsStoredAsNegativeNumbersAreReadTheSameWay) {
  // The extractor sends 下降3.5% as value -3.5 with direction down.
  v1::Indicator neutral = WithDirection(v1::DESIRED_DIRECTION_NEUTRAL);
  v1::Observation target = Obs("t").Target().Fall("-3").Bound(v1::BOUND_AT_LEAST);
  v1::Observation actual = Obs("a").Fall("-3.5");
  v1::TargetComparison r = JudgeTarget(target, &actual, &neutral);
  EXPECT_EQ(r.verdict(), v1::VERDICT_MET) << r.explanation();
  EXPECT_EQ(r.explanation(), "target ≤-3%, actual -3.5%: met by 0.5 pp");
  v1::Observation positive_actual = Obs("a").Fall("2");
  r = JudgeTarget(target, &positive_actual, &neutral);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MET);
  EXPECT_EQ(r.explanation(), "target ≤-3%, actual -2%: missed by 1 pp");
  EXPECT_EQ(FormatObservationValue(actual), "下降3.5%");
  EXPECT_EQ(FormatObservationValue(target), "下降≥3%");
}

TEST(CompareTest, MoreThanIsNotMetByTheTargetItself) {
  v1::Indicator up = WithDirection(v1::DESIRED_DIRECTION_UP);
  v1::Observation target = Obs("t").Target().Value("400", "家").Bound(v1::BOUND_MORE_THAN);
  v1::Observation equal = Obs("a").Value("400", "家");
  v1::TargetComparison r = JudgeTarget(target, &equal, &up);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MET);
  EXPECT_NE(r.explanation().find("excludes"), std::string::npos) << r.explanation();
}

TEST(CompareTest, PendingWithoutActual) {
  v1::Indicator up = WithDirection(v1::DESIRED_DIRECTION_UP);
  v1::TargetComparison r =
      JudgeTarget(Obs("t").Target().Growth("4.5").Bound(v1::BOUND_AT_LEAST), nullptr, &up);
  EXPECT_EQ(r.verdict(), v1::VERDICT_PENDING);
  EXPECT_FALSE(r.has_actual());
  EXPECT_FALSE(r.has_margin());
  EXPECT_EQ(r.explanation(), "target ≥4.5%, no actual yet: pending");
}

TEST(CompareTest, QualitativeOrIncomparableIsNotMeasurable) {
  v1::Indicator up = WithDirection(v1::DESIRED_DIRECTION_UP);
  v1::Observation qualitative_target =
      Obs("t").Target().NoValue().Measure(v1::MEASURE_QUALITATIVE).Text("达到市级要求");
  v1::Observation actual = Obs("a").Value("50", "亿元");
  v1::TargetComparison r = JudgeTarget(qualitative_target, &actual, &up);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MEASURABLE);
  EXPECT_NE(r.explanation().find("达到市级要求"), std::string::npos);

  v1::Observation qualitative_actual = Obs("a").NoValue().Measure(v1::MEASURE_QUALITATIVE).Text("稳步增长");
  EXPECT_EQ(JudgeTarget(Obs("t").Target(), &qualitative_actual, &up).verdict(), v1::VERDICT_NOT_MEASURABLE);

  v1::Observation dollars = Obs("a").Value("15", "亿美元");
  r = JudgeTarget(Obs("t").Target().Value("100", "亿元"), &dollars, &up);
  EXPECT_EQ(r.verdict(), v1::VERDICT_NOT_MEASURABLE);
  EXPECT_NE(r.explanation().find("not comparable"), std::string::npos) << r.explanation();
}

TEST(CompareTest, MissingUnitsFallBackToTheIndicatorDefault) {
  v1::Indicator gdp = WithDirection(v1::DESIRED_DIRECTION_UP, "亿元");
  v1::Observation target = Obs("t").Target().Value("1300", "");
  v1::Observation actual = Obs("a").Value("1334.8", "亿元");
  v1::TargetComparison r = JudgeTarget(target, &actual, &gdp);
  EXPECT_EQ(r.verdict(), v1::VERDICT_MET) << r.explanation();
  EXPECT_EQ(FormatDecimal(r.margin().value()), "34.8");
}

}  // namespace
}  // namespace luoshi::indicators
