#include "services/common/period.h"

#include "gtest/gtest.h"

namespace luoshi {
namespace {

std::string Canonical(const std::string& code) {
  absl::StatusOr<std::string> s = NormalizePeriodCode(code);
  return s.ok() ? *s : "ERROR: " + std::string(s.status().message());
}

TEST(PeriodTest, ParsesEveryDocumentedForm) {
  EXPECT_EQ(Canonical("2024"), "2024");
  EXPECT_EQ(Canonical("2024H1"), "2024H1");
  EXPECT_EQ(Canonical("2024H2"), "2024H2");
  EXPECT_EQ(Canonical("2024Q1"), "2024Q1");
  EXPECT_EQ(Canonical("2024Q4"), "2024Q4");
  EXPECT_EQ(Canonical("2024-07"), "2024-07");
  EXPECT_EQ(Canonical("2024M01-M09"), "2024M01-M09");
}

TEST(PeriodTest, EqualSpansShareOneCanonicalCode) {
  EXPECT_EQ(Canonical("2020M01-M06"), "2020H1");
  EXPECT_EQ(Canonical("2020M07-M12"), "2020H2");
  EXPECT_EQ(Canonical("2020M01-M03"), "2020Q1");
  EXPECT_EQ(Canonical("2020M01-M12"), "2020");
  EXPECT_EQ(Canonical("2020M07"), "2020-07");
  EXPECT_EQ(Canonical("2020-7"), "2020-07");
  EXPECT_EQ(Canonical("2020m1-6"), "2020H1");
  EXPECT_EQ(*ParsePeriod("2020H1"), *ParsePeriod("2020M01-M06"));
}

TEST(PeriodTest, AnnualAndHalfYearStayApart) {
  EXPECT_NE(*ParsePeriod("2020"), *ParsePeriod("2020H1"));
  EXPECT_NE(*ParsePeriod("2020H1"), *ParsePeriod("2020Q2"));
}

TEST(PeriodTest, RejectsMalformedCodesWithTheAcceptedForms) {
  for (const char* bad : {"", "24", "2024H3", "2024Q5", "2024Q0", "2024-13", "2024-00", "2024M06-M01",
                          "2024M01-M13", "二〇二四", "2024年", "2024H", "2024 ", "12024"}) {
    absl::StatusOr<Period> p = ParsePeriod(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("2024M01-M06"), std::string::npos) << p.status().message();
  }
}

TEST(PeriodTest, OrdersChronologicallyThenShorterFirst) {
  EXPECT_LT(*ParsePeriod("2020Q1"), *ParsePeriod("2020H1"));
  EXPECT_LT(*ParsePeriod("2020H1"), *ParsePeriod("2020"));
  EXPECT_LT(*ParsePeriod("2020"), *ParsePeriod("2020H2"));
  EXPECT_LT(*ParsePeriod("2020H2"), *ParsePeriod("2021Q1"));
}

}  // namespace
}  // namespace luoshi
